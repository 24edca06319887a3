#!/usr/bin/env bash
# `make test`: set up what is missing, then run
#   1. the plain-Python tests (tests/: the Epicentr client, the sandbox, the OpenAPI contract),
#   2. the addon's Odoo tests, from a copy of the addon folder alone, in a fresh database
#      (odoo-bin --test-tags /epicentr_connector), then the same tests under pytest-odoo.
#      Odoo's Ukrainian chart (l10n_ua) is installed beside it: the money tests load it into a
#      company of their own, as a Ukrainian seller has it.
# Exits non-zero on any failure; the last line is "N passed, N failed".
#   TEST_DB     the database to (re)create (default epicentr_test)
#   PYTEST_ARGS extra pytest arguments, ODOO_TEST_TAGS to narrow the Odoo run,
#   PYTEST_ODOO_ARGS extra arguments of the pytest-odoo run (e.g. "-k test_name")
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash tools/setup.sh || exit 2
# shellcheck disable=SC1091
source "${EPICENTR_CACHE:-$HOME/.cache/epicentr_connector}/env.sh"
source tools/odoo_result.sh
DB=${TEST_DB:-epicentr_test}
LOG=$(mktemp -t epicentr-odoo-test.XXXX.log)

# odoo-bin runs only the test modules that tests/__init__.py imports: a forgotten import
# would skip a whole file silently, so refuse that before running anything.
unimported=()
for f in epicentr_connector/tests/test_*.py; do
    m=$(basename "$f" .py)
    grep -qE "^from \. import .*\b$m\b|^from \.$m import|^import .*\b$m\b" epicentr_connector/tests/__init__.py || unimported+=("$f")
done
if [ ${#unimported[@]} -gt 0 ]; then
    echo "test: these test files are not imported by epicentr_connector/tests/__init__.py, so odoo-bin would skip them: ${unimported[*]}" >&2
    exit 1
fi

echo "== plain-Python tests (client, sandbox, contract)"
PYLOG=$(mktemp -t epicentr-pytest.XXXX.log)
"$VENV/bin/python" -m pytest -q -p no:cacheprovider tests ${PYTEST_ARGS:-} 2>&1 | tee "$PYLOG"
py_rc=${PIPESTATUS[0]}
py_last=$(tail -1 "$PYLOG"); rm -f "$PYLOG"
py_passed=$(echo "$py_last" | grep -oE "[0-9]+ passed" | grep -oE "[0-9]+" || echo 0)
py_failed=$(echo "$py_last" | grep -oE "[0-9]+ (failed|errors?)" | awk '{s += $1} END {print s + 0}')
[ "$py_rc" -ne 0 ] && [ "$py_failed" -eq 0 ] && py_failed=1  # e.g. a collection error

# The addon alone, as an admin installs it: only epicentr_connector/ copied into an addons
# folder of its own, nothing else of this repository on PYTHONPATH or the addons path.
ALONE=$(mktemp -d -t epicentr-addon-alone.XXXX)
cp -r epicentr_connector "$ALONE/"
find "$ALONE" -name __pycache__ -prune -exec rm -rf {} +
ALONE_PATH="$ODOO_SRC/addons,$ODOO_SRC/odoo/addons,$ALONE"
echo "== Odoo tests of the addon alone ($ALONE) in a fresh database '$DB'"
dropdb --if-exists "$DB" 2>/dev/null
(cd "$ALONE" && PYTHONPATH="$ODOO_SRC" "$VENV/bin/python" "$ODOO_SRC/odoo-bin" --addons-path="$ALONE_PATH" -d "$DB" \
    -i epicentr_connector,l10n_ua --test-tags "${ODOO_TEST_TAGS:-/epicentr_connector}" \
    --without-demo=all --stop-after-init --log-level=test --http-port="${ODOO_TEST_PORT:-18069}" \
    --db_host= --max-cron-threads=0) > "$LOG" 2>&1
odoo_rc=$?
grep -E "(ERROR|FAIL|CRITICAL)" "$LOG" | grep -v "ERROR.*werkzeug" | head -50
odoo_result "$LOG" "$odoo_rc"
odoo_rc=$odoo_ok
[ "$odoo_rc" -eq 0 ] && rm -f "$LOG" || echo "test: full Odoo log kept in $LOG"

# The same tests under pytest-odoo, on the database the run above left with the addon installed
# (browser tours need --odoo-http and are skipped here: odoo-bin ran them above).
echo "== the addon's Odoo tests under pytest-odoo"
PTLOG=$(mktemp -t epicentr-pytest-odoo.XXXX.log)
(cd "$ALONE" && PYTHONPATH="$ODOO_SRC" "$VENV/bin/python" -m pytest -q -p no:cacheprovider -W ignore::DeprecationWarning --rootdir="$ALONE" \
    --odoo-database="$DB" --odoo-addons-path="$ALONE_PATH" epicentr_connector/tests ${PYTEST_ODOO_ARGS:-}) 2>&1 | tee "$PTLOG" | tail -5
pt_rc=${PIPESTATUS[0]}
pt_last=$(tail -1 "$PTLOG"); rm -f "$PTLOG"
pt_passed=$(echo "$pt_last" | grep -oE "[0-9]+ passed" | grep -oE "[0-9]+" || echo 0)
pt_failed=$(echo "$pt_last" | grep -oE "[0-9]+ (failed|errors?)" | awk '{s += $1} END {print s + 0}')
[ "$pt_rc" -ne 0 ] && [ "$pt_failed" -eq 0 ] && pt_failed=1
[ "$pt_rc" -eq 0 ] && rm -rf "$ALONE"

odoo_passed=$((odoo_total - odoo_failed))
echo "odoo: $odoo_passed passed, $odoo_failed failed"
echo "pytest-odoo: $pt_passed passed, $pt_failed failed"
echo "total: $((py_passed + odoo_passed + pt_passed)) passed, $((py_failed + odoo_failed + pt_failed)) failed"
[ "$py_rc" -eq 0 ] && [ "$odoo_rc" -eq 0 ] && [ "$pt_rc" -eq 0 ]

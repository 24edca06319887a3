#!/usr/bin/env bash
# `make peer-test`: Odoo's own sale, sale_stock and stock_delivery test suites on a fresh
# database with epicentr_connector installed - the addon must not break its neighbours.
# Not part of `make test` (it takes far longer). The last line is "N passed, N failed".
#   PEER_DB        the database to (re)create (default epicentr_peer)
#   PEER_TAGS      the --test-tags (default /sale,/sale_stock,/stock_delivery)
#   PEER_MODULES   the modules to install (default epicentr_connector; for the comparison run
#                  without the addon: sale_management,sale_stock,stock_delivery,sms)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash tools/setup.sh >/dev/null || exit 2
export EPICENTR_ROOT="$ROOT"  # this checkout's addon, whatever the current directory
# shellcheck disable=SC1091
source "${EPICENTR_CACHE:-$HOME/.cache/epicentr_connector}/env.sh"
source tools/odoo_result.sh
DB=${PEER_DB:-epicentr_peer}
TAGS=${PEER_TAGS:-/sale,/sale_stock,/stock_delivery}
MODULES=${PEER_MODULES:-epicentr_connector}
LOG=${PEER_LOG:-$(mktemp -t epicentr-peer-test.XXXX.log)}

echo "== Odoo's $TAGS tests with $MODULES installed, fresh database '$DB' (log: $LOG)"
started=$(date +%s)
dropdb --if-exists "$DB" 2>/dev/null
"$VENV/bin/python" "$ODOO_SRC/odoo-bin" --addons-path="$ADDONS_PATH" -d "$DB" \
    -i "$MODULES" --test-tags "$TAGS" \
    --without-demo=all --stop-after-init --log-level=test --http-port="${ODOO_TEST_PORT:-18169}" \
    --db_host= --max-cron-threads=0 > "$LOG" 2>&1
rc=$?
# the failing tests by name (odoo.tests.result logs "FAIL: Class.test" / "ERROR: Class.test")
grep -E "(ERROR|FAIL): [A-Za-z_]+\.test" "$LOG" | sed -E 's/.* (ERROR|FAIL): /\1: /' | sort -u | head -50
odoo_result "$LOG" "$rc"
rc=$odoo_ok
[ -z "${PEER_KEEP_DB:-}" ] && dropdb --if-exists "$DB" 2>/dev/null
echo "peer-test: $(( $(date +%s) - started )) s; full log in $LOG"
echo "$((odoo_total - odoo_failed)) passed, $odoo_failed failed"
exit "$rc"

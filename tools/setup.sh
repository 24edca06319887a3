#!/usr/bin/env bash
# Brings this machine to a state where the tests, the demo and the benchmark run.
# Idempotent: every step checks first and does only what is missing.
#
#   ODOO_SRC        an Odoo 18.0 source tree (the folder holding odoo-bin and addons/).
#                   Remembered in $EPICENTR_CACHE/odoo_src: later runs without it reuse it.
#                   Unset and nothing remembered: $EPICENTR_CACHE/odoo-18.0, downloaded from
#                   Odoo's official 18.0 source archive when it is not there yet.
#   EPICENTR_CACHE  where the venv and the downloaded Odoo live (default ~/.cache/epicentr_connector);
#                   never inside the repository.
#
# Prints nothing but progress; the last line is "setup: ready".
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${EPICENTR_CACHE:-$HOME/.cache/epicentr_connector}
ODOO_URL=${ODOO_URL:-https://github.com/odoo/odoo/archive/refs/heads/18.0.tar.gz}
PY=${PYTHON:-python3}
mkdir -p "$CACHE"

say() { echo "setup: $*"; }
die() { echo "setup: ERROR: $*" >&2; exit 2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
    say "installing Debian packages: $*"
    [ -f "$CACHE/.apt-updated" ] || { as_root apt-get update -qq && touch "$CACHE/.apt-updated"; }
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# --- 1. Debian packages: PostgreSQL, headers psycopg2/python-ldap build against, Chromium ---
missing=()
for pkg in postgresql libpq-dev libldap2-dev libsasl2-dev chromium; do  # chromium: the browser tours
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

# --- 2. Odoo 18.0 source, outside the repository ---
valid_odoo() { [ -f "$1/odoo-bin" ] && [ -d "$1/addons/sale" ] && grep -q "version_info = (18, 0" "$1/odoo/release.py" 2>/dev/null; }
remembered=$(cat "$CACHE/odoo_src" 2>/dev/null || true)
if [ -z "${ODOO_SRC:-}" ] && [ -n "$remembered" ] && valid_odoo "$remembered"; then
    ODOO_SRC=$remembered
fi
if [ -n "${ODOO_SRC:-}" ]; then
    valid_odoo "$ODOO_SRC" || die "ODOO_SRC=$ODOO_SRC is not an Odoo 18.0 source tree (expected odoo-bin, addons/sale and odoo/release.py with version 18.0 in it)."
else
    ODOO_SRC=$CACHE/odoo-18.0
    if ! valid_odoo "$ODOO_SRC"; then
        say "Odoo 18.0 source not found at $ODOO_SRC; downloading $ODOO_URL"
        tmp=$(mktemp -d "$CACHE/odoo-download.XXXX")
        if curl -fsSL --connect-timeout 15 --max-time 900 "$ODOO_URL" | tar -xz -C "$tmp" 2>/dev/null \
            && valid_odoo "$(echo "$tmp"/*/)"; then
            rm -rf "$ODOO_SRC" && mv "$tmp"/*/ "$ODOO_SRC" && rm -rf "$tmp"
        else
            rm -rf "$tmp"
            die "Odoo 18.0 source is missing and could not be downloaded from $ODOO_URL.
    Set ODOO_SRC to a folder holding an Odoo 18.0 source tree (with odoo-bin and addons/), e.g.
        git clone --depth 1 -b 18.0 https://github.com/odoo/odoo ~/odoo-18.0
        ODOO_SRC=~/odoo-18.0 make test"
        fi
    fi
fi
ODOO_SRC=$(cd "$ODOO_SRC" && pwd)
echo "$ODOO_SRC" > "$CACHE/odoo_src"

# --- 3. Python virtual environment with Odoo's requirements and ours ---
VENV=$CACHE/venv
req_odoo=$CACHE/odoo-requirements.txt
# Odoo pins cbor2==5.4.2, whose sdist no longer builds; 5.6.5 ships a wheel and works.
sed -E 's/^cbor2==5\.4\.2/cbor2==5.6.5/' "$ODOO_SRC/requirements.txt" > "$req_odoo"
stamp=$(cat "$req_odoo" "$ROOT/tools/requirements.txt" | sha256sum | cut -c1-16)
# pip's notes about absent local wheel folders are noise here; real errors still stop the script.
pip_install() { "$VENV/bin/pip" install -q "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }; return "${PIPESTATUS[0]}"; }
if [ "$(cat "$VENV/.stamp" 2>/dev/null)" != "$stamp" ]; then
    say "building the Python environment in $VENV (a few minutes the first time)"
    [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
    pip_install --upgrade "pip<25" "setuptools<70" wheel
    pip_install -r "$req_odoo"
    pip_install -r "$ROOT/tools/requirements.txt"
    echo "$stamp" > "$VENV/.stamp"
fi

# --- 4. A PostgreSQL cluster, running, with a superuser role for the current OS user ---
PGVER=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -q "^$PGVER main$"; then
    say "creating PostgreSQL $PGVER cluster 'main'"
    as_root pg_createcluster "$PGVER" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$PGVER" '$1==v && $2=="main" {print $4}' | grep -q online; then
    say "starting PostgreSQL $PGVER"
    as_root pg_ctlcluster "$PGVER" main start
fi
for i in $(seq 1 50); do pg_isready -q && break; sleep 0.2; done
pg_isready -q || die "PostgreSQL did not come up; see /var/log/postgresql/postgresql-$PGVER-main.log"
me=$(id -un)
if ! as_root su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='$me'\"" | grep -q 1; then
    say "creating PostgreSQL role $me"
    as_root su postgres -c "createuser -s $me"
fi

# --- 5. What the other scripts read ---
# Shared by every checkout on this machine (CI's clone, a developer's): the repository is the
# one the sourcing shell stands in (EPICENTR_ROOT overrides), never one baked in here.
cat > "$CACHE/env.sh" <<ENV
export ODOO_SRC="$ODOO_SRC"
export VENV="$VENV"
_epicentr_root="\${EPICENTR_ROOT:-\$(git rev-parse --show-toplevel 2>/dev/null || pwd)}"
export PYTHONPATH="$ODOO_SRC:\$_epicentr_root\${PYTHONPATH:+:\$PYTHONPATH}"
export ADDONS_PATH="$ODOO_SRC/addons,$ODOO_SRC/odoo/addons,\$_epicentr_root"
ENV
say "Odoo: $ODOO_SRC"
say "ready"

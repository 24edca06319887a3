#!/usr/bin/env bash
# `make demo`: the sandbox with a few hundred orders that keep moving, an Odoo database with
# the addon and a source connected to the sandbox, and Odoo on http://localhost:8069.
# Ctrl-C stops everything it started; a rerun reuses the database.
#   DEMO_DB (epicentr_demo), DEMO_PORT (8069), SANDBOX_PORT (8090), DEMO_ORDERS (300)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash tools/setup.sh
source "${EPICENTR_CACHE:-$HOME/.cache/epicentr_connector}/env.sh"
DB=${DEMO_DB:-epicentr_demo}
PORT=${DEMO_PORT:-8069}
SANDBOX_PORT=${SANDBOX_PORT:-8090}
TOKEN=demo-token
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; echo "demo: stopped"; }
trap cleanup EXIT
trap 'exit 130' INT TERM  # Ctrl-C: leave through the EXIT trap, which stops what was started

"$VENV/bin/python" -m epicentr_sandbox --port "$SANDBOX_PORT" --orders "${DEMO_ORDERS:-300}" --token "$TOKEN" \
    --live --quiet > /tmp/epicentr-demo-sandbox.log 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$SANDBOX_PORT/__sandbox__/requests" >/dev/null && break; sleep 0.2; done

odoo() { "$VENV/bin/python" "$ODOO_SRC/odoo-bin" --addons-path="$ADDONS_PATH" -d "$DB" "$@"; }
if ! psql -d "$DB" -tAc "SELECT 1 FROM ir_module_module WHERE name='epicentr_connector' AND state='installed'" 2>/dev/null | grep -q 1; then
    echo "demo: creating database $DB (about a minute)"
    dropdb --if-exists "$DB"
    odoo -i epicentr_connector --without-demo=all --load-language=uk_UA --stop-after-init --log-level=warn
fi
"$VENV/bin/python" tools/demo_setup.py "$DB" "http://127.0.0.1:$SANDBOX_PORT" "$TOKEN"

odoo --http-interface=127.0.0.1 --http-port="$PORT" --max-cron-threads=2 --log-level=warn \
    > /tmp/epicentr-demo-odoo.log 2>&1 &
pids+=($!)
cat <<MSG

demo: Odoo      http://localhost:$PORT   (log /tmp/epicentr-demo-odoo.log)
demo: logins    admin / admin (Epicentr manager)   olena / olena (salesperson; also taras, mariana)
demo: sandbox   http://127.0.0.1:$SANDBOX_PORT (Epicentr stand-in; a new order every ~20 s)
demo: the history is imported within a minute: Sales → Orders → Epicentr Orders. Ctrl-C stops.
MSG
wait "${pids[@]}"

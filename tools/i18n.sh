#!/usr/bin/env bash
# Refresh epicentr_connector/i18n/: export the .pot from a database with the addon installed,
# then merge it into uk.po and ru.po (new terms arrive untranslated; tests/test_i18n.py fails
# until someone who reads the language translates them).
#   I18N_DB   the database to export from (default epicentr_i18n, (re)created)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash tools/setup.sh >/dev/null
source "${EPICENTR_CACHE:-$HOME/.cache/epicentr_connector}/env.sh"
DB=${I18N_DB:-epicentr_i18n}
dropdb --if-exists "$DB" 2>/dev/null
odoo() { "$VENV/bin/python" "$ODOO_SRC/odoo-bin" --addons-path="$ADDONS_PATH" -d "$DB" \
    --without-demo=all --stop-after-init --max-cron-threads=0 --log-level=warn "$@"; }
odoo -i epicentr_connector
odoo --i18n-export=epicentr_connector/i18n/epicentr_connector.pot --modules=epicentr_connector
dropdb "$DB"
for lang in uk ru; do
    msgmerge --quiet --update --backup=none --no-fuzzy-matching \
        "epicentr_connector/i18n/$lang.po" epicentr_connector/i18n/epicentr_connector.pot
    msgattrib --no-obsolete --output-file="epicentr_connector/i18n/$lang.po" "epicentr_connector/i18n/$lang.po"
done
echo "i18n: untranslated terms: $(for l in uk ru; do msgattrib --untranslated epicentr_connector/i18n/$l.po | grep -c '^msgid' ; done | paste -sd/)"

"""18.0.2.0.0: names that say what things are (see the README's changelog). Renames the outbox
model, the fields and their records in place (utils/renames.py)."""

from odoo.tools import SQL

from odoo.addons.epicentr_connector.utils.renames import MODULE, rename_field, rename_model

MODELS = [("epicentr.push", "epicentr.outbox")]
# (model, old name, new name, stored)
FIELDS = [
    ("epicentr.source", "manager_ids", "salesperson_ids", False),
    ("epicentr.source", "last_sync_at", "sync_cursor_at", True),
    ("sale.order", "epicentr_order_id", "epicentr_uuid", True),
    ("sale.order", "epicentr_sync_state", "epicentr_push_state", True),
    ("sale.order", "epicentr_sync_error", "epicentr_push_error", True),
    ("sale.order", "epicentr_push_ids", "epicentr_outbox_ids", False),
    ("stock.picking", "epicentr_sync_state", "epicentr_push_state", False),
    ("stock.picking", "epicentr_sync_error", "epicentr_push_error", False),
]
RELATION_TABLES = [("epicentr_source_manager_rel", "epicentr_source_salesperson_rel")]


def migrate(cr, version):
    if not version:
        return
    for old, new in MODELS:
        rename_model(cr, old, new)
    for model, old, new, stored in FIELDS:
        rename_field(cr, model, old, new, stored)
    for old, new in RELATION_TABLES:
        cr.execute(SQL("ALTER TABLE %s RENAME TO %s", SQL.identifier(old), SQL.identifier(new)))
        cr.execute("UPDATE ir_model_fields SET relation_table = %s WHERE relation_table = %s", [new, old])
        cr.execute("UPDATE ir_model_relation SET name = %s WHERE name = %s", [new, old])
    # the record rules are noupdate data: their domains name the renamed field
    cr.execute("""UPDATE ir_rule SET domain_force = replace(domain_force, 'manager_ids', 'salesperson_ids')
                   WHERE id IN (SELECT res_id FROM ir_model_data WHERE module = %s AND model = 'ir.rule')""",
               [MODULE])

"""18.0.2.0.0: names that say what things are (see the README's changelog). Renames the outbox
model, the fields and their records in place, before the registry loads the new names, so that
Odoo finds every column, field and record it knows under its new name and removes nothing:
a field record Odoo thinks obsolete would drop its column, a selection value record would
blank the values."""

from odoo.tools import SQL

MODULE = "epicentr_connector"
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


def _table(model):
    return model.replace(".", "_")


def _rename_xmlids(cr, old_prefix, new_prefix):
    cr.execute("""UPDATE ir_model_data SET name = %s || substr(name, length(%s) + 1)
                   WHERE module = %s AND name LIKE %s""",
               [new_prefix, old_prefix, MODULE, old_prefix.replace("_", r"\_") + "%"])


def _rename_model(cr, old, new):
    old_t, new_t = _table(old), _table(new)
    cr.execute(SQL("ALTER TABLE %s RENAME TO %s", SQL.identifier(old_t), SQL.identifier(new_t)))
    cr.execute(SQL("ALTER SEQUENCE IF EXISTS %s RENAME TO %s", SQL.identifier(f"{old_t}_id_seq"),
                   SQL.identifier(f"{new_t}_id_seq")))
    cr.execute("UPDATE ir_model SET model = %s WHERE model = %s", [new, old])
    cr.execute("UPDATE ir_model_fields SET model = %s WHERE model = %s", [new, old])
    cr.execute("UPDATE ir_model_fields SET relation = %s WHERE relation = %s", [new, old])
    cr.execute("UPDATE ir_model_data SET model = %s WHERE model = %s", [new, old])
    cr.execute("UPDATE ir_ui_view SET model = %s WHERE model = %s", [new, old])
    cr.execute("UPDATE ir_act_window SET res_model = %s WHERE res_model = %s", [new, old])
    # every record of the module named after the model: the model and its fields and selection
    # values, views, actions, menus, the cron, rules, rights
    cr.execute("""UPDATE ir_model_data SET name = replace(name, %s, %s)
                   WHERE module = %s AND name LIKE %s""", [old_t, new_t, MODULE, f"%{old_t}%"])


def _rename_field(cr, model, old, new, stored):
    table = _table(model)
    if stored:
        cr.execute(SQL("ALTER TABLE %s RENAME COLUMN %s TO %s", SQL.identifier(table), SQL.identifier(old),
                       SQL.identifier(new)))
    cr.execute("UPDATE ir_model_fields SET name = %s WHERE model = %s AND name = %s", [new, model, old])
    cr.execute("UPDATE ir_model_data SET name = %s WHERE module = %s AND name = %s",
               [f"field_{table}__{new}", MODULE, f"field_{table}__{old}"])
    _rename_xmlids(cr, f"selection__{table}__{old}__", f"selection__{table}__{new}__")


def migrate(cr, version):
    if not version:
        return
    for old, new in MODELS:
        _rename_model(cr, old, new)
    for model, old, new, stored in FIELDS:
        _rename_field(cr, model, old, new, stored)
    for old, new in RELATION_TABLES:
        cr.execute(SQL("ALTER TABLE %s RENAME TO %s", SQL.identifier(old), SQL.identifier(new)))
        cr.execute("UPDATE ir_model_fields SET relation_table = %s WHERE relation_table = %s", [new, old])
        cr.execute("UPDATE ir_model_relation SET name = %s WHERE name = %s", [new, old])
    # the record rules are noupdate data: their domains name the renamed field
    cr.execute("""UPDATE ir_rule SET domain_force = replace(domain_force, 'manager_ids', 'salesperson_ids')
                   WHERE id IN (SELECT res_id FROM ir_model_data WHERE module = %s AND model = 'ir.rule')""",
               [MODULE])

"""Renames in place, for the migrations: run before the registry loads the new names, so that Odoo
finds every column, field and record it knows under its new name and removes nothing (a field
record Odoo thinks obsolete would drop its column, a selection value record would blank the values)."""

from odoo.tools import SQL
from odoo.tools.sql import column_exists

MODULE = "epicentr_connector"


def table(model):
    return model.replace(".", "_")


def rename_xmlids(cr, old_prefix, new_prefix):
    cr.execute("""UPDATE ir_model_data SET name = %s || substr(name, length(%s) + 1)
                   WHERE module = %s AND name LIKE %s""",
               [new_prefix, old_prefix, MODULE, old_prefix.replace("_", r"\_") + "%"])


def rename_model(cr, old, new):
    old_t, new_t = table(old), table(new)
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


def rename_field(cr, model, old, new, stored):
    name = table(model)
    if stored and column_exists(cr, name, old) and not column_exists(cr, name, new):  # once, whatever reruns
        cr.execute(SQL("ALTER TABLE %s RENAME COLUMN %s TO %s", SQL.identifier(name), SQL.identifier(old),
                       SQL.identifier(new)))
    cr.execute("UPDATE ir_model_fields SET name = %s WHERE model = %s AND name = %s", [new, model, old])
    cr.execute("UPDATE ir_model_data SET name = %s WHERE module = %s AND name = %s",
               [f"field_{name}__{new}", MODULE, f"field_{name}__{old}"])
    rename_xmlids(cr, f"selection__{name}__{old}__", f"selection__{name}__{new}__")


def rename_selection_value(cr, model, field, old, new):
    """A stored selection value: the records holding it, and its ir.model.fields.selection record."""
    if not column_exists(cr, table(model), field):  # a version before the field
        return
    cr.execute(SQL("UPDATE %s SET %s = %s WHERE %s = %s", SQL.identifier(table(model)), SQL.identifier(field), new,
                   SQL.identifier(field), old))
    cr.execute("""UPDATE ir_model_fields_selection SET value = %s WHERE value = %s AND field_id = (
                    SELECT id FROM ir_model_fields WHERE model = %s AND name = %s)""", [new, old, model, field])
    cr.execute("UPDATE ir_model_data SET name = %s WHERE module = %s AND name = %s",
               [f"selection__{table(model)}__{field}__{new}", MODULE, f"selection__{table(model)}__{field}__{old}"])

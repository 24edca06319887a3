"""18.0.6.0.0: one word per concept (see the README's changelog). Epicentr's order total is no
"subtotal", the tracking number has one name, a push that needs a person has "failed" (as its
outbox entries), an offer that will be sent again is "retry", and an order that failed to import
is kept as named values instead of a list of positions. Renamed in place (utils/renames.py)."""

import json

from odoo.addons.epicentr_connector.utils.renames import rename_field, rename_selection_value

FIELDS = [
    ("sale.order", "epicentr_subtotal", "epicentr_total", True),
    ("sale.order", "epicentr_ttn", "epicentr_tracking_number", True),
]
SELECTION_VALUES = [
    ("sale.order", "epicentr_push_state", "error", "failed"),
    ("epicentr.offer", "state", "error", "retry"),
]
# the activity type of a failed push, renamed where nobody changed its name ({lang: name})
ACTIVITY_NAMES = {"en_US": "Epicentr push failed", "uk_UA": "Не вдалося передати в Епіцентр",
                  "ru_RU": "Не удалось передать в Эпицентр"}
# the positions of a failed order's list in source.failed_orders (18.0.1.x kept the first two)
FAILURE_KEYS = ("number", "reason", "attempts", "next_try", "fingerprint")


def failure_values(failure):
    if isinstance(failure, dict):
        return failure
    values = dict(zip(FAILURE_KEYS, [*failure, *[None] * len(FAILURE_KEYS)]))
    return {**values, "attempts": values["attempts"] or 1}


def migrate(cr, version):
    if not version:
        return
    for model, old, new, stored in FIELDS:
        rename_field(cr, model, old, new, stored)
    for model, field, old, new in SELECTION_VALUES:
        rename_selection_value(cr, model, field, old, new)
    cr.execute("""SELECT t.id, t.name FROM mail_activity_type t JOIN ir_model_data d ON d.res_id = t.id
                   AND d.model = 'mail.activity.type' AND d.module = 'epicentr_connector'
                   AND d.name = 'mail_activity_epicentr_outbox_error' WHERE t.name->>'en_US' = 'Epicentr sync error'""")
    for type_id, names in cr.fetchall():
        names = {lang: ACTIVITY_NAMES.get(lang, ACTIVITY_NAMES["en_US"]) for lang in names}
        cr.execute("UPDATE mail_activity_type SET name = %s::jsonb WHERE id = %s", [json.dumps(names), type_id])
    cr.execute("SELECT id, failed_orders FROM epicentr_source WHERE failed_orders IS NOT NULL")
    for source_id, failed in cr.fetchall():
        failed = {uuid: failure_values(failure) for uuid, failure in (failed or {}).items()}
        cr.execute("UPDATE epicentr_source SET failed_orders = %s::jsonb WHERE id = %s", [json.dumps(failed), source_id])

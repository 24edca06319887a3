from odoo import api, fields, models

from .. import const

DEFAULT_RULES = [
    # (event, Epicentr status, only with a tracking number)
    ("order_confirmed", "confirmed", False),
    ("order_cancelled", "canceled", False),
    ("delivery_done", "sent", True),
]


class EpicentrStatusRule(models.Model):
    _name = "epicentr.status.rule"
    _description = "Epicentr status rule"
    _order = "source_id, sequence, id"

    source_id = fields.Many2one("epicentr.source", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    odoo_event = fields.Selection(
        const.ODOO_EVENTS, string="When in Odoo", required=True,
        help="What happens in Odoo: a quotation confirmed, an order cancelled, its delivery "
        "validated, or a tracking number entered on its delivery.",
    )
    epicentr_status = fields.Selection(
        const.SELLER_STATUSES, string="Set on Epicentr", required=True,
        help="The status the order gets on Epicentr. Epicentr lets no step be skipped: the "
        "connector walks the steps in between (e.g. new → confirmed by the seller → "
        "confirmed), each one only if Epicentr allows it at that moment.",
    )
    require_tracking = fields.Boolean(
        string="Only with a Tracking Number",
        help="Apply the rule only when the order's delivery has a tracking number "
        "(Epicentr refuses “sent” without one).",
    )

    _sql_constraints = [
        ("event_unique", "UNIQUE(source_id, odoo_event)", "A source has one rule per Odoo event."),
    ]

    @api.model
    def _default_rule_values(self):
        return [
            {"odoo_event": event, "epicentr_status": status, "require_tracking": tracking}
            for event, status, tracking in DEFAULT_RULES
        ]

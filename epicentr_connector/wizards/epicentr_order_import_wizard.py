from odoo import api, fields, models


class EpicentrOrderImportWizard(models.TransientModel):
    _name = "epicentr.order.import.wizard"
    _description = "Import an Epicentr order by its number"

    source_id = fields.Many2one(
        "epicentr.source", string="Epicentr Source", required=True, ondelete="cascade",
        domain=[("active", "=", True)],
        default=lambda self: self._default_source_id(),
    )
    number = fields.Char(
        string="Epicentr Order Number", required=True,
        help="The order number shown in the Epicentr seller cabinet, e.g. 58312345. "
        "The order is imported (or refreshed) whatever its date; nothing is sent to Epicentr.",
    )

    @api.model
    def _default_source_id(self):
        if self.env.context.get("active_model") == "epicentr.source" and self.env.context.get("active_id"):
            return self.env.context["active_id"]
        sources = self.env["epicentr.source"].search([("active", "=", True)], limit=2)
        return sources.id if len(sources) == 1 else False

    def action_import(self):
        self.ensure_one()
        orders = self.source_id._import_order_number(self.number.strip())
        action = {
            "type": "ir.actions.act_window",
            "name": self.env._("Epicentr Orders"),
            "res_model": "sale.order",
            "context": {"create": False},
        }
        if len(orders) == 1:
            return {**action, "view_mode": "form", "views": [(False, "form")], "res_id": orders.id}
        return {
            **action,
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", orders.ids)],
        }

from odoo import api, fields, models

from .. import const


class EpicentrCancelWizard(models.TransientModel):
    _name = "epicentr.cancel.wizard"
    _description = "Cancel an Epicentr order with a reason"

    order_ids = fields.Many2many("sale.order", required=True)
    reason_key = fields.Selection(
        selection="_selection_reasons", string="Reason", required=True,
        help="Epicentr's reason for the cancellation; it is sent with the cancellation.")
    comment = fields.Text(help="Sent to Epicentr with the reason (optional).")
    past_new = fields.Boolean(compute="_compute_past_new")

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        wizards.order_ids.check_access("write")
        return wizards

    @api.model
    def _selection_reasons(self):
        orders = self.env["sale.order"].browse(self.env.context.get("default_order_ids") or [])
        source = orders.epicentr_source_id[:1] or self.env["epicentr.source"].search([], limit=1)
        return self.env["epicentr.cancel.reason"]._of(source) if source else list(const.FALLBACK_CANCEL_REASONS)

    @api.depends("order_ids.epicentr_status")
    def _compute_past_new(self):
        for wizard in self:
            wizard.past_new = any(o.epicentr_status != "new" for o in wizard.order_ids)

    def action_cancel_orders(self):
        self.ensure_one()
        return self.order_ids._epicentr_cancel(self.reason_key, self.comment)

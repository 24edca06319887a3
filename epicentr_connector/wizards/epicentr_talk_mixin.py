"""What a salesperson tells Epicentr about an order without the cabinet: the result of the call to
the buyer, a comment in the order's thread, lower quantities of its items. All go through the
outbox, after the click's commit, like every write to Epicentr."""

from odoo import api, fields, models
from odoo.exceptions import UserError


class EpicentrTalkMixin(models.AbstractModel):
    _name = "epicentr.talk.mixin"
    _description = "Tell Epicentr about an order"

    order_id = fields.Many2one("sale.order", required=True, ondelete="cascade", readonly=True)
    skip_contact = fields.Boolean(related="order_id.epicentr_skip_contact")

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        wizards.order_id.check_access("write")  # a wizard is opened on an order its user may change
        return wizards

    def _enqueue(self, values):
        """An outbox entry for the order, for whoever may change the order (checked before the sudo)."""
        self.ensure_one()
        order = self.order_id
        order.check_access("write")
        if not (order.epicentr_source_id and order.epicentr_uuid):
            raise UserError(self.env._("%(order)s is not an Epicentr order.", order=order.display_name))
        self.env["epicentr.outbox"].sudo()._enqueue([{
            "source_id": order.epicentr_source_id.id, "order_id": order.id, **values}])
        return {"type": "ir.actions.act_window_close"}

from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..utils.switches import switch
from ..utils.tracking import normalize_tracking


class StockPicking(models.Model):
    _inherit = "stock.picking"

    # Where the push of the order's changes to Epicentr stands, shown beside the tracking
    # reference: computed as the user who reads it (not as superuser, as a related field would),
    # so only to those who may read the order.
    epicentr_push_state = fields.Selection(
        selection=lambda self: self.env["sale.order"]._fields["epicentr_push_state"].selection,
        compute="_compute_epicentr_push", compute_sudo=False)
    epicentr_push_error = fields.Text(compute="_compute_epicentr_push", compute_sudo=False)

    @api.depends("sale_id.epicentr_push_state", "sale_id.epicentr_push_error")
    @api.depends_context("uid")
    def _compute_epicentr_push(self):
        for picking in self:
            order = picking.sale_id
            readable = order and order.has_access("read")
            picking.epicentr_push_state = readable and order.epicentr_push_state
            picking.epicentr_push_error = readable and order.epicentr_push_error

    def write(self, vals):
        """A tracking number entered, changed or removed on an Epicentr order's delivery is
        noted for Epicentr (recorded in the outbox once the action has finished, sent after the commit)."""
        if "carrier_tracking_ref" not in vals or switch(self.env, "epicentr_importing"):
            return super().write(vals)
        # sudo: a stock user may validate the delivery of an order they may not read
        before = {p.id: normalize_tracking(p.carrier_tracking_ref) for p in self.sudo() if p.sale_id.epicentr_source_id}
        new_number = normalize_tracking(vals["carrier_tracking_ref"] or "")
        orders = self.sudo().filtered(lambda p: p.id in before and before[p.id] != new_number).sale_id.with_env(self.env)
        if orders and not orders.has_access("write"):
            # the number would be sent to Epicentr (and may move the order to "sent") on behalf of the order
            raise AccessError(self.env._(
                "Only users who may change the Epicentr order %(orders)s can change its tracking number.",
                orders=", ".join(orders.sudo().mapped("name"))))
        result = super().write(vals)
        Outbox = self.env["epicentr.outbox"]
        for picking in self.sudo().filtered(lambda p: p.id in before and p.picking_type_code == "outgoing"):
            now = normalize_tracking(picking.carrier_tracking_ref)
            if now != before[picking.id]:
                Outbox._note(picking.sale_id, "tracking_set" if now else "tracking_removed", picking)
        return result

    def _action_done(self):
        result = super()._action_done()
        if not switch(self.env, "epicentr_importing"):
            for picking in self.sudo().filtered(
                    lambda p: p.state == "done" and p.picking_type_code == "outgoing" and p.sale_id.epicentr_source_id):
                self.env["epicentr.outbox"]._note(picking.sale_id, "delivery_done", picking)
        return result

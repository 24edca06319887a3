"""Epicentr's delivery services as Odoo delivery methods: an imported order carries the one its
buyer chose, at the price Epicentr charged; validating its delivery asks Epicentr for the
waybill (OrderPush._make_waybill in sync/order_push.py makes it, after the commit)."""

from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import const
from .epicentr_order_lines import epicentr_total


class DeliveryCarrier(models.Model):
    _inherit = "delivery.carrier"

    delivery_type = fields.Selection(
        selection_add=[("epicentr", "Epicentr")],
        ondelete={"epicentr": lambda carriers: carriers.write({"delivery_type": "fixed", "fixed_price": 0})})
    epicentr_provider = fields.Selection(
        const.CARRIERS, string="Epicentr Delivery Service",
        help="The delivery service of Epicentr's orders this method stands for.")

    @api.model
    def _epicentr_carriers(self):
        """{Epicentr provider code: its delivery method}."""
        carriers = self.sudo().search([("delivery_type", "=", "epicentr"), ("epicentr_provider", "!=", False)])
        return {carrier.epicentr_provider: carrier for carrier in carriers}

    def epicentr_rate_shipment(self, order):
        """The price Epicentr charged the buyer for delivery (its delivery line): nothing invented."""
        price = sum(epicentr_total(line) for line in self.env["epicentr.order.lines"]._delivery_lines(order))
        return {"success": True, "price": price, "error_message": False, "warning_message": False}

    def epicentr_send_shipping(self, pickings):
        """Ask Epicentr for the waybills of ``pickings``: recorded now, made after the commit (a
        slow or absent Epicentr never blocks the warehouse); the number and label follow."""
        pickings._epicentr_request_waybill()
        return [{"exact_price": self.epicentr_rate_shipment(picking.sale_id)["price"] if picking.sale_id else 0.0,
                 "tracking_number": False} for picking in pickings]

    def epicentr_get_tracking_link(self, picking):
        if self.tracking_url and picking.carrier_tracking_ref:
            return self.tracking_url.replace("<shipmenttrackingnumber>", picking.carrier_tracking_ref)
        return False

    def epicentr_cancel_shipment(self, pickings):
        raise UserError(self.env._(
            "Epicentr's API cannot cancel a waybill: cancel it in the Epicentr cabinet (or the carrier's), "
            "then clear the tracking reference of %(deliveries)s.", deliveries=", ".join(pickings.mapped("name"))))

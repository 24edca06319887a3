"""Goods coming back: a parcel refused at the post office (Epicentr cancels an order already
shipped), a return Epicentr confirms (``returned``), or one the buyer asked for
(``return_requested``). The delivery's return is prepared with Odoo's own return wizard, once,
for the warehouse to validate when the parcel arrives; a request only tells the salesperson."""

from markupsafe import Markup

from odoo import api, models

RETURN_REQUESTED = "return_requested"


class EpicentrOrderReturns(models.AbstractModel):
    _name = "epicentr.order.returns"
    _description = "Epicentr returns and refused parcels"

    @api.model
    def _requested(self, order):
        """The buyer asked to return the goods: nothing is cancelled; the salesperson is told."""
        body = Markup("<p>%s</p>") % self.env._(
            "The buyer asked Epicentr to return this order's goods. When Epicentr confirms the return, "
            "Odoo prepares the return of the delivery.")
        order.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_note")
        order.activity_schedule("mail.mail_activity_data_warning", user_id=order.user_id.id or self.env.uid,
                                summary=order.env._("Return requested on Epicentr"), note=body)

    @api.model
    def _prepare(self, order):
        """The returns of the order's shipped deliveries, with what they shipped; a delivery whose
        return exists already (an earlier sync, the warehouse) is left alone. Returns them."""
        shipped = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing" and p.state == "done"
                                             and not p.return_ids.filtered(lambda r: r.state != "cancel"))
        returns = self.env["stock.picking"]
        refused = order.epicentr_status != "returned"
        for picking in shipped:
            wizard = self.env["stock.return.picking"].with_context(
                active_id=picking.id, active_model="stock.picking", active_ids=picking.ids).create({})
            back = self.env["stock.picking"].browse(wizard.action_create_returns_all()["res_id"])
            back.write({"origin": f"{back.origin} (Epicentr {order.epicentr_number})",
                        "carrier_tracking_ref": picking.carrier_tracking_ref})
            back.message_post(body=self._why(order, refused), message_type="comment", subtype_xmlid="mail.mt_note")
            returns |= back
        if returns:
            body = Markup("<p>%s</p>") % self.env._(
                "%(what)s The return %(returns)s is prepared: the warehouse validates it when the parcel arrives.",
                what=self._why(order, refused), returns=", ".join(returns.mapped("name")))
            order.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_note")
        return returns

    @api.model
    def _why(self, order, refused):
        reason = order.epicentr_cancel_reason_name or order.epicentr_cancel_comment
        if refused:
            text = self.env._("The parcel was refused: Epicentr cancelled the order after it was shipped "
                              "(status %(status)s).", status=order.epicentr_status_name)
        else:
            text = self.env._("Epicentr confirmed the return of the goods.")
        return f"{text} {self.env._('Reason: %(reason)s', reason=reason)}" if reason else text

"""Goods coming back: a parcel refused at the post office (Epicentr cancels an order already
shipped), a return Epicentr confirms (``returned``), or one the buyer asked for
(``return_requested``). The delivery's return is prepared with Odoo's own return wizard, once,
for the warehouse to validate when the parcel arrives; a request only tells the salesperson.
The money follows the goods: what comes back is no longer to invoice (sale.order.line's
qty_to_invoice), and what was invoiced of it gets a draft credit note."""

from markupsafe import Markup

from odoo import Command, api, models
from odoo.tools import float_compare, float_is_zero, formatLang

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
    def _prepare(self, order, card=None):
        """The returns of the order's shipped deliveries, with what comes back of them; a delivery
        whose return exists already (an earlier sync, the warehouse) is left alone. Then the
        money follows. Returns the returns."""
        shipped = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing" and p.state == "done"
                                             and not p.return_ids.filtered(lambda r: r.state != "cancel"))
        coming_back = self._coming_back(order, card)
        returns = self.env["stock.picking"]
        refused = order.epicentr_status != "returned"
        for picking in shipped:
            wizard = self.env["stock.return.picking"].with_context(
                active_id=picking.id, active_model="stock.picking", active_ids=picking.ids).create({})
            if coming_back is None:
                action = wizard.action_create_returns_all()
            else:
                for line in wizard.product_return_moves:
                    sale_line = line.move_id.sale_line_id
                    line.quantity = min(coming_back.get(sale_line, 0.0), line.move_id.quantity)
                    coming_back[sale_line] = coming_back.get(sale_line, 0.0) - line.quantity
                if all(float_is_zero(line.quantity, precision_rounding=line.uom_id.rounding)
                       for line in wizard.product_return_moves):
                    continue
                action = wizard.action_create_returns()
            back = self.env["stock.picking"].browse(action["res_id"])
            back.write({"origin": f"{back.origin} (Epicentr {order.epicentr_number})",
                        "carrier_tracking_ref": picking.carrier_tracking_ref})
            back.message_post(body=self._why(order, refused), message_type="comment", subtype_xmlid="mail.mt_note")
            returns |= back
        if returns:
            body = Markup("<p>%s</p>") % self.env._(
                "%(what)s The return %(returns)s is prepared: the warehouse validates it when the parcel arrives.",
                what=self._why(order, refused), returns=", ".join(returns.mapped("name")))
            order.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_note")
            self._credit(order)
        return returns

    @api.model
    def _coming_back(self, order, card):
        """{sale line: quantity} of a partial return, or None when all that was shipped comes back.
        Epicentr's card keeps to what the buyer pays for: when only part of the goods is returned,
        the returned order's card holds less than was shipped (an item removed, a quantity
        lowered), and the difference is what comes back. A card that still holds everything
        shipped, and any refused parcel, bring everything back. (The warehouse validates what
        really arrived; the money follows that.)"""
        if card is None or card.status != "returned":
            return None
        coming_back = {}
        for kind, item, line in self.env["epicentr.order.lines"]._differences(order, card):
            kept = item.quantity if kind == "changed" else 0.0
            if kind in ("removed", "changed") and float_compare(
                    line.qty_delivered, kept, precision_rounding=line.product_uom.rounding) > 0:
                coming_back[line] = line.qty_delivered - kept
        return coming_back or None

    @api.model
    def _credit(self, order):
        """The invoices follow the goods that came back: a draft invoice loses them, and what was
        invoiced of them gets a draft credit note for the accountant to post; if less came back
        than expected, a draft credit note lowers to it. Posted documents are never changed."""
        order = order.sudo()  # the warehouse validating a return may not touch invoices; this follows from it
        lines = order.order_line.filtered(lambda l: l.state == "sale" and not l.display_type
                                          and l._epicentr_qty_kept() is not None)
        owed, lowered = {}, self.env["account.move"]
        for line in lines:
            rounding = line.product_uom.rounding
            excess = line.qty_to_invoice  # < 0: invoiced beyond what the buyer keeps
            kinds = ("out_invoice",) if excess < 0 else ("out_refund",)
            for invoice_line in line.invoice_lines.filtered(
                    lambda i: i.move_id.state == "draft" and i.move_id.move_type in kinds):
                if float_is_zero(excess, precision_rounding=rounding):
                    break
                change, move = min(abs(excess), invoice_line.quantity), invoice_line.move_id
                move.write({"invoice_line_ids": [
                    Command.update(invoice_line.id, {"quantity": invoice_line.quantity - change})
                    if invoice_line.quantity - change > 0 else Command.delete(invoice_line.id)]})
                excess += change if excess < 0 else -change
                lowered |= move
            if float_compare(excess, 0, precision_rounding=rounding) < 0:
                owed[line] = -excess
        if lowered:
            body = Markup("<p>%s</p>") % self.env._(
                "Drafts changed to match the goods that came back: %(documents)s.",
                documents=", ".join(lowered.mapped("display_name")))
            order.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_note")
            lowered.filtered(lambda m: not m.invoice_line_ids).unlink()
        if not owed:
            return self.env["account.move"]
        invoices = order.invoice_ids.filtered(lambda m: m.move_type == "out_invoice" and m.state == "posted")
        credit_note = self.env["account.move"].with_company(order.company_id).sudo().create({
            **order._prepare_invoice(), "move_type": "out_refund", "transaction_ids": [],
            "reversed_entry_id": invoices.id if len(invoices) == 1 else False,
            "ref": self.env._("Goods back from Epicentr order %(number)s", number=order.epicentr_number),
            "invoice_line_ids": [Command.create(line._prepare_invoice_line(quantity=quantity))
                                 for line, quantity in owed.items()]})
        body = Markup("<p>%s</p>") % self.env._(
            "The goods that came back were invoiced: the draft credit note %(credit_note)s (%(total)s) "
            "waits for the accountant to post it.",
            credit_note=credit_note.display_name,
            total=formatLang(self.env, credit_note.amount_total, currency_obj=credit_note.currency_id))
        order.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_note")
        return credit_note

    @api.model
    def _why(self, order, refused):
        reason = order.epicentr_cancel_reason_name or order.epicentr_cancel_comment
        if refused:
            text = self.env._("The parcel was refused: Epicentr cancelled the order after it was shipped "
                              "(status %(status)s).", status=order.epicentr_status_name)
        else:
            text = self.env._("Epicentr confirmed the return of the goods.")
        return f"{text} {self.env._('Reason: %(reason)s', reason=reason)}" if reason else text

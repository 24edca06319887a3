from odoo import api, fields, models

from .epicentr_order_lines import DELIVERY


class SaleOrderLine(models.Model):
    _name = "sale.order.line"
    _inherit = ["sale.order.line", "epicentr.owned.fields"]

    epicentr_product_code = fields.Char(
        copy=False,
        readonly=True,
        help="The seller's product code Epicentr sent for this line (productExternalId, else "
        "sku). An unmatched line keeps it, so the product can be swapped in once it exists.",
    )
    epicentr_offer_id = fields.Char(
        string="Epicentr Offer ID", copy=False, readonly=True,
        help="Epicentr's offer this line came from: later changes of the order's items find their line by it.",
    )
    epicentr_price_total = fields.Monetary(
        string="Epicentr Line Total", copy=False, readonly=True,
        help="What the buyer pays Epicentr for this line, taxes included: the line keeps "
        "Epicentr's unit price with the product's taxes included in it.",
    )

    def _compute_tax_id(self):
        """On an Epicentr order, a line's price is gross as Epicentr's are (a line a salesperson
        adds too): each price-excluded tax becomes its price-included twin."""
        result = super()._compute_tax_id()
        epicentr = self.filtered(lambda l: l.order_id.epicentr_source_id and l.tax_id)
        gross = {company: self.env["account.fiscal.position"]._epicentr_gross_for(company) for company in epicentr.company_id}
        for line in epicentr:
            line.tax_id = gross[line.company_id]._epicentr_gross_taxes(line.tax_id)
        return result

    @api.depends("move_ids.state", "move_ids.product_uom_qty", "move_ids.quantity", "order_id.epicentr_return_state")
    def _compute_qty_to_invoice(self):
        """On an Epicentr order, what comes back is not the buyer's to pay, whatever the invoice
        policy, from the moment its return is prepared (Odoo's "delivered" policy would wait for the
        warehouse to receive it, its "ordered" policy would invoice it still); nor is the delivery
        fee of a refused parcel. Invoiced already, it is negative: what the credit note gives back."""
        result = super()._compute_qty_to_invoice()
        for line in self.filtered(lambda l: l.order_id.epicentr_source_id and l.state == "sale" and not l.display_type):
            kept = line._epicentr_qty_kept()
            if kept is not None:
                line.qty_to_invoice = kept - line.qty_invoiced
        return result

    def _epicentr_qty_kept(self):
        """What of the line stays with the buyer once its returns are counted, or None when
        nothing of it comes back."""
        self.ensure_one()
        order = self.order_id
        if self.product_id == self.env["epicentr.order.lines"]._product(DELIVERY):
            refused = order.epicentr_return_state in ("on_its_way", "returned") and order.epicentr_status != "returned"
            return 0.0 if refused else None
        returns = self._get_outgoing_incoming_moves()[1]
        if not returns:
            return None
        if self.product_id.invoice_policy == "delivery":  # the returns received are off qty_delivered already
            coming = returns.filtered(lambda m: m.state != "done")
            return self.qty_delivered - sum(m.product_uom._compute_quantity(m.product_uom_qty, self.product_uom)
                                            for m in coming)
        return self.product_uom_qty - sum(
            m.product_uom._compute_quantity(m.quantity if m.state == "done" else m.product_uom_qty, self.product_uom)
            for m in returns)

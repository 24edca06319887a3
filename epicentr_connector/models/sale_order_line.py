from odoo import fields, models


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

from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

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
        help="What the buyer pays Epicentr for this line, taxes included. The unit price is set "
        "so that Odoo's total with the product's taxes is this amount.",
    )

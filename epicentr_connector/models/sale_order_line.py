from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    epicentr_product_code = fields.Char(
        copy=False,
        readonly=True,
        help="The seller's product code Epicentr sent for this line (productExternalId, else "
        "sku). An unmatched line keeps it, so the product can be swapped in once it exists.",
    )

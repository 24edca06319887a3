from odoo import api, models


class StockQuant(models.Model):
    _inherit = "stock.quant"

    # Every change of stock on hand (moves done, inventory adjustments) and of reservations goes
    # through these two: the Epicentr offers of the product are compared again after the commit.
    @api.model
    def _update_available_quantity(self, product_id, *args, **kwargs):
        result = super()._update_available_quantity(product_id, *args, **kwargs)
        self.env["epicentr.offer"]._mark_products([product_id.id])
        return result

    @api.model
    def _update_reserved_quantity(self, product_id, *args, **kwargs):
        result = super()._update_reserved_quantity(product_id, *args, **kwargs)
        self.env["epicentr.offer"]._mark_products([product_id.id])
        return result

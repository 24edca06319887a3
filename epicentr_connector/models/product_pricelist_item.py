from odoo import api, models


class ProductPricelistItem(models.Model):
    _inherit = "product.pricelist.item"

    @api.model_create_multi
    def create(self, vals_list):
        items = super().create(vals_list)
        self.env["epicentr.offer"]._mark_pricelists(items.pricelist_id.ids)
        return items

    def write(self, vals):
        before = self.pricelist_id.ids
        result = super().write(vals)
        self.env["epicentr.offer"]._mark_pricelists(set(before + self.pricelist_id.ids))
        return result

    def unlink(self):
        pricelists = self.pricelist_id.ids
        result = super().unlink()
        self.env["epicentr.offer"]._mark_pricelists(pricelists)
        return result

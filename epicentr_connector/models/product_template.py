from odoo import models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    def write(self, vals):
        result = super().write(vals)
        # the price (list price, cost for cost-based price lists) or the archiving of the variants
        if vals.keys() & {"active", "list_price", "standard_price", "route_ids", "categ_id"}:
            self.env["epicentr.offer"]._mark_products(self.with_context(active_test=False).product_variant_ids.ids)
        return result

    def action_epicentr_publish(self):
        """Publish on Epicentr: the wizard that adds these products' variants to a source's offers."""
        return self.env["epicentr.offer.add.wizard"]._open_for(self.product_variant_ids)

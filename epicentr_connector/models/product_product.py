from odoo import models

# Routes that supply a product without stock on hand: with none free, its Epicentr offer is
# "under the order" rather than "not available" (the modules that define them may be absent).
SUPPLY_ROUTES = ("stock.route_warehouse0_mto", "purchase_stock.route_warehouse0_buy", "mrp.route_warehouse0_manufacture")


class ProductProduct(models.Model):
    _inherit = "product.product"

    def _epicentr_orderable_ids(self):
        """The ids of these products that can be supplied on order (a buy, manufacture or
        make-to-order route, on the product or its category)."""
        routes = {route.id for xmlid in SUPPLY_ROUTES if (route := self.env.ref(xmlid, raise_if_not_found=False))}
        return {product.id for product in self.sudo()
                if routes & set((product.route_ids | product.categ_id.total_route_ids).ids)}

    def _epicentr_orderable(self):
        return bool(self._epicentr_orderable_ids())

    def write(self, vals):
        result = super().write(vals)
        if vals.keys() & {"active", "lst_price", "price_extra", "standard_price"}:
            self.env["epicentr.offer"]._mark_products(self.ids)
        self.env["epicentr.offer"]._mark_feed_products(self.ids)
        return result

    def action_epicentr_publish(self):
        """Publish on Epicentr: the wizard that adds these products to a source's offers."""
        return self.env["epicentr.offer.add.wizard"]._open_for(self)

from odoo import api, fields, models

from .product_category import follow_category


class ProductTemplate(models.Model):
    _inherit = "product.template"

    # what Epicentr's catalogue feed needs beyond Odoo's own product data
    epicentr_category_id = fields.Many2one(
        "epicentr.category", domain=[("has_child", "=", False), ("deleted", "=", False)],
        help="Where this product is listed on Epicentr; empty: its product category's Epicentr category.")
    epicentr_attribute_set_id = fields.Many2one(
        "epicentr.attribute.set", compute="_compute_epicentr_attribute_set_id",
        store=True, readonly=False, domain="[('id', 'in', epicentr_set_choice_ids)]")
    epicentr_set_choice_ids = fields.Many2many(related="epicentr_category_id.attribute_set_ids")
    epicentr_brand = fields.Char(string="Brand", help="The brand Epicentr shows (the feed's vendor).")
    epicentr_length = fields.Integer(string="Length (mm)", help="Of the packed product, for Epicentr's catalogue.")
    epicentr_width = fields.Integer(string="Width (mm)")
    epicentr_height = fields.Integer(string="Height (mm)")

    @api.depends("epicentr_category_id")
    def _compute_epicentr_attribute_set_id(self):
        follow_category(self)

    def _epicentr_place(self):
        """(Epicentr category, attribute set): the product's own, else its category's."""
        self.ensure_one()
        if self.epicentr_category_id:
            return self.epicentr_category_id, self.epicentr_attribute_set_id
        return self.categ_id._epicentr_place()

    def write(self, vals):
        result = super().write(vals)
        self.env["epicentr.offer"]._mark_feed_products(self.with_context(active_test=False).product_variant_ids.ids)
        # the price (list price, cost for cost-based price lists) or the archiving of the variants
        if vals.keys() & {"active", "list_price", "standard_price", "route_ids", "categ_id"}:
            self.env["epicentr.offer"]._mark_products(self.with_context(active_test=False).product_variant_ids.ids)
        return result

    def action_epicentr_publish(self):
        """Publish on Epicentr: the wizard that adds these products' variants to a source's offers."""
        return self.env["epicentr.offer.add.wizard"]._open_for(self.product_variant_ids)

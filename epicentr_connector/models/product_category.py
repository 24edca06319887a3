from odoo import api, fields, models


class ProductCategory(models.Model):
    """Where a category's products go on Epicentr: an Epicentr category and its attribute set.
    A subcategory without its own takes its parent's; a product may name its own."""

    _inherit = "product.category"

    epicentr_category_id = fields.Many2one(
        "epicentr.category", domain=[("has_child", "=", False), ("deleted", "=", False)],
        help="The category of Epicentr's catalogue the products of this category are listed in (read by the "
        "source's Read Epicentr's Catalogue); subcategories without their own take it.")
    epicentr_attribute_set_id = fields.Many2one(
        "epicentr.attribute.set", compute="_compute_epicentr_attribute_set_id",
        store=True, readonly=False, domain="[('id', 'in', epicentr_set_choice_ids)]",
        help="The attributes Epicentr asks of these products: one of the Epicentr category's sets.")
    epicentr_set_choice_ids = fields.Many2many(related="epicentr_category_id.attribute_set_ids")

    @api.depends("epicentr_category_id")
    def _compute_epicentr_attribute_set_id(self):
        follow_category(self)

    def _epicentr_place(self):
        """(Epicentr category, attribute set) of this category or its nearest mapped parent."""
        # the chain from parent_path ("1/5/9/"), nearest first: no search per product of a feed
        chain = self.sudo().browse(int(part) for part in reversed((self.parent_path or "").split("/")) if part)
        for category in chain:
            if category.epicentr_category_id:
                return category.epicentr_category_id, category.epicentr_attribute_set_id
        return self.env["epicentr.category"], self.env["epicentr.attribute.set"]

    def write(self, vals):
        result = super().write(vals)
        if vals.keys() & {"epicentr_category_id", "epicentr_attribute_set_id", "parent_id"}:
            self.env["epicentr.offer"]._mark_feed_all()
        return result


def follow_category(records):
    """The attribute set of each record (product category or product) stays if its Epicentr
    category has it; else it becomes the category's first (most have one)."""
    for record in records:
        choices = record.epicentr_category_id.attribute_set_ids
        if record.epicentr_attribute_set_id not in choices:
            record.epicentr_attribute_set_id = choices[:1]

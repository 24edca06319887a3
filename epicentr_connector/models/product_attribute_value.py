from odoo import fields, models


class ProductAttributeValue(models.Model):
    _inherit = "product.attribute.value"

    epicentr_option_id = fields.Many2one(
        "epicentr.attribute.option",
        domain="[('attribute_id', '=', epicentr_attribute_id)]",
        help="Epicentr's option this value is (its valuecode in the feed), for an attribute Epicentr "
        "offers a list of values for; the others are written as they are.")
    epicentr_attribute_id = fields.Many2one(related="attribute_id.epicentr_attribute_id")

    def write(self, vals):
        result = super().write(vals)
        if "epicentr_option_id" in vals:
            self.env["epicentr.offer"]._mark_feed_all()
        return result

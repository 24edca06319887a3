import difflib

from odoo import fields, models

from .. import const


class ProductAttribute(models.Model):
    """Which Epicentr attribute an Odoo attribute is (its ``paramcode`` in the feed); the values
    of a select name Epicentr's options (product.attribute.value)."""

    _inherit = "product.attribute"

    epicentr_attribute_id = fields.Many2one(
        "epicentr.attribute",
        help="The attribute of Epicentr's catalogue this one is: the feed writes the products' values under its code.")
    epicentr_value_type = fields.Selection(related="epicentr_attribute_id.value_type")

    def write(self, vals):
        result = super().write(vals)
        if "epicentr_attribute_id" in vals:
            self.env["epicentr.offer"]._mark_feed_all()
        return result

    def action_epicentr_suggest(self):
        """Map by name: the Epicentr attribute of the closest title, then each value to the option
        of the closest title (Ukrainian or Russian). Only what is not mapped yet; the salesperson checks."""
        Attribute = self.env["epicentr.attribute"]
        for attribute in self:
            if not attribute.epicentr_attribute_id:
                attribute.epicentr_attribute_id = closest(attribute.name, Attribute.search([]))
            if attribute.epicentr_attribute_id.value_type in const.SELECT_TYPES:
                options = attribute.epicentr_attribute_id.option_ids
                for value in attribute.value_ids.filtered(lambda v: not v.epicentr_option_id):
                    value.epicentr_option_id = closest(value.name, options)
        return True


def closest(name, entries, cutoff=0.75):
    """The entry whose Ukrainian or Russian title is most like ``name`` (case aside), if like enough."""
    titles = {}
    for entry in entries:
        for title in (entry.name, entry.name_ru):
            if title:
                titles.setdefault(title.casefold(), entry)
    match = difflib.get_close_matches((name or "").casefold(), list(titles), n=1, cutoff=cutoff)
    return titles[match[0]] if match else entries.browse()

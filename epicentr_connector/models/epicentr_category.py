from odoo import api, fields, models


class EpicentrCategory(models.Model):
    """A category of Epicentr's catalogue (``/v2/pim/categories``): a product goes into a leaf
    that is not closed, described by one of the category's attribute sets."""

    _name = "epicentr.category"
    _inherit = "epicentr.pim.entry"
    _description = "Epicentr catalogue category"
    _order = "complete_name"
    _rec_name = "complete_name"

    parent_id = fields.Many2one("epicentr.category", readonly=True, index=True, ondelete="set null")
    complete_name = fields.Char(compute="_compute_complete_name", store=True, recursive=True)
    has_child = fields.Boolean(string="Has Subcategories", readonly=True)
    deleted = fields.Boolean(string="Closed", readonly=True, help="Epicentr no longer takes products in this category.")
    attribute_set_ids = fields.Many2many("epicentr.attribute.set", string="Attribute Sets", readonly=True)

    _sql_constraints = [("epicentr_category_code_uniq", "unique(code, company_id)", "A category is known once.")]

    @api.depends("name", "parent_id.complete_name")
    def _compute_complete_name(self):
        for category in self:
            parent = category.parent_id.complete_name
            category.complete_name = f"{parent} / {category.name}" if parent else category.name

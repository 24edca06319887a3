from odoo import fields, models


class EpicentrAttributeSet(models.Model):
    """An attribute set of Epicentr's catalogue (``/v2/pim/attribute-sets``): the attributes a
    product of a category describes, some required. The feed names it with ``attribute_set``."""

    _name = "epicentr.attribute.set"
    _inherit = "epicentr.pim.entry"
    _description = "Epicentr attribute set"
    _order = "name"

    attribute_ids = fields.Many2many("epicentr.attribute", string="Attributes", readonly=True)
    required_attribute_ids = fields.Many2many(
        "epicentr.attribute", "epicentr_attribute_set_required_rel", string="Required Attributes", readonly=True)

    _sql_constraints = [("epicentr_attribute_set_code_uniq", "unique(code, company_id)", "A set is known once.")]

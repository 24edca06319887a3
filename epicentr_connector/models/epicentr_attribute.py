from odoo import fields, models

from .. import const


class EpicentrAttribute(models.Model):
    """An attribute of Epicentr's catalogue by its code (the feed's ``paramcode``), the same in
    every set that has it; a select's options are the codes of its values (``valuecode``)."""

    _name = "epicentr.attribute"
    _inherit = "epicentr.pim.entry"
    _description = "Epicentr attribute"
    _order = "name"

    value_type = fields.Selection(const.PIM_VALUE_TYPES, string="Type", readonly=True)
    option_ids = fields.One2many("epicentr.attribute.option", "attribute_id", string="Options", readonly=True)

    _sql_constraints = [("epicentr_attribute_code_uniq", "unique(code, company_id)", "An attribute is known once.")]

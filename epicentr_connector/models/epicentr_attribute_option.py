from odoo import fields, models


class EpicentrAttributeOption(models.Model):
    """A value Epicentr offers for a select attribute (``/v2/pim/attribute-sets/{set}/attributes/
    {attribute}/options``): the feed gives its code as ``valuecode``."""

    _name = "epicentr.attribute.option"
    _inherit = "epicentr.pim.entry"
    _description = "Epicentr attribute option"
    _order = "name"

    attribute_id = fields.Many2one("epicentr.attribute", required=True, readonly=True, index=True, ondelete="cascade")
    set_ids = fields.Many2many("epicentr.attribute.set", string="Offered In", readonly=True,
                               help="The attribute sets whose products may take this option (Epicentr lists "
                               "an attribute's options set by set).")

    _sql_constraints = [("epicentr_option_code_uniq", "unique(attribute_id, code)", "An option is known once.")]

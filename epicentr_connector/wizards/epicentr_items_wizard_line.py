from odoo import fields, models


class EpicentrItemsWizardLine(models.TransientModel):
    _name = "epicentr.items.wizard.line"
    _description = "An item of an Epicentr order to change"

    wizard_id = fields.Many2one("epicentr.items.wizard", required=True, ondelete="cascade")
    offer_id = fields.Char(string="Epicentr Offer", readonly=True)
    name = fields.Char(string="Item", readonly=True)
    quantity = fields.Float(string="On Epicentr", readonly=True, digits="Product Unit of Measure")
    new_quantity = fields.Float(digits="Product Unit of Measure",
                                help="0 removes the item from the buyer's order.")

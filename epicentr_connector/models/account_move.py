from odoo import api, fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    # Stored so that a record rule can hide an Epicentr source's invoices as it hides its orders.
    epicentr_source_id = fields.Many2one(
        "epicentr.source", compute="_compute_epicentr_source_id", store=True,
        index="btree_not_null", compute_sudo=True)

    @api.depends("line_ids.sale_line_ids.order_id.epicentr_source_id")
    def _compute_epicentr_source_id(self):
        for move in self:
            move.epicentr_source_id = move.line_ids.sale_line_ids.order_id.epicentr_source_id[:1]

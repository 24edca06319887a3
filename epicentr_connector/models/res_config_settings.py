from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    epicentr_source_count = fields.Integer(
        string="Epicentr Sources", compute="_compute_epicentr_source_count"
    )

    @api.depends("company_id")
    def _compute_epicentr_source_count(self):
        Source = self.env["epicentr.source"]
        for settings in self:
            settings.epicentr_source_count = Source.has_access("read") and Source.search_count(
                [("company_id", "=", settings.company_id.id)]
            )

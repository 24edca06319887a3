from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    epicentr_source_count = fields.Integer(
        string="Epicentr Sources", compute="_compute_epicentr_source_count"
    )
    epicentr_source_error_count = fields.Integer(
        string="Epicentr Sources with Errors", compute="_compute_epicentr_source_count",
        help="Sources whose connection failed, whose token was refused, or whose last sync reported a problem.",
    )

    @api.depends("company_id")
    def _compute_epicentr_source_count(self):
        Source = self.env["epicentr.source"]
        readable = Source.has_access("read")
        for settings in self:
            company = [("company_id", "=", settings.company_id.id)]
            settings.epicentr_source_count = readable and Source.search_count(company)
            settings.epicentr_source_error_count = readable and Source.search_count(company + [
                "|", "|", ("connection_state", "=", "failed"), ("token_revoked", "=", True), ("last_error", "!=", False)])

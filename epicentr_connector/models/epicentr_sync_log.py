from datetime import timedelta

from odoo import api, fields, models

KEEP_DAYS = 30


class EpicentrSyncLog(models.Model):
    """One sync run that brought something or met a problem (idle runs are not logged)."""

    _name = "epicentr.sync.log"
    _description = "Epicentr sync run"
    _order = "id desc"

    source_id = fields.Many2one("epicentr.source", required=True, index=True, ondelete="cascade", readonly=True)
    started_at = fields.Datetime(readonly=True)
    finished_at = fields.Datetime(readonly=True, default=fields.Datetime.now)
    history = fields.Boolean(string="History Import", readonly=True)
    created_count = fields.Integer(string="Created", readonly=True)
    updated_count = fields.Integer(string="Updated", readonly=True)
    failed_count = fields.Integer(string="Waiting for Retry", readonly=True)
    error = fields.Text(readonly=True)
    state = fields.Selection([("ok", "OK"), ("error", "Problem")], readonly=True, required=True, default="ok")

    @api.autovacuum
    def _gc_old_runs(self):
        self.search([("finished_at", "<", fields.Datetime.now() - timedelta(days=KEEP_DAYS))]).unlink()

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import const
from ..api import EpicentrError

_logger = logging.getLogger(__name__)


class EpicentrCancelReason(models.Model):
    """Epicentr's reasons for a seller's cancellation, per source: read from Epicentr when a
    cancellation is about to be asked for (at most daily), never while a form is drawn."""

    _name = "epicentr.cancel.reason"
    _description = "Epicentr cancel reason"
    _order = "source_id, sequence, id"

    source_id = fields.Many2one("epicentr.source", required=True, index=True, ondelete="cascade", readonly=True)
    sequence = fields.Integer(readonly=True)
    key = fields.Char(string="Translation Key", required=True, readonly=True,
                      help="Epicentr's translationKey of the reason, sent with the cancellation.")
    name = fields.Char(string="Reason", required=True, readonly=True)

    _sql_constraints = [("key_unique", "UNIQUE(source_id, key)", "Epicentr lists each reason once.")]

    @api.model
    def _of(self, source):
        """[(translationKey, title)] of ``source``: Epicentr's list, else the built-in one."""
        reasons = self.sudo().search([("source_id", "=", source.id)])
        return [(r.key, r.name) for r in reasons] or list(const.FALLBACK_CANCEL_REASONS)

    @api.model
    def _refresh(self, sources):
        """Read the sources' lists again when a day old (an hour after a failed read)."""
        now = fields.Datetime.now()
        for source in sources.sudo().filtered(lambda s: not s.cancel_reasons_at
                                               or s.cancel_reasons_at < now - timedelta(days=1)):
            try:
                items = source._get_client(retries=0, timeout=(3, 5)).get_cancel_reasons("merchant")
                reasons = [(i["translationKey"], i.get("title") or i["translationKey"])
                           for i in items if i.get("translationKey")]
            except (EpicentrError, UserError, ValueError, KeyError, TypeError) as exc:
                _logger.info("Epicentr source %s: cancel reasons not read (%s), using the cached or built-in list",
                             source.id, type(exc).__name__)
                source.cancel_reasons_at = now - timedelta(hours=23)
                continue
            if reasons:
                self.sudo().search([("source_id", "=", source.id)]).unlink()
                self.sudo().create([{"source_id": source.id, "sequence": n, "key": key, "name": title}
                                    for n, (key, title) in enumerate(dict(reasons).items())])
                source.cancel_reasons_at = now

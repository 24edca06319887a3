import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import const
from ..api import EpicentrError
from ..utils.values import clean_text

_logger = logging.getLogger(__name__)


ROLES = [("customer", "The buyer asked"), ("merchant", "The seller's reason")]


class EpicentrCancelReason(models.Model):
    """Epicentr's reasons for a cancellation, per source and by who asks for it (the buyer's
    documented list and the seller's): read from Epicentr when a cancellation is about to be
    asked for (at most daily), never while a form is drawn. They also name the reason of an
    order Epicentr cancelled."""

    _name = "epicentr.cancel.reason"
    _description = "Epicentr cancel reason"
    _order = "source_id, sequence, id"

    source_id = fields.Many2one("epicentr.source", required=True, index=True, ondelete="cascade", readonly=True)
    sequence = fields.Integer(readonly=True)
    role = fields.Selection(ROLES, string="Who Asks", required=True, readonly=True, default="merchant")
    key = fields.Char(string="Translation Key", required=True, readonly=True,
                      help="Epicentr's translationKey of the reason, sent with the cancellation.")
    name = fields.Char(string="Reason", required=True, readonly=True)

    _sql_constraints = [("key_unique", "UNIQUE(source_id, key)", "Epicentr lists each reason once.")]

    @api.model
    def _reasons(self, source):
        """[(translationKey, title, role)] of ``source``: Epicentr's lists, else the built-in one."""
        reasons = self.sudo().search([("source_id", "=", source.id)])
        return [(r.key, r.name, r.role) for r in reasons] or [
            (key, title, "merchant" if ".merchant_cancel_reason." in key else "customer")
            for key, title in const.FALLBACK_CANCEL_REASONS]

    @api.model
    def _of(self, source):
        """[(translationKey, label)] for the cancel dialog: each reason labelled by who asks."""
        roles = dict(self._fields["role"]._description_selection(self.env))
        return [(key, f"{roles[role]}: {title}") for key, title, role in self._reasons(source)]

    @api.model
    def _title(self, source, key):
        """The reason ``key`` in words (the key itself when no list knows it)."""
        return next((title for known, title, _role in self._reasons(source) if known == key), key)

    @api.model
    def _refresh(self, sources):
        """Read the sources' lists again when a day old (an hour after a failed read)."""
        now = fields.Datetime.now()
        for source in sources.sudo().filtered(lambda s: not s.cancel_reasons_at
                                               or s.cancel_reasons_at < now - timedelta(days=1)):
            reasons = {}  # key: (title, role); a role Epicentr does not answer for is left out
            for role, _label in ROLES:
                try:
                    items = source._get_client(retries=0, timeout=(3, 5)).get_cancel_reasons(role)
                    for item in filter(lambda i: isinstance(i, dict), items):  # stored: cleaned and bounded first
                        key = clean_text(item.get("translationKey") or "", 128).strip()
                        if key and key not in reasons:
                            reasons[key] = (clean_text(item.get("title") or "", 256).strip() or key, role)
                except (EpicentrError, UserError, ValueError, KeyError, TypeError) as exc:
                    _logger.info("Epicentr source %s: %s cancel reasons not read (%s)", source.id, role,
                                 type(exc).__name__)
            if not reasons:  # keep what is cached (or the built-in list); ask again in an hour
                source.cancel_reasons_at = now - timedelta(hours=23)
                continue
            self.sudo().search([("source_id", "=", source.id)]).unlink()
            self.sudo().create([{"source_id": source.id, "sequence": n, "key": key, "name": title, "role": role}
                                for n, (key, (title, role)) in enumerate(reasons.items())])
            source.cancel_reasons_at = now

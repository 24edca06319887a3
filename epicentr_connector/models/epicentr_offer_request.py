from datetime import timedelta

from odoo import api, fields, models

KEEP_DAYS = 14  # as long as Epicentr keeps a request's results


class EpicentrOfferRequest(models.Model):
    """One request of a source to Epicentr's offers endpoints: the publication's own record of
    Epicentr's rate (so many requests a window, whichever worker sent them) and its history."""

    _name = "epicentr.offer.request"
    _description = "Epicentr offers request"
    _order = "id desc"

    source_id = fields.Many2one("epicentr.source", required=True, index=True, ondelete="cascade", readonly=True)
    sent_at = fields.Datetime(required=True, index=True, readonly=True, default=fields.Datetime.now)
    kind = fields.Selection([("update", "Prices and availability sent"), ("results", "Results read")],
                            required=True, readonly=True)
    request_id = fields.Char(string="Epicentr Request", readonly=True)
    offer_count = fields.Integer(string="Offers", readonly=True)

    @api.model
    def _recent(self, source, seconds):
        """The sending times of the source's requests in the last ``seconds``, oldest first (one
        second more: a stored time drops its fraction, and a request must never be missed)."""
        since = fields.Datetime.now() - timedelta(seconds=seconds + 1)
        return self.search_fetch([("source_id", "=", source.id), ("sent_at", ">", since)], ["sent_at"],
                                 order="sent_at").mapped("sent_at")

    @api.autovacuum
    def _gc_old_requests(self):
        self.search([("sent_at", "<", fields.Datetime.now() - timedelta(days=KEEP_DAYS))]).unlink()

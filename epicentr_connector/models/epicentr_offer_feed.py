from odoo import fields, models
from odoo.tools import SQL


class EpicentrOffer(models.Model):
    """An offer listed in the source's catalogue feed: its ``<offer>`` element is kept here, made
    again only when something it is made of changes (``feed_dirty``), so the feed file is the
    concatenation of the ready ones (sync/catalogue_feed.py). What keeps an offer out is said."""

    _inherit = "epicentr.offer"

    in_feed = fields.Boolean(string="In the Catalogue Feed", index=True,
                             help="Listed in the source's catalogue feed, which Epicentr reads to create and "
                             "update the product.")
    feed_ready = fields.Boolean(string="Ready for Epicentr", readonly=True)
    feed_problems = fields.Text(string="What Epicentr Would Refuse", readonly=True)
    feed_xml = fields.Text(string="Feed Entry", readonly=True, prefetch=False)
    feed_dirty = fields.Boolean(default=True, index=True, readonly=True)

    def write(self, vals):
        if "in_feed" in vals:
            vals = {**vals, "feed_dirty": True}
        result = super().write(vals)
        if "in_feed" in vals:
            self.source_id.sudo().feed_stale = True
        return result

    def _mark_feed_products(self, product_ids):
        """The feed entries of these products are made again, after this transaction."""
        self._at_commit("epicentr.offer.feed", product_ids, self._mark_feed)

    def _mark_feed_all(self):
        """A mapping or the vocabulary changed: every feed entry is made again."""
        self._mark_feed(SQL("TRUE"))

    def _mark_feed(self, where):
        self.env.cr.execute(SQL(
            "UPDATE epicentr_offer SET feed_dirty = true WHERE in_feed AND NOT feed_dirty AND %s RETURNING source_id", where))
        sources = {source_id for (source_id,) in self.env.cr.fetchall()}
        if sources:
            self.invalidate_model(["feed_dirty"])
            self.env.cr.execute(SQL("UPDATE epicentr_source SET feed_stale = true WHERE id = ANY(%s)", list(sources)))
            self.env["epicentr.source"].invalidate_model(["feed_stale"])

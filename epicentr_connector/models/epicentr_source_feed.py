import secrets

from odoo import api, fields, models

from ..api import EpicentrError
from ..sync.catalogue_feed import CatalogueFeed
from ..sync.pim_vocabulary import PimVocabulary
from ..utils.cron_frame import cron_commits
from ..utils.messages import notification


def new_feed_key():
    return secrets.token_urlsafe(24)


class EpicentrSource(models.Model):
    """The source's catalogue feed: the URL the seller gives Epicentr's manager, under a key only
    managers see and may renew; the file is made again by the cron when products change."""

    _inherit = "epicentr.source"  # pylint: disable=consider-merging-classes-inherited  # one file a concern

    feed_key = fields.Char(groups="epicentr_connector.group_epicentr_manager", copy=False, default=lambda self: new_feed_key(),
                           readonly=True)
    feed_url = fields.Char(string="Catalogue Feed URL", compute="_compute_feed_url",
                           groups="epicentr_connector.group_epicentr_manager",
                           help="Give this address to your Epicentr manager: Epicentr reads the catalogue from it "
                           "about once a day. Anyone who has it can read the feed: renew the key if it leaked.")
    feed_stale = fields.Boolean(default=True, readonly=True, copy=False)
    feed_built_at = fields.Datetime(string="Feed Made On", readonly=True, copy=False)
    feed_ready_count = fields.Integer(string="Products in the Feed", readonly=True, copy=False)
    feed_bytes = fields.Integer(string="Feed Size (bytes)", readonly=True, copy=False)
    feed_offer_count = fields.Integer(string="Chosen for the Feed", compute="_compute_feed_offer_count")

    @api.depends("feed_key")
    def _compute_feed_url(self):
        for source in self:
            source.feed_url = source.feed_key and f"{source.get_base_url()}/epicentr/feed/{source.feed_key}.xml"

    def _compute_feed_offer_count(self):
        counts = dict(self.env["epicentr.offer"]._read_group(
            [("source_id", "in", self.ids), ("in_feed", "=", True)], ["source_id"], ["__count"]))
        for source in self:
            source.feed_offer_count = counts.get(source, 0)

    def action_read_catalogue(self):
        """Read Epicentr's categories, attribute sets and the options of the sets in use."""
        self.ensure_one()
        self._check_manager()
        client = None
        try:
            client = self.sudo()._get_client(retries=1)
            counts = PimVocabulary(self, client).read_all()
        except EpicentrError as error:
            return notification("danger", self.env._("Epicentr's catalogue could not be read"),
                                self._describe_error(error), sticky=True)
        finally:
            if client:
                client.close()
        return notification("success", self.env._("Epicentr's catalogue is read"), self.env._(
            "%(categories)s categories, %(sets)s attribute sets, %(options)s options of the sets in use.", **counts))

    def action_renew_feed_key(self):
        """A new feed URL; the old one answers 404 from now on. Give the new one to Epicentr."""
        self._check_manager()
        self.sudo().write({"feed_key": new_feed_key()})

    def action_build_feed(self):
        """Make the feed now (the cron does it when products change)."""
        self.ensure_one()
        self._check_manager()
        counts = CatalogueFeed(self).build()
        return notification("success", self.env._("Catalogue feed made"), self.env._(
            "%(ready)s of %(offers)s chosen products are in the feed; the others say what keeps them out.", **counts))

    def action_view_feed_offers(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "name": self.env._("Catalogue Feed"), "res_model": "epicentr.offer",
            "view_mode": "list,form", "domain": [("source_id", "=", self.id), ("in_feed", "=", True)],
            "context": {"search_default_feed_not_ready": 1},
            "views": [(self.env.ref("epicentr_connector.epicentr_offer_feed_view_list").id, "list"), (False, "form")],
        }

    @api.model
    def _cron_build_feeds(self):
        """Make the feeds whose products changed again; a source's feed is one transaction."""
        for source in self.search([("active", "=", True), ("feed_stale", "=", True)]):
            if self.env["epicentr.offer"].search_count([("source_id", "=", source.id), ("in_feed", "=", True)], limit=1):
                CatalogueFeed(source.with_company(source.company_id)).build()
                if cron_commits(self.env):
                    self.env.cr.commit()  # pylint: disable=invalid-commit

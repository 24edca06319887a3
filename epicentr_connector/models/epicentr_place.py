from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import const
from ..api import EpicentrError

DICTIONARY_PAGE = 20  # the places one search of the sender's settlement or branch shows


class EpicentrPlace(models.Model):
    """A delivery place of Epicentr's dictionary (a settlement, a branch, a locker) by its title.
    Two ways in: an order's card names it (a live list entry names its places by id only; with
    their titles known here, the sync need not read the order's card: sync/place_titles.py), or
    an administrator searches Epicentr's dictionary for the sender's settlement and branch of the
    waybills (``name_search`` with the ``epicentr_dictionary`` context the source's form gives)."""

    _name = "epicentr.place"
    _description = "Epicentr delivery place"
    _rec_name = "title"

    source_id = fields.Many2one("epicentr.source", required=True, index=True, ondelete="cascade", readonly=True)
    epicentr_uuid = fields.Char(string="Epicentr ID", required=True, readonly=True)
    title = fields.Char(required=True, readonly=True)
    read_at = fields.Datetime(string="Read on", required=True, readonly=True,
                              help="When an order's card or Epicentr's dictionary last gave this title.")
    # the sender's dictionary: whose (Epicentr's delivery service) and, for a branch, where
    provider = fields.Char(readonly=True)
    settlement_uuid = fields.Char(string="Settlement ID", readonly=True, help="A branch's settlement.")

    _sql_constraints = [
        ("epicentr_place_uniq", "unique(source_id, epicentr_uuid)", "A place is known once per source."),
    ]

    @api.model
    def name_search(self, name="", args=None, operator="ilike", limit=100):
        """Typing in the sender's settlement or branch searches Epicentr's own dictionary first."""
        lookup = self.env.context.get("epicentr_dictionary")
        if isinstance(lookup, dict) and name and operator == "ilike":
            self._search_dictionary(lookup, name)
        return super().name_search(name, args, operator, limit)

    @api.model
    def _search_dictionary(self, lookup, title):
        """Keep the places of Epicentr's sender dictionary whose title holds ``title``: the
        settlements of ``lookup['provider']``, or the branches of ``lookup['settlement_id']``."""
        source = self.env["epicentr.source"].browse(lookup.get("source_id") or []).exists()
        provider = lookup.get("provider")
        if len(source) != 1 or provider not in const.WAYBILL_PROVIDERS:
            return
        source.check_access("write")  # before the sudo: those who set the source up ask Epicentr
        settlement = self.browse(lookup.get("settlement_id") or []).exists()
        source = source.sudo()
        client = source._get_client(retries=1, max_wait=5)
        try:
            page = client.get_places(provider, settlement_id=settlement.epicentr_uuid or None, title=title,
                                     limit=DICTIONARY_PAGE)
        except EpicentrError as error:
            raise UserError(source._describe_error(error)) from None
        finally:
            client.close()
        self.sudo()._keep_places(source, provider, settlement.epicentr_uuid or False, page.get("items") or [])

    @api.model
    def _keep_places(self, source, provider, settlement_uuid, items):
        items = {item["id"]: str(item.get("title") or "")[:256] for item in items
                 if isinstance(item, dict) and isinstance(item.get("id"), str) and item.get("title")}
        known = {place.epicentr_uuid: place for place in self.search(
            [("source_id", "=", source.id), ("epicentr_uuid", "in", list(items))])}
        now = fields.Datetime.now()
        values = {"provider": provider, "settlement_uuid": settlement_uuid, "read_at": now}
        for uuid, title in items.items():
            if uuid in known:
                known[uuid].write({**values, "title": title})
            else:
                self.create({**values, "source_id": source.id, "epicentr_uuid": uuid, "title": title})

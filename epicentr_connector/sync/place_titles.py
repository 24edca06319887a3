"""Titles of Epicentr's delivery places (settlements, branches, lockers) by their dictionary id.

A live list entry names its settlement and branch by id only; their titles come with the order's
card, one request per order. A shop's buyers gather at the same branches, so a title a card gave
lately (kept in epicentr.place, looked up once a page) completes the entry, and its card need not
be read. A title older than TITLE_MAX_AGE is not used: the next order to that place reads its card,
which renews it, so a renamed branch is renamed within that time.
"""

from datetime import timedelta

from odoo import fields
from odoo.tools import SQL

from ..utils.order_mapping import clean_text

TITLE_MAX_AGE = timedelta(days=30)
# the list entry's shipment key -> the card's joined object
PLACES = {"settlementId": "settlement", "officeId": "office"}


def _shipment(entry):
    address = entry.get("address") if isinstance(entry, dict) and isinstance(entry.get("address"), dict) else {}
    return address.get("shipment") if isinstance(address.get("shipment"), dict) else {}


def _refs(entry):
    """{joined object name: dictionary id} of the places ``entry`` names."""
    return {PLACES[key]: clean_text(ref, 64) for key, ref in _shipment(entry).items()
            if key in PLACES and isinstance(ref, str) and clean_text(ref, 64)}


class PlaceTitles:
    def __init__(self, source):
        self.source = source
        self.titles = {}  # dictionary id -> title
        self.asked = set()  # ids already looked up
        self.read = {}  # titles cards gave in this sync, not saved yet
        self.coming = set()  # ids of places whose titles a card on its way will give

    def recall(self, entries):
        """Look up, in one query, the fresh titles of the places ``entries`` name that are not known yet."""
        refs = {ref for entry in entries for ref in _refs(entry).values()} - self.asked - set(self.titles)
        if not refs:
            return
        self.asked |= refs
        self.source.env["epicentr.place"].flush_model()
        cr = self.source.env.cr
        cr.execute(SQL("SELECT epicentr_uuid, title FROM epicentr_place WHERE source_id = %s "
                       "AND epicentr_uuid = ANY(%s) AND read_at > %s",
                       self.source.id, list(refs), fields.Datetime.now() - TITLE_MAX_AGE))
        self.titles.update(cr.fetchall())

    def learn(self, card):
        """Keep the titles a card joins to its places (the freshest there are)."""
        for name, ref in _refs(card).items():
            place = card.get(name)
            title = clean_text(place["title"], 512).strip() if isinstance(place, dict) and isinstance(place.get("title"), str) else ""
            if title and (place.get("id") is None or clean_text(place["id"], 64) == ref):
                self.titles[ref] = self.read[ref] = title

    def expect(self, entry):
        """The card of ``entry`` is being read: the titles of its places are on their way."""
        self.coming.update(_refs(entry).values())

    def awaited(self, entry):
        """Whether every title ``entry`` lacks is known or on its way."""
        return all(ref in self.titles or ref in self.coming for ref in _refs(entry).values())

    def complete(self, entry):
        """``entry`` with its places joined, as a card joins them; None while a title is not known."""
        joined = {}
        for name, ref in _refs(entry).items():
            if isinstance(entry.get(name), dict) and entry[name].get("title"):
                continue
            if ref not in self.titles:
                return None
            joined[name] = {"id": ref, "title": self.titles[ref]}
        return {**entry, **joined}

    def save(self):
        """Store what the cards of this sync gave (one statement; a concurrent sync's row is renewed)."""
        if not self.read:
            return
        env, now = self.source.env, fields.Datetime.now()
        rows = [SQL("(%s, %s, %s, %s, %s, %s, %s, %s)", self.source.id, ref, title, now, env.uid, now, env.uid, now)
                for ref, title in self.read.items()]
        env.cr.execute(SQL(
            "INSERT INTO epicentr_place (source_id, epicentr_uuid, title, read_at, create_uid, create_date, "
            "write_uid, write_date) VALUES %s ON CONFLICT (source_id, epicentr_uuid) DO UPDATE SET "
            "title = EXCLUDED.title, read_at = EXCLUDED.read_at, write_uid = EXCLUDED.write_uid, "
            "write_date = EXCLUDED.write_date", SQL(", ").join(rows)))
        env["epicentr.place"].invalidate_model()
        self.read = {}

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

TITLE_MAX_AGE = timedelta(days=30)


class PlaceTitles:
    def __init__(self, source):
        self.source = source
        self.titles = {}  # dictionary id -> title
        self.asked = set()  # ids already looked up
        self.read = {}  # titles cards gave in this sync, not saved yet
        self.coming = set()  # ids of places whose titles a card on its way will give

    def recall(self, entries):
        """Look up, in one query, the fresh titles of the places ``entries`` name that are not known yet."""
        refs = {ref for entry in entries for ref in entry.place_refs.values()} - self.asked - set(self.titles)
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
        for name, ref in card.place_refs.items():
            title = card.place_title(name)[:512]
            if title and card.place_id(name) in (None, ref):
                self.titles[ref] = self.read[ref] = title

    def expect(self, entry):
        """The card of ``entry`` is being read: the titles of its places are on their way."""
        self.coming.update(entry.place_refs.values())

    def awaited(self, entry):
        """Whether every title ``entry`` lacks is known or on its way."""
        return all(ref in self.titles or ref in self.coming for ref in entry.place_refs.values())

    def complete(self, entry):
        """``entry`` with its places joined, as a card joins them; None while a title is not known."""
        joined = {}
        for name, ref in entry.place_refs.items():
            if entry.place_title(name):
                continue
            if ref not in self.titles:
                return None
            joined[name] = (ref, self.titles[ref])
        return entry.with_places(joined)

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

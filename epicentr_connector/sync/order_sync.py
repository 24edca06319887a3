"""One sync of one Epicentr source, read-only towards Epicentr: on the first runs the orders
created in the history window, later the orders changed since the cursor (minus an overlap).

An ``OrderSync`` lives for one run and holds what the run shares: the source, its client, the
counts, the time budget and whether it commits. The path of a page, top to bottom: ``run`` →
``_page_through`` → ``_read_cards`` (fingerprints skip what did not change; the card is read, in the
background, only when the list entry lacks something, place titles a recent card gave aside:
PlaceTitles) → ``_import_read``: the importer, then
the cursor and progress, committed.
"""

import itertools
import logging
import time
from collections import deque
from concurrent.futures import Future, wait
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError

from .. import const
from ..api import (EpicentrAuthError, EpicentrClient, EpicentrError, EpicentrNotFound, EpicentrValidationError,
                   is_order_id)
from ..api.gate import RateGate
from .failed_orders import MAX_ORDER_ATTEMPTS, FailedOrders
from .parallel_reads import ParallelReads
from .place_titles import PlaceTitles
from ..utils.cron_frame import commit_and_relock, try_lock
from ..utils.order_card import Card
from ..utils.values import OrderDataError, clean_text
from ..utils.switches import switch

_logger = logging.getLogger(__name__)

# Orders per list page (one batch, one commit). Epicentr documents no maximum (default 25); 50 is
# what a live-verified client asks for. In `make bench`, pages of 100 saved only ~1% CPU and 0.6
# SQL queries per order: not worth an untried limit on the live API.
PAGE_SIZE = 50
NUMBER_PAGES = 2  # list pages read to import an order by its number
# Each sync asks again for orders changed a little before the cursor, so an order whose
# change is recorded late on Epicentr's side cannot slip between two runs.
SYNC_OVERLAP = timedelta(minutes=5)
# Namespace of the advisory lock that keeps one source from being synced twice at once.
SYNC_LOCK_NAMESPACE = 0x45504331


def try_sync_lock(source):
    """True if this transaction now holds the sync lock of ``source`` (freed at commit/rollback)."""
    return try_lock(source.env, SYNC_LOCK_NAMESPACE, source.id)


# List pages whose cards are read while the oldest of them is imported: the pool keeps reading
# through a page whose import is quicker than its cards, and the other way round.
READ_AHEAD = 2
# An entry whose missing place titles an earlier card on its way will bring (_read_cards).
AWAITED = object()


class Busy(Exception):
    """Another worker holds the source's sync lock."""


class OrderSync:
    def __init__(self, source, commit=False, deadline=None):
        """``commit`` (the cron only, never in tests) commits after each page, so a killed run
        resumes from the last committed page; past ``deadline`` (time.monotonic()) the run stops
        after the current page with "more"."""
        self.source = source
        self.env = source.env
        self.commit = commit
        self.deadline = deadline
        self.importer = self.env["epicentr.order.import"]
        self.client = self.reads = None
        self.places = PlaceTitles(source)
        self.failed = FailedOrders(source.failed_orders)
        self.stats = {"created": 0, "updated": 0, "failed": self.failed.now, "more": False}

    def run(self):
        """Returns {"created", "updated", "failed", "more"}, or {"busy": True} when another sync of
        the source is running."""
        source = self.source
        if not try_sync_lock(source):
            return {"busy": True}
        gate = RateGate()  # a 429 holds back every request of this sync
        self.client = source._get_client(gate=gate)
        self.reads = ParallelReads([source._get_client(gate=gate) for _n in range(max(1, source.parallel_reads))])
        started = fields.Datetime.now()
        if not source.history_start_at:
            source.history_start_at = started - timedelta(days=source.history_days)
        error = None
        try:
            if self._retry_failed_orders():
                # the retried orders stay imported, whatever happens to the pages
                self._commit({"failed_orders": self.failed.now})
            self._page_through()
        except Busy:
            return {**self.stats, "busy": True}
        except EpicentrError as exc:
            error = exc
        finally:
            self.reads.close()
            self.client.close()
        # Products created since the last sync heal the quotations waiting for them.
        self.env["epicentr.order.lines"]._rematch_products(self.env["sale.order"].search([
            ("epicentr_source_id", "=", source.id), ("epicentr_needs_mapping", "=", True),
            ("state", "in", ("draft", "sent"))]))
        self._finish(started, error)
        if isinstance(error, EpicentrAuthError) and error.status == 401:
            source._pause_revoked_token(error)
        return self.stats

    def _overdue(self, extra=0):
        return bool(self.deadline) and time.monotonic() > self.deadline + extra

    def _commit(self, values):
        """Write ``values`` on the source; in the cron, commit them and take the lock again."""
        self.source.write(values)
        if self.commit and not commit_and_relock(self.env, SYNC_LOCK_NAMESPACE, self.source.id):
            raise Busy()  # the commit freed the lock; another worker took over

    def _page_through(self):
        """Page through the orders listed since the cursor, committing the cursor after each page.

        A pipeline: while the ORM imports one page, the cards of the next READ_AHEAD pages and the
        list page after them are being read (ParallelReads), so Epicentr's answer time hides
        behind the import. Past the deadline no list page is asked for ahead: the pages in hand
        are imported before the call ends, so no read is wasted."""
        source = self.source
        filters = {"created_from": source.history_start_at, "sort": ("updatedAt",),
                   "limit": switch(self.env, "epicentr_page_size") or PAGE_SIZE}
        if source.sync_cursor_at:
            filters["updated_from"] = source.sync_cursor_at - SYNC_OVERLAP
        total = None if source.history_done else self.client.count_orders(created_from=source.history_start_at)
        resumed_from = source.sync_cursor_at
        pages = self.client.iter_orders(**filters)
        listing, ahead = self.reads.call(next, pages, None), deque()  # ahead: pages being read
        try:
            while True:
                try:
                    page = listing.result()
                except EpicentrError:
                    while ahead:  # what was read before the error still arrives
                        self._import_read(ahead.popleft(), total)
                    raise
                if page is None:
                    break
                # the list page after this one first: its read overlaps with this page's cards
                # instead of holding up the pool between two pages
                listing = None if self._overdue() else self.reads.call(next, pages, None)
                ahead.append(self._read_cards(self._usable_entries(page), ahead))
                if len(ahead) > READ_AHEAD:
                    self._import_read(ahead.popleft(), total)
                if listing is None:  # past the deadline: the pages in hand, then stop or read on
                    while ahead:
                        self._import_read(ahead.popleft(), total)
                    # Stop once the cursor has moved: the next call starts a little before it (the
                    # overlap), and must not land where this one started again. Far past the
                    # deadline, stop anyway: a list whose cursor never moves must not hold the worker.
                    if (not resumed_from or source.sync_cursor_at > resumed_from
                            or self._overdue(const.CRON_CALL_OVERRUN_SECONDS)):
                        self.stats["more"] = True
                        return
                    listing = self.reads.call(next, pages, None)
            while ahead:
                self._import_read(ahead.popleft(), total)
        finally:
            if listing and not listing.cancel():
                wait([listing])  # the iterator must not be running when it is closed
            pages.close()

    def _usable_entries(self, page):
        """The entries of a list page the import can use: an id that is not an Epicentr order id,
        or no readable change time, is reported once and left out (it would jam every later sync)."""
        usable = []
        for entry in map(Card, page):
            uuid, number = entry.reported_uuid, entry.reported_number
            try:
                if not is_order_id(uuid):
                    raise OrderDataError(f"invalid order id {uuid[:60]!r}")
                entry.require("updated_at")  # readable, or left out
            except OrderDataError as exc:
                self.stats.setdefault("skipped", {})[uuid[:60]] = (number[:30], clean_text(exc))
                continue
            usable.append(entry)
        return usable

    def _read_cards(self, page, ahead=()):
        """Start reading the cards of one list page (Card entries): (page, {uuid: card, future or
        AWAITED}) for the new or changed orders, each from its list entry when that holds all the
        import reads (place titles completed by PlaceTitles), else from its card, read in the
        background; AWAITED: the card of an order listed before it, still on its way, brings the
        titles it lacks. ``ahead``: the pages read, not imported yet: an entry listed there
        unchanged is not read again."""
        self.places.recall(page)
        known = dict(self.env["sale.order"].search_fetch(
            [("epicentr_source_id", "=", self.source.id), ("epicentr_uuid", "in", [entry.uuid for entry in page])],
            ["epicentr_uuid", "epicentr_fingerprint"]).mapped(lambda o: (o.epicentr_uuid, o.epicentr_fingerprint)))
        for read_page, read_wanted in ahead:
            known.update({entry.uuid: entry.fingerprint for entry in read_page if entry.uuid in read_wanted})
        wanted = {}
        for entry in page:
            if known.get(entry.uuid) == entry.fingerprint or self.failed.unchanged(entry):
                continue  # unchanged since imported, or since it failed (the retries see to it)
            complete = entry if entry.complete() else self.places.complete(entry)
            if complete and complete.complete():
                wanted[entry.uuid] = complete
            elif entry.complete(joined=False) and self.places.awaited(entry):
                wanted[entry.uuid] = AWAITED
            else:
                wanted[entry.uuid] = self.reads.submit(EpicentrClient.get_order, entry.uuid)
                self.places.expect(entry)
        return page, wanted

    def _import_read(self, read, total):
        """Import a page whose cards were read (_read_cards), then commit the cursor past it."""
        page, wanted = read
        cards = []
        for entry in page:
            if entry.uuid not in wanted:
                continue
            try:
                card = wanted[entry.uuid]
                if card is AWAITED:  # the titles came with an earlier card, imported by now
                    complete = self.places.complete(entry)
                    card = complete if complete and complete.complete() else self.reads.submit(
                        EpicentrClient.get_order, entry.uuid)  # that card did not come: read its own
                if isinstance(card, Future):
                    card = Card(card.result())
                    self.places.learn(card)
                cards.append(card)
            except EpicentrNotFound as exc:  # deleted since it was listed: nothing to try again
                self.stats.setdefault("skipped", {})[entry.uuid] = (
                    entry.reported_number, self.env._("deleted on Epicentr (%(error)s)", error=exc.message))
            except (EpicentrValidationError, ValueError, KeyError) as exc:
                self.failed.fail(entry.uuid, entry.reported_number, clean_text(exc), entry.fingerprint)
        fingerprints = {entry.uuid: entry.fingerprint for entry in page}
        page_stats = self.importer._import_cards(self.source, cards, fingerprints)
        self.places.save()
        self._read_comments([entry for entry in page if entry.uuid in wanted])
        for card in cards:  # changed on Epicentr and imported now: no longer waiting
            if card.reported_uuid not in page_stats["failed"]:
                self.failed.forget(card.reported_uuid)
        self._count(page_stats, fingerprints)
        source = self.source
        # a history import runs over several calls: the progress counts what has arrived in all
        arrived = total and self.env["sale.order"].search_count([("epicentr_source_id", "=", source.id)])
        self._commit({
            # never back, and never past now: a change time in the future would skip every later order
            "sync_cursor_at": min(max([source.sync_cursor_at or source.history_start_at,
                                       *(entry.updated_at for entry in page)]), fields.Datetime.now()),
            "failed_orders": self.failed.now,
            "sync_progress": self.env._("%(seen)s of %(total)s orders", seen=min(arrived, total), total=total)
            if total else False,
        })

    def _read_comments(self, entries):
        """Orders whose list entry counts more Epicentr comments than their chatter shows: their
        thread is read (one request each, none on an idle poll) and the new comments posted."""
        counts = {entry.uuid: entry.comments_count for entry in entries if entry.comments_count > 0}
        if not counts:
            return
        orders = self.env["sale.order"].search([("epicentr_source_id", "=", self.source.id),
                                                ("epicentr_uuid", "in", list(counts))])
        for order in orders.filtered(lambda o: counts[o.epicentr_uuid] > o.epicentr_comments_read):
            if self._overdue():  # the rest at the order's next change
                return
            try:
                comments = self.reads.submit(EpicentrClient.get_comments, order.epicentr_uuid).result()
            except EpicentrError as exc:  # shown at the order's next change
                _logger.info("Epicentr order %s: comments not read (%s)", order.epicentr_number, exc)
                continue
            self.env["epicentr.order.comments"]._post(order, comments)

    def _retry_failed_orders(self):
        """Import again the orders that failed before, until the deadline (the rest wait for the
        next sync); whether any was tried."""
        tried = False
        for uuid, number in self.failed.due():
            if not is_order_id(uuid):  # from before ids were checked: it can never be read
                self.failed.forget(uuid)
                continue
            if self._overdue():
                break
            tried = True
            try:
                card = Card(self.client.get_order(uuid))
            except EpicentrNotFound as exc:
                if exc.gone or not exc.route_missing:  # deleted on Epicentr: nothing left to import
                    self.failed.forget(uuid)
                continue
            except (EpicentrValidationError, ValueError, KeyError) as exc:
                self.failed.fail(uuid, number, clean_text(exc))
                continue
            self.failed.forget(uuid)
            self._count(self.importer._import_cards(self.source, [card]))
        return tried

    def _count(self, page_stats, fingerprints=None):
        self.stats["created"] += page_stats["created"]
        self.stats["updated"] += page_stats["updated"]
        for uuid, (number, reason) in page_stats["failed"].items():
            self.failed.fail(uuid, number, reason, (fingerprints or {}).get(uuid))

    def _messages(self, error):
        """What the source says about this run, one sentence a problem."""
        _ = self.env._
        failed, given_up, skipped = self.failed.new, self.failed.given_up, self.stats.get("skipped")
        messages = []
        if error:
            messages.append(_("The sync stopped: %(reason)s", reason=self.source._describe_error(error)))
        if failed:
            messages.append(_(
                "%(count)s orders could not be imported and will be tried again at the next sync: %(orders)s",
                count=len(failed), orders="; ".join(f"№{number}: {reason}" for number, reason in failed.values())))
        if given_up:
            messages.append(_(
                "%(count)s orders still could not be imported after %(attempts)s attempts and are no longer "
                "tried (until they change on Epicentr, or a manager dismisses them): %(orders)s",
                count=len(given_up), attempts=MAX_ORDER_ATTEMPTS,
                orders="; ".join(f"№{number}: {reason}" for number, reason in given_up.values())))
        if skipped:
            messages.append(_(
                "Epicentr listed %(count)s entries that are not orders the import can read, left out: %(entries)s",
                count=len(skipped), entries="; ".join(
                    f"{uuid} (№{number}): {reason}" for uuid, (number, reason) in skipped.items())))
        return messages

    def _finish(self, started, error):
        """The run's outcome on the source, in the sync history, and once per new problem in the chatter."""
        source, stats = self.source, self.stats
        messages = self._messages(error)
        values = {
            "last_run_created": stats["created"],
            "last_run_updated": stats["updated"],
            "failed_orders": self.failed.now,
            "last_error": "\n".join(messages) or False,
            "next_sync_at": started if stats["more"] else started + timedelta(minutes=source.sync_interval),
        }
        retry_after = getattr(error, "retry_after", None)
        if retry_after:  # no call before Epicentr allows it
            values["next_sync_at"] = max(values["next_sync_at"], fields.Datetime.now() + timedelta(seconds=retry_after))
        if not error:  # a sync that went through proves the token as well as Test Connection does
            values["connection_state"] = "ok"
        if not error and not stats["more"]:
            values.update(history_done=True, last_success_at=started, sync_progress=False)
        already_told = values["last_error"] == source.last_error
        if stats["created"] or stats["updated"] or messages:  # a run that brought something or news
            self.env["epicentr.sync.log"].sudo().create({
                "source_id": source.id, "started_at": started, "history": not source.history_done,
                "created_count": stats["created"], "updated_count": stats["updated"],
                "failed_count": len(self.failed.now), "error": values["last_error"],
                "state": "error" if values["last_error"] else "ok",
            })
        source.write(values)
        if messages and not already_told:  # one note per new problem, not one per run
            source.message_post(body=values["last_error"], message_type="comment", subtype_xmlid="mail.mt_note")

    def import_number(self, number):
        """Import (or refresh) one order by its Epicentr number, whatever its date (a manager's action)."""
        source, _ = self.source, self.env._
        if not try_sync_lock(source):
            raise UserError(_("A sync of %(name)s is running; try again in a minute.", name=source.name))
        client = source._get_client(retries=1)
        try:
            # one number names one order: a page or two of candidates, whatever "next" Epicentr keeps giving
            pages = itertools.islice(client.iter_orders(number=number.strip(), sort=None, limit=5), NUMBER_PAGES)
            found = [entry for page in pages for entry in map(Card, page) if entry.reported_number == number.strip()]
            cards = [Card(client.get_order(entry.uuid)) for entry in found[:5]]
        except EpicentrError as exc:
            raise UserError(source._describe_error(exc)) from None
        if not cards:
            raise UserError(_("Epicentr has no order number %(number)s for this account.", number=number))
        stats = self.importer._import_cards(source, cards)
        if stats["failed"]:
            raise UserError("; ".join(reason for _number, reason in stats["failed"].values()))
        return self.env["sale.order"].search(
            [("epicentr_source_id", "=", source.id), ("epicentr_uuid", "in", [card.reported_uuid for card in cards])])

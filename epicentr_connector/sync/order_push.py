"""One push of one source's order changes to Epicentr, from the outbox cron, never inside a
user's transaction.

An ``OrderPush`` lives for one cron call and one source, and holds the client and the call's
budget. Per order, top to bottom: ``push`` (the latest intent of each kind, oldest first) → the
sender of each entry's kind (``SENDERS``), which reads the order's card first, so that sending
twice is harmless → the outcome on the entry (the outbox keeps its state and retries). Then
``follow``: the orders pushed follow the cards Epicentr has after the writes, through the
import's own way in, a page at a time once the call's sends are out (one order's import does not
hold up the next order's push).
Epicentr's status rules and the walk along them: status_path.py.
"""

import logging
import time
from datetime import timedelta

from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from .. import const
from ..api import (
    EpicentrAuthError,
    EpicentrError,
    EpicentrProtocolError,
    EpicentrRateLimited,
    EpicentrTransientError,
)
from ..utils.order_card import Card
from ..utils.values import OrderDataError
from .order_sync import PAGE_SIZE, try_sync_lock  # PAGE_SIZE: the orders that follow their cards in one import
from .status_path import ITEMS_STATUS, TRACKING_STATUS, Refused, StatusWalk, Waiting, before, may_confirm

_logger = logging.getLogger(__name__)

# the sender of each kind of outbox entry
SENDERS = {
    "status": "_send_status",
    "tracking": "_send_tracking",
    "tracking_delete": "_remove_tracking",
    "items": "_change_items",
    "call_status": "_send_call_result",
    "comment": "_send_comment",
    "waybill": "_make_waybill",
}
# carriers Epicentr does not take in the body of "sent"
NO_PROVIDER = (False, "other", "courier_delivery")


class OrderPush:
    def __init__(self, source, deadline=None):
        """``deadline`` (time.monotonic()): the cron call's budget, which the sends keep to
        (utils/cron_frame.py); past it by CRON_CALL_OVERRUN_SECONDS, ``follow`` leaves the rest
        to the next sync."""
        self.source = source
        self.env = source.env
        self.deadline = deadline
        self.client = None  # made at the first order that has something to send
        # the order being pushed: its card as last read (stale after a write), and whether
        # anything was written to Epicentr
        self.order = self.card = self.walk = None
        self.stale = self.changed = False
        self.to_follow = {}  # order -> its card as Epicentr has it after the writes

    def close(self):
        if self.client:
            self.client.close()

    def push(self, entries):
        """Send the due ``entries`` of one order, then let the order follow Epicentr's card."""
        order, source = entries.order_id, self.source
        if source.read_only:
            entries._hold()
            return
        if source.token_revoked:
            return  # paused until a working token is entered
        latest = entries._latest_intents()
        if not self.client:
            try:
                # one quick retry inside the call; longer waits go through the entries' next attempt
                self.client = source._get_client(retries=1, max_wait=5)
            except UserError as error:  # no token: wait for an administrator
                latest.write({"last_error": str(error)})
                return
        self.order, self.card, self.stale, self.changed = order, None, False, False
        self.walk = StatusWalk(self.client, order.epicentr_uuid, self.env)
        for entry in latest.sorted("id"):  # a tracking number first: Epicentr needs it before "sent"
            if not self._send(entry):
                break
        if self.changed or (self.card and self.card.status != order.epicentr_status):
            self._keep_to_follow()
        entries._settle(order)

    def _send(self, entry):
        """Send one entry and record the outcome on it; False when the source got paused."""
        try:
            getattr(self, SENDERS[entry.kind])(entry)
        except EpicentrAuthError as error:
            if error.status != 403:
                self.source._pause_revoked_token(error)
                entry.last_error = self.source._describe_error(error)
                return False
            entry._refused(self.source._describe_error(error))  # this token may not do this one thing
            return True
        except (EpicentrTransientError, EpicentrRateLimited, EpicentrProtocolError) as error:
            # a garbled answer is not a refusal: likely cut short on the way, try again later
            entry._retry_later(self.source._describe_error(error), getattr(error, "retry_after", None))
        except Waiting as waiting:
            entry._wait(str(waiting))
        except (Refused, EpicentrError) as error:
            entry._refused(self.source._describe_error(error))
        else:
            entry._sent()
        if entry.state == "failed" and entry.kind == "status" and entry.target_status == "canceled":
            self.order._epicentr_reopen(entry.last_error)
        return True

    # ------------------------------------------------------------------ the card

    def _read_card(self):
        """The order's card as Epicentr has it now (read again after a write)."""
        if self.card is None or self.stale:
            try:  # never walk the order from a guess
                self.card = Card(self.client.get_order(self.order.epicentr_uuid)).require("status")
            except OrderDataError:
                raise EpicentrProtocolError(self.env._("the order card has no status")) from None
            self.stale = False
        return self.card

    def _wrote(self):
        self.stale = self.changed = True

    def _keep_to_follow(self):
        try:
            self.to_follow[self.order] = self._read_card()
        except EpicentrError as error:  # the next sync brings it
            _logger.info("Epicentr order %s: not read back after the push (%s)", self.order.epicentr_number, error)

    def follow(self):
        """The orders pushed follow the cards Epicentr had after the writes (sale.order's
        _epicentr_follow_cards: the import, a page at a time), under the source's sync lock like
        every import of the source: a sync running now brings them instead (two imports writing
        the same orders in another order would deadlock)."""
        orders = list(self.to_follow)
        if orders and not try_sync_lock(self.source):
            orders = []
        for start in range(0, len(orders), PAGE_SIZE):
            if self.deadline and time.monotonic() > self.deadline + const.CRON_CALL_OVERRUN_SECONDS:
                break
            page = orders[start:start + PAGE_SIZE]
            try:
                with self.env.cr.savepoint():
                    self.env["sale.order"].union(*page)._epicentr_follow_cards([self.to_follow[order] for order in page])
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:  # a sync or a person changed them: the next sync brings it
                _logger.info("Epicentr orders %s: not followed after the push (%s)", [o.id for o in page], error.pgcode)
        self.to_follow = {}

    # ------------------------------------------------------------------ the senders

    def _send_status(self, entry):
        cancel = (entry.cancel_reason_key, entry.cancel_comment)
        self._walk_to(entry.target_status, entry, cancel=cancel)

    def _walk_to(self, target, entry, cancel=None):
        moves = self.walk.moves
        try:
            return self.walk.to(self._read_card().status, target, cancel=cancel, shipment=self._shipment(entry))
        finally:
            if self.walk.moves != moves:  # even when a later step was refused
                self._wrote()

    def _shipment(self, entry):
        """(carrier, tracking number) for the body of "sent", when the entry has a valid number."""
        carrier, number = self.order.epicentr_carrier, entry.tracking_number
        if number and carrier not in NO_PROVIDER and not self.order._epicentr_tracking_problem(number):
            return carrier, number
        return None

    def _send_tracking(self, entry):
        number = entry.tracking_number
        problem = self.order._epicentr_tracking_problem(number)
        if problem:  # e.g. Retry on a number refused when it was entered
            raise Refused(problem)
        card = self._read_card()
        status = card.status
        if before(status, TRACKING_STATUS):
            if not may_confirm(self.source.rule_ids):
                raise Waiting(self.env._(
                    "Waiting: Epicentr accepts a tracking number once the order is confirmed, and it is "
                    "“%(status)s”. Confirm it in the Epicentr cabinet, or add a status rule that confirms it.",
                    status=const.status_title(self.env, status)))
            status = self._walk_to(TRACKING_STATUS, entry)
        if status != TRACKING_STATUS:
            if card.tracking_number == number:
                return  # already there (sent twice, or typed in the cabinet)
            raise Refused(self.env._(
                "Epicentr accepts a tracking number only while the order is confirmed; it is “%(status)s”.",
                status=const.status_title(self.env, status)))
        if card.tracking_number != number:
            self.client.set_tracking_number(self.order.epicentr_uuid, number)
            self._wrote()
        self._sent_with_number(self._shipment(entry))

    def _sent_with_number(self, shipment):
        """Read back: did Epicentr move the order to "sent" by itself, as its cabinet does?"""
        if self._read_card().status == TRACKING_STATUS and "sent" in self.walk.allowed():
            self._wrote()
            self.walk.move("sent", shipment=shipment)

    def _remove_tracking(self, _entry):
        card = self._read_card()
        if not card.tracking_number:
            return
        if card.status != TRACKING_STATUS:
            raise Refused(self.env._(
                "Epicentr lets a tracking number be removed only while the order is confirmed; it is %(status)s.",
                status=const.status_title(self.env, card.status)))
        self.client.delete_tracking_number(self.order.epicentr_uuid)
        self._wrote()

    def _change_items(self, entry):
        """Change the items on Epicentr (a new order is first confirmed by the seller, as Epicentr
        requires); the quotation then follows what Epicentr has."""
        status = self._read_card().status
        if before(status, ITEMS_STATUS):
            status = self._walk_to(ITEMS_STATUS, entry)
        if status != ITEMS_STATUS:
            raise Refused(self.env._(
                "Epicentr lets the seller change the items only while the order is confirmed by the seller; "
                "it is “%(status)s”.", status=const.status_title(self.env, status)))
        uuid = self.order.epicentr_uuid
        for offer_id, quantity in (entry.item_changes or {}).items():
            if quantity:
                self.client.set_item_quantity(uuid, offer_id, quantity)
            else:
                self.client.delete_item(uuid, offer_id)
        self._wrote()

    def _send_call_result(self, entry):
        if self._read_card().call_status != entry.call_status:
            self.client.set_call_status(self.order.epicentr_uuid, entry.call_status)
            self._wrote()

    def _send_comment(self, entry):
        """Whatever the order's status; never twice in the order's thread."""
        if not (entry.attempts and self._comment_arrived(entry)):
            self.client.add_comment(self.order.epicentr_uuid, entry.comment)
        self.env["epicentr.order.comments"]._sent(self.order, entry.comment)

    def _comment_arrived(self, entry):
        """Whether an earlier attempt's comment is in the order's thread (its answer got lost)."""
        since = entry.create_date - timedelta(minutes=1)
        comments = self.env["epicentr.order.comments"]._read(self.client.get_comments(self.order.epicentr_uuid))
        return any(comment.content == entry.comment.strip() and comment.created_at and comment.created_at >= since
                   for comment in comments)

    def _make_waybill(self, entry):
        """Epicentr makes the waybill of the entry's delivery, once: the card is read first (an
        earlier attempt whose answer was lost, or the cabinet, may have made it), and a request
        Epicentr accepted is never made again. Its number becomes the delivery's tracking
        reference; the label, where Epicentr gives one, is attached to the delivery."""
        picking = entry.picking_id
        provider = picking.carrier_id.epicentr_provider
        if not picking or provider not in const.WAYBILL_PROVIDERS:
            raise Refused(self.env._("The delivery is gone or no longer shipped by a service Epicentr makes waybills for."))
        card = self._read_card()
        if not card.tracking_number and not entry.shipment:
            if before(card.status, TRACKING_STATUS) and may_confirm(self.source.rule_ids):
                self._walk_to(TRACKING_STATUS, entry)
                card = self._read_card()
            shipment = picking._epicentr_shipment(card)
            try:
                self.client.create_shipment(self.order.epicentr_uuid, provider, shipment)
            finally:
                self._wrote()
            entry.shipment = shipment
            card = self._read_card()
        number = card.tracking_number
        if not number:
            raise Waiting(self.env._("Epicentr accepted the waybill; its number is not on the order yet."))
        if picking.carrier_tracking_ref != number:
            picking._epicentr_waybill_made(number, entry.shipment)
        if provider in const.LABEL_PROVIDERS and card.company_id and not picking._epicentr_label(number):
            picking._epicentr_attach_label(number, self.client.get_waybill_file(provider, card.company_id, number))
        self._sent_with_number((provider, number))

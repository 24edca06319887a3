"""Push to Epicentr: the outbox and its sender against the sandbox over real HTTP.

Every test drives the real chain: a user action in Odoo (confirm, cancel, a tracking number on
the delivery, validation) → the hook records an ``epicentr.outbox`` entry in the same
transaction → ``epicentr.outbox._cron_send()`` (the cron's code; it does not commit in tests)
speaks HTTP to the sandbox on 127.0.0.1 → assertions on the sandbox's request log and on its
order, which follows Epicentr's status machine (TTN only while ``confirmed``, cancel needs a
reason, ``sent`` needs a TTN).

Time travel: an entry that must wait (back-off after a transient failure, Retry-After of a 429,
an order not yet confirmed on Epicentr) gets a ``next_attempt_at`` in the future, and the sender
only takes entries that are due. Instead of freezing the clock (freezegun would also freeze the
sandbox's clock and the HTTP client's timeouts in the server thread), the tests first check
that the sender leaves the entry alone, then move its ``next_attempt_at`` into the past
(``make_due``) - exactly what the passing of time does - and run the sender again.
"""

import time
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.epicentr_connector import const
from odoo.addons.epicentr_connector.utils.tracking import expected_tracking_format, normalize_tracking

from .common import SANDBOX_TOKEN, PushCommon

NP_TTN = "20450000000001"  # Nova Poshta: 14 digits starting with 20
NP_TTN_2 = "59000000000002"
MERCHANT_REASON = "order.merchant_cancel_reason.merchant_product_is_not_available"
PUSH_LOGGER = "odoo.addons.epicentr_connector.models.epicentr_outbox"
SOURCE_LOGGER = "odoo.addons.epicentr_connector.models.epicentr_source"
CLIENT_LOGGER = "odoo.addons.epicentr_connector.api.client"


@tagged("post_install", "-at_install")
class TestPush(PushCommon):
    """Odoo → Epicentr: statuses, tracking numbers, cancellations, failures."""

    # ------------------------------------------------------------------ helpers

    def confirmed_in_odoo(self, card):
        """Import the order, confirm it in Odoo and send what that asks for."""
        order = self.import_order(card)
        order.action_confirm()
        self.send()
        self.sandbox.clear_requests()
        return order

    def writes(self):
        """(method, "shipment-number" or "to/<status>", JSON body) of every write Epicentr received."""
        return [(r.method, ("to/" if "/change-status/to/" in r.path else "") + r.path.rsplit("/", 1)[-1], r.json)
                for r in self.sandbox.writes()]

    def steps(self, with_status=False):
        """The last path segment of every write Epicentr received (the status a change-status
        call moved to), with the HTTP status it answered (0: the connection was dropped)."""
        return [(r.path.rsplit("/", 1)[-1], r.status) if with_status else r.path.rsplit("/", 1)[-1]
                for r in self.sandbox.writes()]

    def log(self):
        """(method, what) of every request: the card, allowed-statuses, the writes."""
        result = []
        for r in self.sandbox.requests:
            if "/change-status/to/" in r.path:
                what = "to " + r.path.rsplit("/", 1)[-1]
            elif r.path.endswith("/allowed-statuses"):
                what = "allowed"
            elif r.path.endswith("/shipment-number"):
                what = "ttn"
            elif "/oms/orders/" in r.path and r.path.count("/") == 4:
                what = "card"
            else:
                what = r.path
            result.append((r.method, what))
        return result

    def validate(self, picking):
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.button_validate()
        self.assertEqual(picking.state, "done")

    def make_due(self, entries):
        """Time travel (see the module docstring): the waiting entries become due now."""
        self.assertTrue(all(e.next_attempt_at and e.next_attempt_at > fields.Datetime.now() for e in entries),
                        "the entries were not waiting for a later attempt")
        entries.write({"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})

    def notes(self, order, text):
        return order.message_ids.filtered(lambda m: text in (m.body or ""))

    def cancel_with_wizard(self, order, reason_key=MERCHANT_REASON, comment=None):
        """Cancel as a user does: action_cancel opens the wizard; choose a reason, confirm."""
        action = order.action_cancel()
        self.assertEqual(action.get("res_model"), "epicentr.cancel.wizard",
                         "cancelling an Epicentr order must ask for Epicentr's reason")
        self.assertEqual(order.state, "sale", "nothing is cancelled before the reason is chosen")
        Wizard = self.env["epicentr.cancel.wizard"].with_context(**action["context"])
        # the reasons offered are Epicentr's own list for the seller (this one is not built in)
        offered = dict(Wizard.fields_get(["reason_key"])["reason_key"]["selection"])
        self.assertIn("order.cancel_reason.product_not_available_from_seller", offered)
        self.assertIn(reason_key, offered)
        wizard = Wizard.create({"reason_key": reason_key, "comment": comment})
        wizard.action_cancel_orders()
        self.assertEqual(order.state, "cancel")
        return wizard

    # ------------------------------------------------------------------ statuses

    def test_confirming_a_quotation_walks_new_to_confirmed(self):
        card = self.add("new")
        order = self.import_order(card)
        triggers_before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.push_cron.id)])
        order.action_confirm()
        # Nothing is sent inside the user's transaction; the sender cron is woken.
        self.assertEqual(self.sandbox.requests, [])
        self.assertEqual(self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.push_cron.id)]),
                         triggers_before + 1)
        entry = self.entries(order)
        self.assertRecordValues(entry, [{"kind": "status", "target_status": "confirmed", "state": "pending"}])
        self.assertEqual(order.epicentr_push_state, "pending")

        self.send()
        # allowed-statuses is read before each step; no step is skipped
        self.assertEqual(self.log(), [
            ("GET", "card"),
            ("GET", "allowed"), ("POST", "to confirmed_by_merchant"),
            ("GET", "allowed"), ("POST", "to confirmed"),
        ])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "confirmed")
        self.assertRecordValues(entry, [{"state": "done", "attempts": 1, "last_error": False}])
        self.assertEqual(order.epicentr_push_state, "ok")

        # idempotence: the sender again has nothing to send
        self.sandbox.clear_requests()
        self.send()
        self.assertEqual(self.sandbox.requests, [])

    def test_change_already_made_on_epicentr_is_not_sent_again(self):
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        # the seller confirmed the order in the cabinet before the sender ran
        self.sandbox.store.platform_set_status(card["id"], "confirmed")
        self.send()
        self.assertEqual(self.sandbox.writes(), [])
        self.assertEqual(self.entries(order).state, "done")
        self.assertEqual(order.epicentr_push_state, "ok")

    def test_confirming_an_order_epicentr_already_shipped_is_not_an_error(self):
        # Imported while `sent` (a quotation in Odoo): confirming it in Odoo asks for
        # "confirmed", which the order has already passed on Epicentr.
        card = self.add("sent")
        order = self.import_order(card)
        self.assertEqual(order.state, "draft")
        order.action_confirm()
        self.send()
        self.assertEqual(self.sandbox.writes(), [])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "sent")
        self.assertEqual(self.entries(order).state, "done")
        self.assertEqual(order.epicentr_push_state, "ok")
        self.assertFalse(self.error_activities(order))

    def test_refusal_is_shown_on_the_order_and_retry_resends(self):
        # An order whose card payment is awaited cannot be cancelled on Epicentr.
        card = self.add("new")
        card["address"]["shipment"].update(paymentProvider="easypay", paymentStatus="payment_waiting")
        order = self.import_order(card)
        order.action_confirm()
        order._epicentr_cancel(MERCHANT_REASON)
        self.send()
        # refused from allowed-statuses, without a write
        self.assertEqual(self.sandbox.writes(), [])
        entry = self.entries(order).filtered(lambda e: e.state != "superseded")
        self.assertRecordValues(entry, [{"state": "failed", "target_status": "canceled"}])
        self.assertIn("does not allow", entry.last_error)
        self.assertEqual(order.epicentr_push_state, "error")
        self.assertEqual(order.epicentr_push_error, entry.last_error)
        self.assertEqual(len(self.notes(order, "Could not send to Epicentr")), 1)
        self.assertEqual(len(self.error_activities(order)), 1)

        # Retry while Epicentr still refuses: a second note, still one activity.
        order.action_epicentr_retry()
        self.assertEqual(order.epicentr_push_state, "pending")
        self.send()
        self.assertEqual(self.sandbox.writes(), [])
        self.assertEqual(entry.state, "failed")
        self.assertEqual(len(self.notes(order, "Could not send to Epicentr")), 2)
        self.assertEqual(len(self.error_activities(order)), 1)

        # The payment arrives; Retry now lands, and the error is cleared.
        self.sandbox.store.orders[card["id"]]["address"]["shipment"]["paymentStatus"] = "hold_set"
        order.action_epicentr_retry()
        self.send()
        self.assertEqual([(m, p) for m, p, _body in self.writes()], [("POST", "to/canceled")])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "canceled")
        self.assertEqual(entry.state, "done")
        self.assertEqual(order.epicentr_push_state, "ok")
        self.assertFalse(order.epicentr_push_error)
        self.assertFalse(self.error_activities(order))

    def test_http_refusal_shows_epicentrs_message(self):
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        # a reason Epicentr has dropped from its list since it was chosen: the API answers 400 with its message
        order._epicentr_cancel(MERCHANT_REASON)
        self.entries(order).filtered(lambda e: e.state == "pending").cancel_reason_key = "order.cancel_reason.made_up"
        self.send()
        self.assertEqual([(m, p) for m, p, _body in self.writes()], [("POST", "to/canceled")])
        self.assertEqual(self.sandbox.writes()[0].status, 400)
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "confirmed")
        entry = self.entries(order)[-1]
        self.assertEqual(entry.state, "failed")
        self.assertIn("Epicentr refused: Invalid request parameters", entry.last_error)
        self.assertIn("translationKey: Required", entry.last_error, "Epicentr's reason is not shown")
        self.assertEqual(order.epicentr_push_state, "error")
        self.assertIn("Invalid request parameters", order.epicentr_push_error)
        self.assertEqual(len(self.error_activities(order)), 1)

    # ------------------------------------------------------------------ cancellation

    def test_cancel_through_the_wizard_sends_the_reason(self):
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        self.cancel_with_wizard(order, comment="Закінчився на складі")
        self.assertEqual(self.sandbox.writes(), [], "nothing is sent inside the user's transaction")
        self.send()
        self.assertEqual(self.writes(), [("POST", "to/canceled", {
            "reason_code": "merchant_product_is_not_available",
            "translationKey": MERCHANT_REASON,
            "comment": "Закінчився на складі",
        })])
        stored = self.sandbox.store.orders[card["id"]]
        self.assertEqual(stored["statusCode"], "canceled")
        self.assertEqual(stored["cancel"]["initiatorCode"], "merchant")
        self.assertEqual(stored["cancel"]["reasonTranslationKey"], MERCHANT_REASON)
        self.assertEqual(order.epicentr_push_state, "ok")

    def test_cancel_without_comment_sends_no_comment(self):
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        self.send()
        self.sandbox.clear_requests()
        self.cancel_with_wizard(order, reason_key="order.cancel_reason.price_differs")
        self.send()
        self.assertEqual(self.writes(), [("POST", "to/canceled", {
            "reason_code": "price_differs", "translationKey": "order.cancel_reason.price_differs"})])

    # ------------------------------------------------------------------ transactions, coalescing

    def test_a_call_past_its_time_budget_hands_the_rest_to_the_next_call(self):
        orders = self.env["sale.order"]
        for _ in range(3):
            orders |= self.import_order(self.add())
        orders.action_confirm()
        with patch.object(const, "CRON_CALL_SECONDS", 0):  # every call is past its budget after an order
            for sent in (1, 2, 3):
                triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.push_cron.id)])
                self.send()
                self.assertEqual(len({r.path.split("/")[4] for r in self.sandbox.writes()}), sent, "one order a call")
                if sent < 3:
                    self.assertGreater(self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.push_cron.id)]),
                                       triggers, "the call woke the next one")
        self.assertEqual(set(orders.mapped("epicentr_status")), {"confirmed"})
        self.assertEqual(len(self.sandbox.writes()), 6, "two steps an order, each once")

    def test_rolled_back_transaction_sends_nothing(self):
        card = self.add("new")
        order = self.import_order(card)
        Trigger = self.env["ir.cron.trigger"]
        triggers = Trigger.search([("cron_id", "=", self.push_cron.id)])
        with self.assertRaises(ZeroDivisionError), self.env.cr.savepoint():
            order.action_confirm()
            self.assertTrue(self.entries(order), "the click recorded nothing: the test proves nothing")
            raise ZeroDivisionError  # the user's transaction fails after the confirmation (any error does)
        self.assertEqual(order.state, "draft")
        self.assertFalse(self.entries(order))
        self.assertFalse(Trigger.search([("cron_id", "=", self.push_cron.id)]) - triggers)
        self.send()
        self.assertEqual(self.sandbox.requests, [])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "new")

    def test_two_quick_changes_send_the_latest_intent_once(self):
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        order._epicentr_cancel(MERCHANT_REASON, "Передумали")
        self.send()
        # not new → confirmed_by_merchant → confirmed → canceled: just the cancellation
        self.assertEqual([(m, p) for m, p, _body in self.writes()], [("POST", "to/canceled")])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "canceled")
        self.assertEqual(self.entries(order).mapped("state"), ["superseded", "done"])

    # ------------------------------------------------------------------ failures

    def test_503_then_success_is_retried_by_the_client_and_lands_once(self):
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        self.sandbox.fault("503", count=1, path_contains="change-status/to/confirmed_by_merchant")
        self.send()
        posts = self.steps(with_status=True)
        self.assertEqual(posts, [("confirmed_by_merchant", 503), ("confirmed_by_merchant", 202), ("confirmed", 202)])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "confirmed")
        self.assertEqual(self.entries(order).state, "done")

    def test_503_past_the_client_retries_is_retried_later_and_lands_once(self):
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        self.sandbox.fault("503", count=100, path_contains="change-status")  # more than the client retries
        started = fields.Datetime.now()
        with mute_logger(CLIENT_LOGGER):
            self.send()
        self.sandbox.clear_faults()  # Epicentr is back
        self.assertTrue(self.sandbox.writes())
        self.assertEqual({r.status for r in self.sandbox.writes()}, {503})
        entry = self.entries(order)
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "new")
        self.assertRecordValues(entry, [{"state": "pending", "attempts": 1}])
        self.assertIn("503", entry.last_error)
        self.assertGreaterEqual(entry.next_attempt_at, started + timedelta(seconds=60))  # back-off
        self.assertEqual(order.epicentr_push_state, "pending")
        self.assertEqual(order.epicentr_push_error, entry.last_error)
        self.assertFalse(self.error_activities(order), "a transient failure does not bother the salesperson")
        # the retry is scheduled: a cron trigger at the entry's time
        self.assertTrue(self.env["ir.cron.trigger"].search(
            [("cron_id", "=", self.push_cron.id), ("call_at", "=", entry.next_attempt_at)]))

        self.sandbox.clear_requests()
        self.send()  # not due yet
        self.assertEqual(self.sandbox.requests, [])
        self.make_due(entry)
        self.send()
        self.assertEqual(self.steps(),
                         ["confirmed_by_merchant", "confirmed"])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "confirmed")
        self.assertRecordValues(entry, [{"state": "done", "attempts": 2, "last_error": False}])
        self.assertEqual(order.epicentr_push_state, "ok")

    def test_transient_failures_stop_after_the_limit(self):
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        self.sandbox.fault("503", count=1000, path_contains="change-status")
        entry = self.entries(order)
        with mute_logger(CLIENT_LOGGER):
            self.send()
            while entry.state == "pending":
                self.assertLess(entry.attempts, 20, "the sender retries for ever")
                self.make_due(entry)
                self.send()
        self.sandbox.clear_faults()
        self.assertRecordValues(entry, [{"state": "failed", "attempts": 6}])
        self.assertEqual(order.epicentr_push_state, "error")
        self.assertEqual(len(self.error_activities(order)), 1)
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "new")

    def test_write_applied_but_answer_lost_is_not_sent_twice(self):
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        # Epicentr applies the first step only after our client gave up waiting (read timeout):
        # the write may or may not have happened, so it must not be repeated blindly.
        self.sandbox.fault("slow", count=1, path_contains="to/confirmed_by_merchant", delay=1.0)
        with mute_logger(CLIENT_LOGGER):
            self.send(timeout=(2, 0.3))
        entry = self.entries(order)
        self.assertRecordValues(entry, [{"state": "pending", "attempts": 1}])
        stored = self.sandbox.store.orders[card["id"]]
        deadline = time.monotonic() + 10
        while stored["statusCode"] != "confirmed_by_merchant":  # the sandbox finishes the slow request
            self.assertLess(time.monotonic(), deadline, "the sandbox never applied the slow request")
            time.sleep(0.02)
        self.make_due(entry)
        self.send()
        self.assertEqual(self.steps(),
                         ["confirmed_by_merchant", "confirmed"], "confirmed_by_merchant was posted twice")
        self.assertEqual(stored["statusCode"], "confirmed")
        self.assertEqual(entry.state, "done")

    def test_500_burst_on_reads_and_a_write_is_retried_later_and_lands_once(self):
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        entry = self.entries(order)
        # the card read fails past the sender's one quick retry; then a 500 on the first write,
        # which the client never repeats by itself (the backend may have applied it)
        self.sandbox.fault("500", count=2, path_contains="/v6/oms/orders/")
        self.sandbox.fault("500", count=1, path_contains="change-status/to/confirmed_by_merchant")
        with mute_logger(CLIENT_LOGGER):
            self.send()
            self.assertEqual(self.log(), [("GET", "card"), ("GET", "card")])
            self.assertRecordValues(entry, [{"state": "pending", "attempts": 1}])
            self.assertIn("HTTP 500", entry.last_error)
            self.assertEqual(order.epicentr_push_error, entry.last_error, "not shown on the order")
            self.make_due(entry)
            self.send()
        self.assertRecordValues(entry, [{"state": "pending", "attempts": 2}])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "new")
        self.make_due(entry)
        self.send()
        self.assertEqual(self.steps(with_status=True),
                         [("confirmed_by_merchant", 500), ("confirmed_by_merchant", 202), ("confirmed", 202)])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "confirmed")
        self.assertRecordValues(entry, [{"state": "done", "attempts": 3, "last_error": False}])
        self.assertEqual(order.epicentr_push_state, "ok")
        self.assertFalse(self.error_activities(order), "a transient failure does not bother the salesperson")
        self.assertFalse(self.notes(order, "Could not send to Epicentr"))

    def test_connection_dropped_before_the_write_applied_sends_it_again_once(self):
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        self.sandbox.fault("drop", count=1, path_contains="to/confirmed_by_merchant")
        with mute_logger(CLIENT_LOGGER):
            self.send()
        entry = self.entries(order)
        self.assertRecordValues(entry, [{"state": "pending", "attempts": 1}])
        self.assertIn("dropped the connection", entry.last_error)
        self.assertEqual(order.epicentr_push_error, entry.last_error)
        stored = self.sandbox.store.orders[card["id"]]
        self.assertEqual(stored["statusCode"], "new", "the sandbox applied a dropped request")
        self.make_due(entry)
        self.send()
        # the card, read again first, still says "new": the step is sent again, and lands once
        self.assertEqual(self.steps(with_status=True),
                         [("confirmed_by_merchant", 0), ("confirmed_by_merchant", 202), ("confirmed", 202)])
        self.assertEqual(stored["statusCode"], "confirmed")
        self.assertRecordValues(entry, [{"state": "done", "attempts": 2, "last_error": False}])
        self.assertEqual(order.epicentr_push_state, "ok")

    def test_connection_dropped_after_the_write_applied_is_not_sent_twice(self):
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        self.sandbox.fault("drop_after", count=1, path_contains="to/confirmed_by_merchant")
        with mute_logger(CLIENT_LOGGER):
            self.send()
        entry = self.entries(order)
        self.assertRecordValues(entry, [{"state": "pending", "attempts": 1}])
        self.assertIn("dropped the connection", entry.last_error)
        stored = self.sandbox.store.orders[card["id"]]
        self.assertEqual(stored["statusCode"], "confirmed_by_merchant", "the write took effect")
        self.make_due(entry)
        self.send()
        self.assertEqual(self.steps(),
                         ["confirmed_by_merchant", "confirmed"], "confirmed_by_merchant was posted twice")
        self.assertEqual(stored["statusCode"], "confirmed")
        self.assertRecordValues(entry, [{"state": "done", "attempts": 2, "last_error": False}])

    def test_malformed_card_is_retried_later_not_called_a_refusal(self):
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        self.sandbox.fault("malformed", count=1, path_contains="/v6/oms/orders/")
        with mute_logger(CLIENT_LOGGER):
            self.send()
        entry = self.entries(order)
        self.assertEqual(self.sandbox.writes(), [], "a write was made without reading the order")
        self.assertRecordValues(entry, [{"state": "pending", "attempts": 1}])
        self.assertIn("unexpected answer", entry.last_error)
        self.assertNotIn("refused", entry.last_error)
        self.assertEqual(order.epicentr_push_error, entry.last_error)
        self.assertFalse(self.error_activities(order))
        self.make_due(entry)
        self.send()
        self.assertEqual(self.steps(), ["confirmed_by_merchant", "confirmed"])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "confirmed")
        self.assertRecordValues(entry, [{"state": "done", "attempts": 2, "last_error": False}])

    def test_malformed_answer_to_an_applied_write_lands_once(self):
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        # the write took effect, its answer came back cut short: a write's answer is not read
        self.sandbox.fault("malformed", count=1, path_contains="to/confirmed_by_merchant")
        self.send()
        self.assertEqual(self.steps(), ["confirmed_by_merchant", "confirmed"])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "confirmed")
        self.assertRecordValues(self.entries(order), [{"state": "done", "attempts": 1}])
        self.sandbox.clear_requests()
        self.send()
        self.assertEqual(self.sandbox.requests, [])

    def test_card_missing_its_status_is_not_guessed(self):
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        self.sandbox.fault("missing", count=1, field="statusCode", path_contains="/v6/oms/orders/")
        self.send()
        entry = self.entries(order)
        self.assertEqual(self.sandbox.writes(), [], "sent on a guess of the order's status")
        self.assertRecordValues(entry, [{"state": "pending", "attempts": 1}])
        self.assertIn("has no status", entry.last_error)
        self.assertEqual(order.epicentr_push_error, entry.last_error)
        self.make_due(entry)
        self.send()
        self.assertEqual(self.steps(), ["confirmed_by_merchant", "confirmed"])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "confirmed")
        self.assertRecordValues(entry, [{"state": "done", "attempts": 2, "last_error": False}])

    def test_order_in_a_status_unknown_to_the_connector_is_refused_with_the_reason(self):
        card = self.add("new")
        order = self.import_order(card)
        stored = self.sandbox.store.orders[card["id"]]
        stored["statusCode"] = "awaiting_stock"  # a status Epicentr added since (no merchant moves)
        order.action_confirm()
        self.send()
        self.assertEqual(self.log(), [("GET", "card"), ("GET", "allowed")])
        entry = self.entries(order)
        self.assertEqual(entry.state, "failed")
        self.assertIn("awaiting_stock", entry.last_error)
        self.assertIn("does not allow", entry.last_error)
        self.assertEqual(order.epicentr_push_state, "error")
        self.assertEqual(len(self.notes(order, "Could not send to Epicentr")), 1)
        self.assertEqual(len(self.error_activities(order)), 1)
        # Epicentr moves the order on; Retry then lands, once
        self.sandbox.store.platform_set_status(card["id"], "confirmed_by_merchant")
        self.sandbox.clear_requests()
        order.action_epicentr_retry()
        self.send()
        self.assertEqual(self.steps(), ["confirmed"])
        self.assertEqual(stored["statusCode"], "confirmed")
        self.assertEqual(entry.state, "done")
        self.assertEqual(order.epicentr_push_state, "ok")
        self.assertFalse(self.error_activities(order))

    def test_429_honours_retry_after(self):
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        self.sandbox.fault("429", count=1, path_contains="change-status", retry_after=600)
        before = fields.Datetime.now()
        self.send()
        after = fields.Datetime.now()
        entry = self.entries(order)
        # one attempt only: the client does not sleep 10 minutes inside the cron
        self.assertEqual([r.status for r in self.sandbox.writes()], [429])
        self.assertRecordValues(entry, [{"state": "pending", "attempts": 1}])
        self.assertGreaterEqual(entry.next_attempt_at, before + timedelta(seconds=600))
        self.assertLessEqual(entry.next_attempt_at, after + timedelta(seconds=600))
        self.assertIn("429", entry.last_error)
        self.assertNotIn("refused", entry.last_error, "a rate limit is not a refusal: it is retried")
        self.assertTrue(self.env["ir.cron.trigger"].search(
            [("cron_id", "=", self.push_cron.id), ("call_at", "=", entry.next_attempt_at)]))
        self.sandbox.clear_requests()
        self.send()
        self.assertEqual(self.sandbox.requests, [], "sent before Retry-After elapsed")
        self.make_due(entry)
        self.send()
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "confirmed")
        self.assertEqual(entry.state, "done")

    def test_401_pauses_the_source_and_tells_the_managers(self):
        manager = new_test_user(self.env, login="epc_push_manager",
                                groups="base.group_user,epicentr_connector.group_epicentr_manager")
        first, second = self.add("new"), self.add("new")
        order = self.import_order(first)
        other = self.import_order(second)
        self.source.sudo().api_token = "revoked-token"
        order.action_confirm()
        with mute_logger(PUSH_LOGGER, SOURCE_LOGGER):
            self.send()
        self.assertEqual([r.status for r in self.sandbox.requests], [401])
        self.assertTrue(self.source.token_revoked)
        self.assertEqual(self.source.connection_state, "failed")
        warning = self.env.ref("mail.mail_activity_data_warning")
        activities = self.source.activity_ids.filtered(lambda a: a.activity_type_id == warning)
        self.assertIn(manager, activities.user_id)
        self.assertEqual(len(activities.filtered(lambda a: a.user_id == manager)), 1)
        entry = self.entries(order)
        self.assertEqual(entry.state, "pending", "the change waits for a working token, it is not lost")
        self.assertIn("token", order.epicentr_push_error)

        # paused: later sends and syncs of the source make no request at all
        self.sandbox.clear_requests()
        other.action_confirm()
        self.send()
        self.source.next_sync_at = False  # due for a sync
        self.env["epicentr.source"]._cron_sync_orders()
        self.assertEqual(self.sandbox.requests, [])
        self.assertEqual(len(self.source.activity_ids.filtered(lambda a: a.user_id == manager)), 1)

        # a working token, once its connection is tested, resumes: both changes land, once each
        self.source.sudo().api_token = SANDBOX_TOKEN
        self.send()
        self.assertEqual(self.sandbox.writes(), [], "resumed before the connection was tested")
        self.source.with_user(manager).action_test_connection()
        self.assertFalse(self.source.token_revoked)
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", self.push_cron.id)]),
                        "the paused sends are not woken")
        self.send()
        self.assertEqual(self.sandbox.store.orders[first["id"]]["statusCode"], "confirmed")
        self.assertEqual(self.sandbox.store.orders[second["id"]]["statusCode"], "confirmed")
        self.assertEqual(len(self.sandbox.writes()), 4)
        self.assertEqual((self.entries(order) | self.entries(other)).mapped("state"), ["done", "done"])

    def test_read_only_mode_sends_nothing(self):
        card = self.add("new")
        order = self.import_order(card)
        self.source.read_only = True
        order.action_confirm()
        # no wizard in read-only mode: nothing would carry the reason
        self.assertTrue(order.with_context(disable_cancel_warning=True).action_cancel())
        self.assertEqual(order.state, "cancel")
        self.send()
        self.assertEqual(self.sandbox.requests, [])
        entries = self.entries(order)
        self.assertEqual(len(entries), 2, "the intents are kept")
        self.assertEqual(set(entries.mapped("state")), {"held"})
        self.assertTrue(all("Read-only" in e.last_error for e in entries))
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "new")
        # leaving read-only mode does not send the old intents behind the seller's back
        self.source.read_only = False
        self.send()
        self.assertEqual(self.sandbox.requests, [])

    # ------------------------------------------------------------------ import never pushes

    def test_history_import_and_incremental_sync_send_nothing(self):
        cards = {status: self.add(status) for status in
                 ("new", "confirmed_by_merchant", "confirmed", "sent", "completed", "canceled")}
        for card in cards.values():
            for item in card["items"]:
                self.env["product.product"].create(
                    {"name": item["title"], "default_code": item["productExternalId"] or item["sku"], "type": "consu"})
        self.source.send_tracking = True
        self.source.tracking_on_tracking_set = True
        self.source._sync_orders()
        orders = self.env["sale.order"].search([("epicentr_source_id", "=", self.source.id)])
        self.assertEqual(len(orders), len(cards))
        self.assertIn("sale", orders.mapped("state"))
        self.assertIn("cancel", orders.mapped("state"))
        # the platform and the buyer move orders along; the incremental sync follows
        self.sandbox.store.platform_set_status(cards["new"]["id"], "canceled")
        self.sandbox.store.platform_set_status(cards["confirmed"]["id"], "sent")
        self.sandbox.store.platform_set_status(cards["sent"]["id"], "completed")
        self.source._sync_orders()
        self.assertEqual(orders.filtered(lambda o: o.epicentr_uuid == cards["new"]["id"]).state, "cancel")
        self.assertEqual(self.sandbox.writes(), [])
        self.assertFalse(self.Push.search([("order_id", "in", orders.ids)]), "the import recorded a push")
        self.sandbox.clear_requests()
        self.send()
        self.assertEqual(self.sandbox.requests, [])

    # ------------------------------------------------------------------ tracking numbers

    def test_ttn_waits_for_the_trigger_then_lands_and_the_order_is_sent(self):
        self.source.send_tracking = True  # default trigger: the delivery validated
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        self.send()
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "confirmed")
        self.sandbox.clear_requests()
        picking = self.delivery(order)
        picking.carrier_tracking_ref = "20 4500 0000 0001"  # typed with spaces
        self.send()
        self.assertEqual(self.sandbox.requests, [], "sent before the trigger point")
        self.validate(picking)
        self.send()
        self.assertEqual(self.log(), [
            ("GET", "card"), ("PATCH", "ttn"),
            ("GET", "card"), ("GET", "allowed"), ("POST", "to sent"),
            ("GET", "card"),  # the "delivery validated → sent" rule: already there
        ])
        self.assertEqual(self.writes()[0], ("PATCH", "shipment-number", {"number": NP_TTN}))
        self.assertEqual(self.writes()[1], ("POST", "to/sent", {"provider": "nova_poshta", "number": NP_TTN}))
        stored = self.sandbox.store.orders[card["id"]]
        self.assertEqual((stored["statusCode"], stored["address"]["shipment"]["number"]), ("sent", NP_TTN))
        self.assertEqual(set(self.entries(order).mapped("state")), {"done"})
        self.assertEqual(order.epicentr_push_state, "ok")

    def test_ttn_not_sent_again_when_epicentr_moved_to_sent_itself(self):
        self.sandbox.store.ttn_autosend = True  # as the cabinet does when a TTN is entered
        self.source.send_tracking = True
        self.source.tracking_on_tracking_set = True
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        self.delivery(order).carrier_tracking_ref = NP_TTN
        self.send()
        self.assertEqual(self.log(), [("GET", "card"), ("PATCH", "ttn"), ("GET", "card")])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "sent")
        self.assertEqual(self.entries(order)[-1].state, "done")

    def test_ttn_applied_but_answer_lost_is_not_sent_twice(self):
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        # Epicentr stores the TTN only after our client gave up waiting for the answer
        self.sandbox.fault("slow", count=1, path_contains="shipment-number", delay=1.0)
        self.delivery(order).carrier_tracking_ref = NP_TTN
        with mute_logger(CLIENT_LOGGER):
            self.send(timeout=(2, 0.3))
        entry = self.entries(order)[-1]
        self.assertRecordValues(entry, [{"kind": "tracking", "state": "pending", "attempts": 1}])
        shipment = self.sandbox.store.orders[card["id"]]["address"]["shipment"]
        deadline = time.monotonic() + 10
        while shipment["number"] != NP_TTN:  # the sandbox finishes the slow request
            self.assertLess(time.monotonic(), deadline, "the sandbox never applied the slow request")
            time.sleep(0.02)
        self.make_due(entry)
        self.send()
        self.assertEqual([(m, p) for m, p, _body in self.writes()], [("PATCH", "shipment-number"), ("POST", "to/sent")])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "sent")
        self.assertEqual(entry.state, "done")

    def test_ttn_waits_until_epicentr_confirms_when_the_rules_may_not(self):
        self.source.rule_ids.unlink()  # no rule may move the order forward on Epicentr
        self.source.send_tracking = True
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        picking = self.delivery(order)
        picking.carrier_tracking_ref = NP_TTN
        self.validate(picking)
        self.send()
        self.assertEqual(self.sandbox.writes(), [])
        entry = self.entries(order)
        self.assertRecordValues(entry, [{"kind": "tracking", "state": "pending"}])
        self.assertIn("Waiting", entry.last_error)
        self.assertIn("Нове", entry.last_error)
        self.assertEqual(order.epicentr_push_state, "pending")
        self.assertIn("Waiting", order.epicentr_push_error)
        # the seller confirms in the cabinet; at the next attempt the TTN goes
        self.sandbox.store.platform_set_status(card["id"], "confirmed")
        self.sandbox.clear_requests()
        self.send()
        self.assertEqual(self.sandbox.requests, [])
        self.make_due(entry)
        self.send()
        self.assertEqual([(m, p) for m, p, _body in self.writes()], [("PATCH", "shipment-number"), ("POST", "to/sent")])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "sent")
        self.assertEqual(entry.state, "done")

    def test_ttn_on_a_new_order_walks_it_to_confirmed_first(self):
        # Trigger "entered"; no status rule for the confirmation, but one may set "sent".
        self.source.rule_ids.filtered(lambda r: r.odoo_event == "order_confirmed").unlink()
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        self.delivery(order).carrier_tracking_ref = NP_TTN
        self.send()
        self.assertEqual([(m, p) for m, p, _body in self.writes()], [
            ("POST", "to/confirmed_by_merchant"), ("POST", "to/confirmed"),
            ("PATCH", "shipment-number"), ("POST", "to/sent")])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "sent")

    def test_invalid_ttn_is_refused_locally(self):
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        self.delivery(order).carrier_tracking_ref = "2045000000000"  # 13 digits
        entry = self.entries(order)[-1]
        self.assertRecordValues(entry, [{"kind": "tracking", "state": "failed", "tracking_number": "2045000000000"}])
        self.assertEqual(order.epicentr_push_state, "error")
        self.assertIn("2045000000000 is not a valid tracking number for Nova Poshta", order.epicentr_push_error)
        self.assertIn("14 digits starting with 20 or 59", order.epicentr_push_error)
        self.assertEqual(len(self.error_activities(order)), 1)
        self.assertTrue(self.notes(order, "2045000000000 is not a valid"))
        self.send()
        self.assertEqual(self.sandbox.requests, [], "an invalid TTN must not reach Epicentr")
        self.assertIsNone(self.sandbox.store.orders[card["id"]]["address"]["shipment"]["number"])

    def test_valid_ttn_of_another_carrier_format(self):
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("confirmed", provider="ukrposhta")
        order = self.confirmed_in_odoo(card)
        self.assertEqual(order.epicentr_carrier, "ukrposhta")
        self.delivery(order).carrier_tracking_ref = NP_TTN  # a Nova Poshta number on an Ukrposhta order
        self.assertIn("13 digits starting with 05", order.epicentr_push_error)
        self.assertEqual(len(self.error_activities(order)), 1)
        self.delivery(order).carrier_tracking_ref = "0500000000001"
        self.send()
        self.assertEqual(self.writes(), [
            ("PATCH", "shipment-number", {"number": "0500000000001"}),
            ("POST", "to/sent", {"provider": "ukrposhta", "number": "0500000000001"})])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "sent")
        # the corrected number landed: the order no longer shows the old error
        self.assertEqual(order.epicentr_push_state, "ok")
        self.assertFalse(order.epicentr_push_error)
        self.assertFalse(self.error_activities(order))

    def test_retry_never_sends_an_invalid_ttn(self):
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        self.delivery(order).carrier_tracking_ref = "12345"
        self.assertEqual(order.epicentr_push_state, "error")
        order.action_epicentr_retry()
        self.send()
        self.assertEqual(self.sandbox.writes(), [], "Retry sent a number refused as invalid")
        self.assertEqual(order.epicentr_push_state, "error")
        self.assertIn("12345 is not a valid tracking number", order.epicentr_push_error)

    def test_delivery_validated_sends_sent_with_the_ttn_when_the_switch_is_off(self):
        # Default source: no "Send tracking number", default rule "delivery validated (with a
        # tracking number) -> sent": the TTN travels in the body of the change to "sent".
        self.assertFalse(self.source.send_tracking)
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        picking = self.delivery(order)
        picking.carrier_tracking_ref = NP_TTN
        self.validate(picking)
        self.send()
        self.assertEqual(self.writes(), [("POST", "to/sent", {"provider": "nova_poshta", "number": NP_TTN})])
        stored = self.sandbox.store.orders[card["id"]]
        self.assertEqual((stored["statusCode"], stored["address"]["shipment"]["number"]), ("sent", NP_TTN))
        self.assertEqual(order.epicentr_push_state, "ok")

    def test_ttn_changed_quickly_sends_the_latest_only(self):
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        picking = self.delivery(order)
        picking.carrier_tracking_ref = NP_TTN
        picking.carrier_tracking_ref = NP_TTN_2
        self.send()
        self.assertEqual([(m, p, b) for m, p, b in self.writes() if m == "PATCH"],
                         [("PATCH", "shipment-number", {"number": NP_TTN_2})])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["address"]["shipment"]["number"], NP_TTN_2)

    def test_ttn_changed_and_changed_back_sends_what_odoo_has(self):
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        picking = self.delivery(order)
        picking.carrier_tracking_ref = NP_TTN
        picking.carrier_tracking_ref = NP_TTN_2  # a typo …
        picking.carrier_tracking_ref = NP_TTN  # … corrected before the sender ran
        self.send()
        self.assertEqual(self.sandbox.store.orders[card["id"]]["address"]["shipment"]["number"], NP_TTN)

    def test_ttn_entered_and_removed_before_sending_sends_nothing(self):
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        picking = self.delivery(order)
        picking.carrier_tracking_ref = NP_TTN
        picking.carrier_tracking_ref = False
        self.send()
        self.assertEqual(self.sandbox.writes(), [])
        self.assertEqual(self.entries(order).filtered(lambda e: e.kind != "status").mapped("state"),
                         ["superseded", "done"])

    def test_removed_ttn_is_deleted_at_epicentr(self):
        self.source.send_tracking = True  # default trigger: the delivery validated, not reached here
        card = self.add("confirmed")
        # the TTN was typed in the cabinet, and on the delivery in Odoo
        card["address"]["shipment"]["number"] = NP_TTN
        order = self.confirmed_in_odoo(card)
        picking = self.delivery(order)
        picking.carrier_tracking_ref = NP_TTN
        self.send()
        self.assertEqual(self.sandbox.writes(), [])
        picking.carrier_tracking_ref = False
        self.assertEqual(self.entries(order)[-1].kind, "tracking_delete")
        self.send()
        self.assertEqual(self.writes(), [("DELETE", "shipment-number", None)])
        self.assertIsNone(self.sandbox.store.orders[card["id"]]["address"]["shipment"]["number"])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "confirmed")
        self.assertEqual(order.epicentr_push_state, "ok")

    def test_ttn_entered_removed_and_entered_again_before_sending_is_sent(self):
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        picking = self.delivery(order)
        picking.carrier_tracking_ref = NP_TTN
        picking.carrier_tracking_ref = False
        picking.carrier_tracking_ref = NP_TTN  # what Odoo has in the end
        self.send()
        stored = self.sandbox.store.orders[card["id"]]
        self.assertEqual((stored["statusCode"], stored["address"]["shipment"]["number"]), ("sent", NP_TTN))

    def test_changed_ttn_after_sent_is_refused_with_the_reason(self):
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        picking = self.delivery(order)
        picking.carrier_tracking_ref = NP_TTN
        self.send()
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "sent")
        self.sandbox.clear_requests()
        picking.carrier_tracking_ref = NP_TTN_2
        self.send()
        self.assertEqual(self.sandbox.writes(), [])
        self.assertEqual(order.epicentr_push_state, "error")
        self.assertIn("only while the order is confirmed", order.epicentr_push_error)
        self.assertIn("Відправлено", order.epicentr_push_error)

    # ------------------------------------------------------------------ tracking formats (units)

    def test_tracking_number_normalisation(self):
        self.assertEqual(normalize_tracking(" 20 4500-0000 0001 "), "20450000000001")
        self.assertEqual(normalize_tracking("rr123456789ua"), "RR123456789UA")
        self.assertEqual(normalize_tracking(None), "")
        self.assertEqual(normalize_tracking(False), "")

    def test_tracking_number_formats_per_carrier(self):
        valid = {
            "nova_poshta": ["20450000000001", "59000000000002"],
            "ukrposhta": ["0500000000001", "RR123456789UA"],
            "meest": ["CV123456789UA", "1234567890", "12345678901234"],
            "cvz_epicentr": ["CV123456789UA"],
            "parcel_box_epicentr": ["1234567890"],
            "courier_delivery": ["anything", "1"],
            "other": ["x"],
            False: ["free text"],
        }
        invalid = {
            "nova_poshta": ["2045000000000", "204500000000011", "10450000000001", "2045000000000A", ""],
            "ukrposhta": ["050000000001", "0600000000001", "RR123456789US", "RR12345678UA"],
            "meest": ["123456789", "123456789012345", "C1123456789UA"],
            "cvz_epicentr": ["ABC"],
            "parcel_box_epicentr": ["123456789"],
        }
        for carrier, numbers in valid.items():
            for number in numbers:
                with self.subTest(carrier=carrier, number=number):
                    self.assertIsNone(expected_tracking_format(carrier, number))
        for carrier, numbers in invalid.items():
            for number in numbers:
                with self.subTest(carrier=carrier, number=number):
                    self.assertTrue(expected_tracking_format(carrier, number))
        self.assertEqual(str(expected_tracking_format("nova_poshta", "1")), "14 digits starting with 20 or 59")

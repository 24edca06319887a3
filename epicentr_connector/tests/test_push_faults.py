"""Push to Epicentr when Epicentr fails: retries, lost answers, refusals, a revoked token,
read-only mode. How these tests drive the outbox, and how they travel in time: PushCommon
(common.py)."""

import time
from datetime import timedelta

from odoo import fields
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger


from .common import SANDBOX_TOKEN, PushCommon

PUSH_LOGGER = "odoo.addons.epicentr_connector.models.epicentr_outbox"
SOURCE_LOGGER = "odoo.addons.epicentr_connector.models.epicentr_source"
CLIENT_LOGGER = "odoo.addons.epicentr_connector.api.client"


@tagged("post_install", "-at_install")
class TestPushFaults(PushCommon):
    """Odoo → Epicentr when Epicentr fails: retries, lost answers, refusals, a revoked token, read-only mode."""

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
        self.assertEqual(order.epicentr_push_state, "failed")
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

    def test_stale_error_clears_when_epicentr_reaches_the_status(self):
        card = self.add("new")
        order = self.import_order(card)
        self.sandbox.store.orders[card["id"]]["statusCode"] = "awaiting_stock"
        order.action_confirm()
        self.send()
        entry = self.entries(order)
        self.assertEqual((entry.state, order.epicentr_push_state, len(self.error_activities(order))),
                         ("failed", "failed", 1))
        # confirmed in the cabinet meanwhile: the next sync shows it, and the error is moot
        self.sandbox.store.platform_set_status(card["id"], "confirmed")
        self.sandbox.clear_requests()
        self.source._sync_orders()
        self.assertEqual(entry.state, "superseded")
        self.assertEqual(order.epicentr_push_state, "ok")
        self.assertFalse(order.epicentr_push_error)
        self.assertFalse(self.error_activities(order), "nobody had to press Retry")
        self.assertEqual(self.sandbox.writes(), [])

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
        self.assertEqual(order.epicentr_push_state, "failed")
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
        self.end_transaction()  # then, in another click:
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

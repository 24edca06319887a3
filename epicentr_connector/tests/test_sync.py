import logging
from datetime import datetime, timedelta, timezone

from unittest.mock import patch

import psycopg2

from odoo import fields
from odoo.sql_db import db_connect
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .. import const
from ..sync.failed_orders import MAX_ORDER_ATTEMPTS
from ..utils.order_card import Card
from .common import EpicentrCommon, ImportCommon
from ..utils.switches import ServerOnly

_logger = logging.getLogger(__name__)
SYNC_LOCK = "SELECT pg_try_advisory_xact_lock(%s, %s)"
MAX_QUERIES_PER_ORDER = 7  # in a page of 50 or 500 orders (6.2 and 4.9 measured)


@tagged("post_install", "-at_install")
class TestImportFaults(ImportCommon):
    """The import when things go wrong or run at once."""

    # ------------------------------------------------------------------ faults and concurrency

    def test_server_error_mid_pagination_loses_nothing(self):
        cards = [self.add(statusCode="confirmed", createdAt=self.ago(days=3, minutes=i), updatedAt=self.ago(days=2, minutes=i))
                 for i in range(60)]  # two list pages of 50
        self.sandbox.fault("500", count=10, path_contains="cursor=")  # page 2 fails past every retry
        with mute_logger("odoo.addons.epicentr_connector.models.epicentr_source"):
            stats = self.sync()
        self.assertEqual(stats["created"], 50)
        self.assertIn("HTTP 500", self.source.last_error)
        self.assertFalse(self.source.history_done)
        run = self.env["epicentr.sync.log"].search([("source_id", "=", self.source.id)])
        self.assertEqual((run.state, run.created_count), ("error", 50))
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.epicentr_source_error_count, 1, "the Sales settings count the source with a problem")
        self.sandbox.clear_faults()
        self.sync()
        self.assertTrue(all(len(self.imported(card)) == 1 for card in cards))
        self.assertTrue(self.source.history_done)
        self.assertFalse(self.source.last_error)

    def test_broken_order_backs_off_then_is_given_up_and_can_be_dismissed(self):
        """A card that never imports is told once, retried ever more rarely, given up (told
        once more) and dismissed by a manager; meanwhile the source is not "in error" and the
        sync history gets no entry per run."""
        bad = self.add(statusCode="confirmed")
        bad["items"] = []  # can never be imported
        Log = self.env["epicentr.sync.log"]
        self.sync()
        self.assertIn(bad["number"], self.source.last_error)
        logs = Log.search_count([("source_id", "=", self.source.id)])
        reads = lambda: len([r for r in self.sandbox.requests if r.path.endswith(bad["id"])])  # noqa: E731
        for attempt in range(2, MAX_ORDER_ATTEMPTS):  # the quiet retries
            self.sandbox.clear_requests()
            self.sync()
            self.assertEqual(reads(), 1, f"attempt {attempt}")
            self.assertFalse(self.source.last_error, "a failure already told does not keep the source in error")
            self.assertEqual(Log.search_count([("source_id", "=", self.source.id)]), logs)
            self.sandbox.clear_requests()
            self.sync()
            self.assertEqual(reads(), 0, "not retried before its wait is over")
            failure = self.source.failed_orders[bad["id"]]
            self.assertEqual(failure["attempts"], attempt)
            failure["next_try"] = "2000-01-01 00:00:00"  # time passes
            self.source.failed_orders = {bad["id"]: failure}
        self.sync()
        self.assertIn("no longer tried", self.source.last_error)
        self.assertIn(bad["number"], self.source.last_error)
        for _ in range(2):
            self.sandbox.clear_requests()
            self.sync()
            self.assertEqual(reads(), 0, "a given-up order is not tried again")
        self.assertEqual(self.source.failed_order_count, 1)
        manager = new_test_user(self.env, login="epc_sync_manager",
                                groups="base.group_user,epicentr_connector.group_epicentr_manager")
        self.source.with_user(manager).action_dismiss_failed_orders()
        self.assertEqual(self.source.failed_order_count, 0)
        with self.assertRaises(AccessError):
            self.source.with_user(new_test_user(self.env, login="epc_sync_seller", groups="sales_team.group_sale_salesman")
                                  ).action_dismiss_failed_orders()

    def test_deleted_order_is_not_announced_as_retried(self):
        gone = self.add(statusCode="confirmed")
        gone["items"][0]["productExternalId"] = None  # its card must be read
        self.sandbox.fault("refuse", count=5, path_contains=f"/oms/orders/{gone['id']}", status=410,
                           message="entity.deleted")
        self.sync()
        self.assertFalse(self.source.failed_orders)
        self.assertNotIn("tried again", self.source.last_error or "")

    def test_bad_order_is_reported_and_the_rest_arrive(self):
        good = self.add(statusCode="confirmed")
        bad = self.add(statusCode="confirmed")
        bad["items"] = []
        self.sync()
        self.assertTrue(self.imported(good))
        self.assertFalse(self.imported(bad))
        self.assertIn(bad["number"], self.source.last_error)
        self.assertEqual(self.source.failed_order_count, 1)
        bad["items"] = [dict(good["items"][0])]
        self.sync()
        self.assertTrue(self.imported(bad))
        self.assertEqual(self.source.failed_order_count, 0)

    def test_a_second_sync_of_the_same_source_returns_at_once(self):
        self.add(statusCode="confirmed")
        # another worker holds the source's sync lock, on its own connection
        with db_connect(self.env.cr.dbname).cursor() as other:
            other.execute(SYNC_LOCK, (0x45504331, self.source.id))
            self.assertTrue(other.fetchone()[0])
            self.assertEqual(self.source._sync_orders(), {"busy": True})
            self.assertFalse(self.Order.search_count([("epicentr_source_id", "=", self.source.id)]))
        self.assertEqual(self.sync()["created"], 1)

    def test_the_database_refuses_a_duplicate(self):
        card = self.add(statusCode="confirmed")
        self.sync()
        order = self.imported(card)
        with self.assertRaises(psycopg2.IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            order.copy({"epicentr_source_id": self.source.id, "epicentr_uuid": card["id"]})

    def test_revoked_token_stops_the_sync_with_a_clear_message(self):
        self.add(statusCode="confirmed")
        self.source.sudo().api_token = "revoked"
        with mute_logger("odoo.addons.epicentr_connector.models.epicentr_source"):
            stats = self.sync()
        self.assertEqual(stats["created"], 0)
        self.assertEqual(self.source.connection_state, "failed")
        self.assertIn("token", self.source.last_error)
        self.assertNotIn("revoked", self.source.last_error)


@tagged("post_install", "-at_install")
class TestImportQueryCount(EpicentrCommon):
    """SQL per imported order stays flat as the page grows, from 1 to 500 orders."""

    sandbox_orders = 0

    def _queries_per_order(self, count):
        self.sandbox.store.orders.clear()
        # a history's mix: hidden buyers, quotations, sales confirmed and locked, cancellations
        statuses = ("new", "confirmed", "completed", "canceled")
        cards = [self.sandbox.store.add_order(statusCode=statuses[i % len(statuses)]) for i in range(count)]
        importer = self.env["epicentr.order.import"]
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        stats = importer._import_cards(self.source, [Card(card) for card in cards])
        self.env.flush_all()
        self.assertEqual(stats["created"], count)
        return (self.cr.sql_log_count - before) / count

    def test_queries_per_order_do_not_grow_with_the_page(self):
        one, fifty, five_hundred = (self._queries_per_order(count) for count in (1, 50, 500))
        _logger.info("SQL queries per imported order: %.1f alone, %.1f in a page of 50, %.1f in a page of 500",
                     one, fifty, five_hundred)
        self.assertLessEqual(fifty, MAX_QUERIES_PER_ORDER, f"{fifty:.1f} queries per order on a 50-order page")
        self.assertLessEqual(five_hundred, MAX_QUERIES_PER_ORDER, f"{five_hundred:.1f} per order on a 500-order page")
        self.assertLessEqual(five_hundred, fifty, f"{fifty:.1f} per order in a page of 50, {five_hundred:.1f} in 500")
        self.assertLessEqual(fifty, one, f"{one:.1f} per order alone, {fifty:.1f} in a page of 50")


@tagged("post_install", "-at_install")
class TestSyncCron(EpicentrCommon):
    """The cron syncs the sources that are due, and only those."""

    def test_cron_syncs_due_sources_only(self):
        cron = self.env.ref("epicentr_connector.ir_cron_epicentr_sync_orders")
        self.assertTrue(cron.active)
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "minutes"))
        # saving a source with a token made it due and woke the cron
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        later = self.env["epicentr.source"].create({
            "name": "Not due", "base_url": self.sandbox.url, "api_token": "sandbox-token"})
        later.next_sync_at = fields.Datetime.now() + timedelta(minutes=5)
        self.env["epicentr.source"]._cron_sync_orders()
        self.assertEqual(self.source.order_count, len(self.sandbox.store.orders) - self._outside_window())
        self.assertFalse(later.order_count)
        self.assertGreater(self.source.next_sync_at, fields.Datetime.now() + timedelta(minutes=9))
        self.assertEqual(self.sandbox.writes(), [])

    def test_a_call_past_its_time_budget_hands_the_rest_to_the_next_call(self):
        cron = self.env.ref("epicentr_connector.ir_cron_epicentr_sync_orders")
        Source = self.env["epicentr.source"].with_context(epicentr_page_size=ServerOnly(5))
        expected = len(self.sandbox.store.orders) - self._outside_window()
        self.assertGreater(expected, 10, "the test needs several pages")
        calls = 0
        imported = lambda: self.env["sale.order"].search_count([("epicentr_source_id", "=", self.source.id)])  # noqa: E731
        with patch.object(const, "CRON_CALL_SECONDS", 0):  # every call is past its budget after a page
            while not self.source.history_done:
                self.assertLess(calls, expected, "the history import never finished")
                before, triggers = imported(), self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
                Source._cron_sync_orders()
                calls += 1
                self.assertLessEqual(imported() - before, 5, "one new page a call at most")
                if not self.source.history_done:
                    self.assertEqual(self.source.sync_progress, f"{imported()} of {expected} orders",
                                     "the progress counts the orders of every call so far")
                    self.assertLessEqual(self.source.next_sync_at, fields.Datetime.now(), "the source stays due")
                    self.assertGreater(self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
                                       triggers, "the call woke the next one")
        self.assertGreaterEqual(calls, 3)
        self.assertEqual(imported(), expected)
        self.assertFalse(self.source.last_error)

    def _outside_window(self):
        start = datetime.now(timezone.utc) - timedelta(days=self.source.history_days)
        return sum(datetime.fromisoformat(o["createdAt"]) < start for o in self.sandbox.store.orders.values())

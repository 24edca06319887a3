"""Concurrency (issue 6): syncs, sends and users in separate transactions that commit, the way
Odoo's workers run them; and a worker killed in the middle of a history import.

A TransactionCase's own cursor never commits, so nothing it writes is seen by another
transaction. These tests use only cursors of their own (``self.registry.cursor()``): each
worker thread has its cursor and environment, like a cron worker or an HTTP request, and every
test deletes what it committed (``_purge``). Overlaps are made certain, not hoped for: a
transaction of the test holds a row the worker needs, and the test waits (with a deadline)
until PostgreSQL shows the worker blocked behind it. Every thread is joined with a timeout.
"""
import logging
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, fields
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import SANDBOX_TOKEN, EpicentrSandboxMixin, iso
from .workers import TIMEOUT, Worker, WorkerKilled, describe, log_records
from ..sync.order_sync import READ_AHEAD
from ..utils.switches import ServerOnly


PAGE = 10  # list page size of these tests (the "epicentr_page_size" context key)
# What the tests commit, deleted afterwards (rows with a higher id than before the test), in
# an order the foreign keys accept.
COMMITTED_TABLES = ("mail_activity", "mail_message", "mail_followers", "epicentr_outbox", "epicentr_sync_log",
                    "sale_order_line", "sale_order", "epicentr_status_rule", "epicentr_source", "res_partner",
                    "ir_cron_trigger")


@tagged("post_install", "-at_install")
class TestConcurrency(EpicentrSandboxMixin, TransactionCase):
    sandbox_orders = 0  # each test puts the orders it needs on the sandbox

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._start_sandbox()

    def setUp(self):
        super().setUp()
        self.sandbox.store.orders.clear()
        self.sandbox.clear_faults()
        self.sandbox.clear_requests()
        with self.registry.cursor() as cr:
            self.id_before = {}
            for table in COMMITTED_TABLES:
                cr.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - our constant names
                self.id_before[table] = cr.fetchone()[0]
        self.addCleanup(self._purge)
        self.holders, self.workers = [], []
        self.addCleanup(self._release)  # runs before the purge
        self.source_id = self.committed(lambda env: env["epicentr.source"].create({
            "name": "Concurrent shop", "base_url": self.sandbox.url, "api_token": SANDBOX_TOKEN}).id)

    def _release(self):
        """Even after a failed assertion: free what the test holds, then let the workers end."""
        for cr in self.holders:
            cr.close()  # rolls back
        for worker in self.workers:
            worker.join(TIMEOUT)

    def _purge(self):
        with self.registry.cursor() as cr:
            cr.execute("SET LOCAL lock_timeout = '20s'")  # a hung worker fails the purge, not the run
            for table in COMMITTED_TABLES:
                cr.execute(f"DELETE FROM {table} WHERE id > %s", [self.id_before[table]])  # noqa: S608

    # ------------------------------------------------------------------ helpers

    def context(self, **extra):
        return {"epicentr_commit": ServerOnly(True), "epicentr_page_size": ServerOnly(PAGE),
                "epicentr_client_options": ServerOnly({"backoff": 0.001}), **extra}

    def start(self, func, **context):
        """``func(env)`` in a worker thread with its own cursor, started now."""
        worker = Worker(self.registry, func, self.context(**context))
        worker.start()
        self.workers.append(worker)
        worker.started_cursor.wait(TIMEOUT)
        return worker

    def committed(self, func, **context):
        """``func(env)`` in a transaction of its own, committed; its result."""
        return self.start(func, **context).outcome()

    def sync(self, env):
        return env["epicentr.source"].browse(self.source_id)._sync_orders(commit=True)

    @staticmethod
    def cron_sync(env):
        return env["epicentr.source"]._cron_sync_orders()

    @staticmethod
    def cron_send(env):
        return env["epicentr.outbox"]._cron_send()

    def holder(self):
        """A transaction of the test that other transactions can be made to wait for."""
        cr = self.registry.cursor()
        self.holders.append(cr)
        return cr

    def wait_blocked(self, *workers):
        """Wait until PostgreSQL shows each worker waiting for a row another transaction holds."""
        deadline = time.monotonic() + TIMEOUT
        with self.registry.cursor() as probe:
            while True:
                probe.execute("""SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'
                                 AND wait_event IN ('transactionid', 'tuple') AND pid = ANY(%s)""",
                              [[w.pid for w in workers]])
                if len(probe.fetchall()) == len(workers):
                    return
                probe.rollback()  # a new transaction: a fresh view of pg_stat_activity
                for worker in workers:
                    if not worker.is_alive():
                        self.fail(f"{worker.name} ended without waiting: {worker.error or worker.result}")
                self.assertLess(time.monotonic(), deadline, "the workers never waited for the lock")
                time.sleep(0.02)

    def read(self, func):  # pylint: disable=method-required-super  # a test helper, not the ORM's read
        """``func(env)`` in a fresh transaction: what is committed now."""
        with self.registry.cursor() as cr:
            return func(api.Environment(cr, SUPERUSER_ID, {}))

    def orders(self, env):
        return env["sale.order"].search([("epicentr_source_id", "=", self.source_id)])

    def add_history(self, count, status="confirmed"):
        """``count`` orders placed two days ago, a minute apart: the list's updatedAt order."""
        start = datetime.now(timezone.utc) - timedelta(days=2)
        return [self.sandbox.store.add_order(statusCode=status, createdAt=iso(start + timedelta(minutes=i)),
                                             updatedAt=iso(start + timedelta(minutes=i)))
                for i in range(count)]

    def card_gets(self):
        """{uuid: how many times its card was fetched} (an order whose list entry is complete
        is imported from it, without its card)."""
        return Counter(r.path.rsplit("/", 1)[-1] for r in self.sandbox.requests
                       if r.method == "GET" and r.path.count("/") == 4 and "/oms/orders/" in r.path
                       and not r.path.endswith("/total"))

    def assert_each_once(self, cards):
        uuids = self.read(lambda env: self.orders(env).mapped("epicentr_uuid"))
        self.assertEqual(Counter(uuids), Counter(card["id"] for card in cards), "every order exactly once")

    def assert_source_clean(self):
        source = self.read(lambda env: env["epicentr.source"].browse(self.source_id).read(
            ["last_error", "failed_orders", "history_done"])[0])
        self.assertEqual((source["last_error"], source["failed_orders"] or {}, source["history_done"]),
                         (False, {}, True))
        errors = self.read(lambda env: env["epicentr.sync.log"].search_count(
            [("source_id", "=", self.source_id), ("state", "=", "error")]))
        self.assertEqual(errors, 0, "no sync run recorded an error")

    def make_due(self):
        """What "Sync now" does: the source is due at the next cron call."""
        self.committed(lambda env: env["epicentr.source"].browse(self.source_id)._schedule_sync())

    # ------------------------------------------------------------------ two syncs at once

    def test_two_syncs_of_one_source_import_each_order_once(self):
        cards = self.add_history(60)  # 6 pages
        # An uncommitted order with the UUID of page 3's fifth order pauses the first sync there,
        # holding the source's lock, after it committed pages 1 and 2.
        hold = self.holder()
        env = api.Environment(hold, SUPERUSER_ID, {"tracking_disable": True, "mail_create_nosubscribe": True})
        env["sale.order"].create({"partner_id": env.company.partner_id.id, "name": "hold",
                                  "epicentr_source_id": self.source_id, "epicentr_uuid": cards[24]["id"]})
        env.flush_all()

        first = self.start(self.sync)
        self.wait_blocked(first)
        self.assertEqual(self.read(lambda env: len(self.orders(env))), 20, "pages 1 and 2 were committed")
        requests = len(self.sandbox.requests)
        second = self.start(self.sync).outcome()
        self.assertEqual(second, {"busy": True}, "the second sync saw the first one running")
        self.assertEqual(len(self.sandbox.requests), requests, "the second sync asked Epicentr nothing")
        hold.rollback()
        stats = first.outcome()

        self.assertEqual((stats["created"], stats["updated"], stats["failed"], stats.get("busy")), (60, 0, {}, None))
        self.assert_each_once(cards)
        self.assertLessEqual(set(self.card_gets().values()), {1}, "no card fetched twice")
        pages = [r for r in self.sandbox.requests if r.path.endswith("/oms/orders")]
        self.assertEqual(len(pages), 6, "each list page fetched once")
        self.assert_source_clean()

    # ------------------------------------------------------------------ a killed worker

    def test_worker_killed_mid_history_resumes_without_duplicates(self):
        cards = self.add_history(45)  # 5 pages

        def killed_after_page_2(env):
            commit, commits = env.cr.commit, []

            def commit_then_die():
                commit()
                commits.append(True)
                if len(commits) == 2:
                    raise WorkerKilled()
            with patch.object(env.cr, "commit", commit_then_die):
                return self.sync(env)

        with self.assertRaises(WorkerKilled):
            self.start(killed_after_page_2).outcome()

        self.assert_each_once(cards[:20])
        source = self.read(lambda env: env["epicentr.source"].browse(self.source_id).read(
            ["sync_cursor_at", "history_done"])[0])
        page_2_end = datetime.fromisoformat(cards[19]["updatedAt"]).astimezone(timezone.utc).replace(tzinfo=None)
        self.assertEqual((source["sync_cursor_at"], source["history_done"]), (page_2_end, False),
                         "the cursor moved with the committed pages")

        before = self.card_gets()
        self.sandbox.clear_requests()
        self.committed(self.cron_sync)  # the next cron call: the source is still due

        self.assert_each_once(cards)
        again = self.card_gets()
        self.assertFalse(set(again) & {card["id"] for card in cards[:20]}, "no committed order's card fetched again")
        # the worker had started reading the pages after page 2 (READ_AHEAD of them, the
        # pipeline) when it died: only those cards, never committed, are read again
        twice = {uuid for uuid, count in (before + again).items() if count > 1}
        self.assertLessEqual(twice, {card["id"] for card in cards[20:20 + 10 * READ_AHEAD]}, "no other card fetched twice")
        self.assert_source_clean()

    # ------------------------------------------------------------------ sync and push of one order

    def _sync_and_push_at_once(self, first):
        """A salesperson confirmed an order (its push waits in the outbox) while Epicentr changed
        it; the sender and a sync run at once and both write the order. A transaction holding the
        order's row makes both wait, ``first`` ahead: the other one then meets a concurrent
        update."""
        cards, card, order_id = self._confirmed_while_changed_on_epicentr()
        last_trigger = self.read(lambda env: env["ir.cron.trigger"].search([], order="id desc", limit=1).id)
        hold = self.holder()
        hold.execute("SELECT id FROM sale_order WHERE id = %s FOR UPDATE", [order_id])
        jobs = {"push": self.cron_send, "sync": self.cron_sync}
        second = "sync" if first == "push" else "push"
        with log_records() as logs:
            workers = {first: self.start(jobs[first])}
            self.wait_blocked(workers[first])
            workers[second] = self.start(jobs[second])
            self.wait_blocked(workers[second])
            hold.rollback()
            for worker in workers.values():
                worker.outcome()
            if second == "push":  # the sender is woken again at once
                soon = self.read(lambda env: env["ir.cron.trigger"].search_count([
                    ("id", ">", last_trigger), ("call_at", "<=", fields.Datetime.now()),
                    ("cron_id", "=", env.ref("epicentr_connector.ir_cron_epicentr_outbox").id)]))
            else:  # the source stays due: the sync cron runs every minute
                soon = self.read(lambda env: env["epicentr.source"].browse(self.source_id).next_sync_at
                                 <= fields.Datetime.now())
            self.assertTrue(soon, "the one that met the concurrent update runs again soon")
            # the next runs, as the crons make them
            self.committed(self.cron_send)
            self.committed(self.cron_sync)

        retried = [r.getMessage().split()[1] for r in logs if "concurrent update" in r.getMessage()]
        self.assertEqual(retried, ["outbox" if second == "push" else "source"],
                         f"the one that waited second met the concurrent update and was retried: {describe(logs)}")
        self.assertEqual(describe(r for r in logs if r.levelno >= logging.WARNING), "", "nothing alarming in the log")
        self._assert_pushed_once_and_followed(card, order_id)
        self.assert_each_once(cards)
        self.assert_source_clean()

    def _confirmed_while_changed_on_epicentr(self):
        """(the history, the order's card, its id): imported, confirmed in Odoo (its push waiting in
        the outbox), then changed on Epicentr."""
        cards = self.add_history(3, status="new")
        card = cards[1]
        self.committed(self.sync)
        admin = self.read(lambda env: env.ref("base.user_admin").id)
        order_id = self.read(lambda env: self.orders(env).filtered(lambda o: o.epicentr_uuid == card["id"]).id)
        self.committed(lambda env: env["sale.order"].with_user(admin).browse(order_id).action_confirm())
        card["comment"] = "Передзвоніть після 18:00"
        self.sandbox.store.touch(card["id"])
        self.make_due()
        self.sandbox.clear_requests()
        return cards, card, order_id

    def _assert_pushed_once_and_followed(self, card, order_id):
        writes = [(r.method, r.path.rsplit("/", 1)[-1]) for r in self.sandbox.writes()]
        self.assertEqual(writes, [("POST", "confirmed_by_merchant"), ("POST", "confirmed")],
                         "Epicentr got the change once")
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "confirmed")

        def state(env):
            order = env["sale.order"].browse(order_id)
            pushes = order.epicentr_outbox_ids
            return {"state": order.state, "epicentr_status": order.epicentr_status,
                    "comment": order.epicentr_buyer_comment, "push": order.epicentr_push_state,
                    "error": order.epicentr_push_error, "pushes": set(pushes.mapped("state")),
                    "activities": len(order.activity_ids.filtered(
                        lambda a: a.activity_type_id == env.ref("epicentr_connector.mail_activity_epicentr_outbox_error")))}
        self.assertEqual(self.read(state), {
            "state": "sale", "epicentr_status": "confirmed", "comment": "Передзвоніть після 18:00",
            "push": "ok", "error": False, "pushes": {"done"}, "activities": 0})

    @mute_logger("odoo.sql_db")  # PostgreSQL's refusal of the loser is logged as a "bad query"
    def test_sync_and_push_of_one_order_sync_retried(self):
        self._sync_and_push_at_once(first="push")

    @mute_logger("odoo.sql_db")  # PostgreSQL's refusal of the loser is logged as a "bad query"
    def test_sync_and_push_of_one_order_push_retried(self):
        self._sync_and_push_at_once(first="sync")

    # ------------------------------------------------------------------ a user editing the order

    def _sync_meets_the_commit_of(self, holder):
        """A sync cron call waits for ``holder``'s uncommitted write, which then commits: the sync
        meets a concurrent update, which it logs at INFO only."""
        with log_records() as logs:
            sync = self.start(self.cron_sync)
            self.wait_blocked(sync)
            holder.commit()
            sync.outcome()
        self.assertEqual([r.levelname for r in logs if "concurrent update" in r.getMessage()], ["INFO"], describe(logs))
        self.assertEqual(describe(r for r in logs if r.levelno >= logging.WARNING), "", "nothing alarming in the log")

    def _user_edit(self, env, order_id):
        """A salesperson takes the order, writes a note and changes a quantity."""
        order = env["sale.order"].with_user(env.ref("base.user_admin")).browse(order_id)
        order.write({"user_id": env.ref("base.user_admin").id, "note": "<p>Пакувати в плівку</p>"})
        order.order_line[0].product_uom_qty = 3

    def _imported(self):
        cards = self.add_history(3)
        self.committed(self.sync)
        card = cards[0]
        order_id = self.read(lambda env: self.orders(env).filtered(lambda o: o.epicentr_uuid == card["id"]).id)
        return cards, card, order_id

    def _assert_both_kept(self, card, order_id):
        def state(env):
            order = env["sale.order"].browse(order_id)
            return (order.user_id.login, str(order.note), order.order_line[0].product_uom_qty,
                    order.epicentr_status, order.epicentr_tracking_number)
        ttn = self.sandbox.store.orders[card["id"]]["address"]["shipment"]["number"]
        self.assertTrue(ttn)
        self.assertEqual(self.read(state), ("admin", "<p>Пакувати в плівку</p>", 3, "sent", ttn),
                         "the salesperson's edit and Epicentr's change are both there")

    def test_user_edit_then_sync_keeps_the_edit(self):
        cards, card, order_id = self._imported()
        self.committed(lambda env: self._user_edit(env, order_id))
        self.sandbox.store.platform_set_status(card["id"], "sent")
        self.make_due()
        self.committed(self.cron_sync)
        self._assert_both_kept(card, order_id)
        self.assert_each_once(cards)
        self.assert_source_clean()

    @mute_logger("odoo.sql_db")  # PostgreSQL's refusal of the loser is logged as a "bad query"
    def test_user_edit_in_progress_while_the_sync_runs(self):
        cards, card, order_id = self._imported()
        self.sandbox.store.platform_set_status(card["id"], "sent")
        self.make_due()
        user = self.holder()  # the salesperson's request, not committed yet
        self._user_edit(api.Environment(user, SUPERUSER_ID, {}), order_id)
        api.Environment(user, SUPERUSER_ID, {}).flush_all()

        self._sync_meets_the_commit_of(user)
        source = self.read(lambda env: env["epicentr.source"].browse(self.source_id).read(
            ["last_error", "next_sync_at"])[0])
        self.assertFalse(source["last_error"], "a concurrent update is not an error to show")
        self.assertLessEqual(source["next_sync_at"], fields.Datetime.now(), "retried at the next cron call")

        self.committed(self.cron_sync)
        self._assert_both_kept(card, order_id)
        self.assert_each_once(cards)
        self.assert_source_clean()

    # ------------------------------------------------------------------ Test connection during a sync

    @mute_logger("odoo.sql_db")  # PostgreSQL's refusal of the loser is logged as a "bad query"
    def test_connection_test_while_the_sync_commits_is_quiet(self):
        """Saving a token wakes the sync; Test connection then writes the same source row while
        the sync makes its final commit (an idle poll writes the source only at its end): a
        concurrent update like the others, retried, logged at INFO."""
        cards = self.add_history(3)
        self.committed(self.sync)
        self.make_due()
        tester = self.holder()  # the manager's Test connection, not committed yet
        api.Environment(tester, SUPERUSER_ID, {})["epicentr.source"].browse(self.source_id).write(
            {"connection_state": "ok", "connected_as": "Ірина Бондар"})
        api.Environment(tester, SUPERUSER_ID, {}).flush_all()

        self._sync_meets_the_commit_of(tester)
        self.assertFalse(self.read(lambda env: env["epicentr.source"].browse(self.source_id).last_error))

        self.committed(self.cron_sync)  # the next call does what the first one rolled back
        self.assert_each_once(cards)
        self.assert_source_clean()

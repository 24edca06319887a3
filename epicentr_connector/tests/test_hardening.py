"""Hostile input, import faults, the token's secrecy and company walls (issue 6, Security).

Real Odoo, real PostgreSQL, real HTTP to the in-process sandbox; nothing of the ORM mocked.
"""
import logging
from datetime import datetime, timedelta, timezone
from unittest.mock import patch

from lxml import etree

from odoo import fields
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from ..api import EpicentrClient, EpicentrError
from .common import SANDBOX_TOKEN, EpicentrCommon, iso
from .workers import log_records, record_text
from ..utils.order_card import Card
from ..utils.switches import ServerOnly

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(document.cookie)">'
LONG = "Я" * 10_000
SOURCE_LOGGER = "odoo.addons.epicentr_connector.models.epicentr_source"


@tagged("post_install", "-at_install")
class TestHardening(EpicentrCommon):
    sandbox_orders = 0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source = cls.source.with_context(epicentr_client_options=ServerOnly({"backoff": 0.001}))
        cls.Order = cls.env["sale.order"]

    def setUp(self):
        super().setUp()
        self.sandbox.store.orders.clear()

    def add(self, minutes=0, **overrides):
        at = iso(datetime.now(timezone.utc) - timedelta(days=2, minutes=minutes))
        overrides.setdefault("statusCode", "confirmed")
        return self.sandbox.store.add_order(createdAt=at, updatedAt=at, **overrides)

    def imported(self, card, source=None):
        return self.Order.search([("epicentr_source_id", "=", (source or self.source).id),
                                  ("epicentr_uuid", "=", card["id"])])

    def sync(self, source=None):
        with mute_logger(SOURCE_LOGGER, "odoo.addons.epicentr_connector.models.epicentr_order_import",
                         "odoo.addons.epicentr_connector.api.client"):
            stats = (source or self.source)._sync_orders()
        self.assertNotIn("busy", stats)
        return stats

    def item(self, **values):
        item = {"offerId": "o", "productId": "1", "productExternalId": "HX-1", "sku": "HX-1",
                "title": "Hammer", "price": 100.0, "quantity": 1, **values}
        try:  # what Epicentr's item subtotal is: price × quantity
            item.setdefault("subtotal", round(float(item["price"]) * item["quantity"], 2))
        except (TypeError, ValueError):
            item.setdefault("subtotal", 100.0)
        return item

    # ------------------------------------------------------------------ hostile payload

    def test_hostile_fields_are_text_and_never_break_the_page(self):
        good = self.add(minutes=1)
        html = self.add(minutes=2, comment=f"{SCRIPT}\n{IMG}",
                        address={"firstName": SCRIPT, "patronymic": None, "lastName": IMG},
                        items=[self.item(title=f"Drill {SCRIPT}")])
        long = self.add(minutes=3, comment=LONG, address={"firstName": LONG, "patronymic": None, "lastName": None}, items=[self.item(title=LONG)])
        control = self.add(minutes=4, comment="call me\x00 at\x07 night\x1b[31m",
                           address={"firstName": "Ol\x00ena", "patronymic": None, "lastName": "Shev\x08chenko"},
                           items=[self.item(title="Saw\x00 blade\x0b")])
        huge = self.add(minutes=5, items=[self.item(quantity=1e12, price="12.50")])
        refused = {
            "negative": self.add(minutes=6, items=[self.item(quantity=-1)]),
            "zero": self.add(minutes=7, items=[self.item(quantity=0)]),
            "price text": self.add(minutes=8, items=[self.item(price=SCRIPT)]),
            "price null": self.add(minutes=9, items=[self.item(price=None)]),
            "not an object": self.add(minutes=10, items=[self.item(), "x"]),
        }
        last = self.add(minutes=11)

        stats = self.sync()
        for card in (good, html, long, control, huge, last):
            self.assertEqual(len(self.imported(card)), 1, card["number"])
        self.assert_kept_as_text(html, long, control, huge)
        self.assertEqual(stats["created"], 6)
        self.assert_refused_told_and_retried(refused)

    def assert_kept_as_text(self, html, long, control, huge):
        order = self.imported(html)
        self.assertEqual(order.epicentr_buyer_comment, f"{SCRIPT}\n{IMG}", "stored verbatim, as text")
        self.assertEqual(order.partner_id.name, f"{SCRIPT} {IMG}")
        self.assertIn(f"Drill {SCRIPT}", order.order_line[0].name)
        order = self.imported(long)
        self.assertEqual(order.epicentr_buyer_comment, LONG)
        self.assertEqual(order.partner_id.name, LONG)
        self.assertIn(LONG, order.order_line[0].name)
        order = self.imported(control)
        self.assertNotIn("\x00", order.epicentr_buyer_comment)
        self.assertIn("call me", order.epicentr_buyer_comment)
        self.assertIn("night", order.epicentr_buyer_comment)
        self.assertEqual(order.partner_id.name, "Olena Shevchenko")
        self.assertIn("Saw blade", order.order_line[0].name)
        order = self.imported(huge)
        self.assertEqual((order.order_line[0].product_uom_qty, order.order_line[0].price_unit), (1e12, 12.5))

    def assert_refused_told_and_retried(self, refused):
        failed = self.source.failed_orders
        self.assertEqual(len(failed), len(refused))
        for why, card in refused.items():
            self.assertFalse(self.imported(card), why)
            self.assertIn(card["id"], failed, why)
            self.assertIn(card["number"], self.source.last_error, why)
        self.assertEqual(self.source.failed_order_count, len(refused))

        # the failure note on the source shows the payload escaped, never as markup
        notes = self.env["mail.message"].search([("model", "=", "epicentr.source"), ("res_id", "=", self.source.id)])
        note = notes.filtered(lambda m: refused["price text"]["number"] in m.body)
        self.assertEqual(len(note), 1)
        self.assertIn("&lt;script&gt;", note.body)
        self.assertNotIn("<script", note.body)

        # refused orders wait for a retry: fixed on Epicentr, they arrive at the next sync
        for card in refused.values():
            card["items"] = [self.item()]
            self.sandbox.store.touch(card["id"])
        self.sync()
        for card in refused.values():
            self.assertEqual(len(self.imported(card)), 1)
        self.assertFalse(self.source.failed_orders)
        self.assertFalse(self.source.last_error)

    def test_nul_in_the_order_number_does_not_jam_the_source(self):
        # A NUL reaching a jsonb/text column fails the whole transaction, not just the order.
        bad = self.add(minutes=1, number="5816\x006457", items=[self.item(quantity=-1)])
        good = self.add(minutes=2)
        self.sync()
        self.assertTrue(self.imported(good))
        self.assertIn(bad["id"], self.source.failed_orders)
        self.assertIn("58166457", self.source.last_error)
        bad["items"] = [self.item()]
        self.sandbox.store.touch(bad["id"])
        self.sync()
        self.assertEqual(self.imported(bad).epicentr_number, "58166457")
        self.assertFalse(self.source.failed_orders)

    def test_buyer_comment_is_rendered_as_escaped_text(self):
        self.assertEqual(self.Order.fields_get(["epicentr_buyer_comment"])["epicentr_buyer_comment"]["type"], "text")
        user = new_test_user(self.env, "hard_salesman", groups="sales_team.group_sale_salesman")
        views = self.Order.with_user(user).get_views([(False, "form")])
        arch = etree.fromstring(views["views"]["form"]["arch"])
        nodes = arch.xpath("//field[@name='epicentr_buyer_comment']")
        self.assertTrue(nodes, "the form shows the buyer's comment")
        for node in nodes:
            self.assertNotIn(node.get("widget"), ("html", "html_mail", "html_legacy"))
        self.assertEqual(views["models"]["sale.order"]["fields"]["epicentr_buyer_comment"]["type"], "text")

    # ------------------------------------------------------------------ import faults

    def test_malformed_list_page_stops_with_a_clear_error_and_loses_nothing(self):
        self._assert_page_two_fault_loses_nothing("malformed")

    def _assert_page_two_fault_loses_nothing(self, kind, reason="", source=None, **params):
        """Page 2 of 2 fails (past every retry): page 1 is kept, the next sync finishes the job."""
        cards = [self.add(minutes=i) for i in range(60)]  # two list pages of 50
        self.sandbox.fault(kind, count=10, path_contains="cursor=", **params)
        stats = self.sync(source)
        self.assertEqual(stats["created"], 50)
        self.assertIn("The sync stopped", self.source.last_error)
        self.assertIn(reason, self.source.last_error)
        self.assertEqual(len(self.source_notes("The sync stopped")), 1, "no note in the source's chatter")
        self.assertFalse(self.source.history_done)
        self.sandbox.clear_faults()
        self.sync(source)
        self.assertTrue(all(len(self.imported(card)) == 1 for card in cards))
        self.assertTrue(self.source.history_done)
        self.assertFalse(self.source.last_error)

    def source_notes(self, text):
        return self.env["mail.message"].search([("model", "=", "epicentr.source"), ("res_id", "=", self.source.id),
                                                ("body", "ilike", text)])

    def test_malformed_first_page_changes_nothing_and_the_next_sync_completes(self):
        cards = [self.add(minutes=i) for i in range(3)]
        self.sandbox.fault("malformed", count=10, path_contains="/oms/orders?")
        stats = self.sync()
        self.assertEqual(stats["created"], 0)
        self.assertIn("The sync stopped", self.source.last_error)
        self.assertFalse(self.source.sync_cursor_at, "the cursor did not move past unseen orders")
        self.sandbox.clear_faults()
        self.sync()
        self.assertTrue(all(len(self.imported(card)) == 1 for card in cards))
        self.assertFalse(self.source.last_error)

    def test_order_missing_a_required_field_is_reported_and_the_rest_arrive(self):
        good = self.add(minutes=1)
        no_items = self.add(minutes=2)
        del no_items["items"]
        no_status = self.add(minutes=3)
        no_status["statusCode"] = None
        other = self.add(minutes=4)
        self.sync()
        self.assertTrue(self.imported(good) and self.imported(other))
        for card in (no_items, no_status):
            self.assertFalse(self.imported(card))
            self.assertIn(card["id"], self.source.failed_orders)
            self.assertIn(card["number"], self.source.last_error)

    def test_order_without_an_id_does_not_stop_the_page(self):
        # (the sandbox cannot list an order without an id: its cursor sorts by id)
        good, nameless = self.add(minutes=1), self.add(minutes=2)
        client = self.source._get_client()
        cards = [client.get_order(good["id"]), client.get_order(nameless["id"])]
        del cards[1]["id"]
        stats = self.env["epicentr.order.import"]._import_cards(self.source, [Card(card) for card in cards])
        self.assertEqual(stats["created"], 1)
        self.assertEqual(len(self.imported(good)), 1)
        self.assertEqual(list(stats["failed"].values()), [(nameless["number"], "the order has no id")])

    def test_order_twice_in_one_page_is_imported_once(self):
        card = self.add(minutes=1)
        client = self.source._get_client()
        full = client.get_order(card["id"])
        later = dict(full, updatedAt=iso(datetime.now(timezone.utc)), comment="second state")
        stats = self.env["epicentr.order.import"]._import_cards(self.source, [Card(full), Card(later), Card(full | {"comment": "third"})])
        self.assertEqual(stats["failed"], {})
        order = self.imported(card)
        self.assertEqual(len(order), 1)
        self.assertEqual(order.epicentr_buyer_comment, "third", "the last state in the page wins")

    def test_order_moving_to_a_later_page_is_imported_once(self):
        cards = [self.add(minutes=100 - i) for i in range(60)]  # oldest first: page 1 is cards[:50]
        moved = cards[0]
        iter_orders = EpicentrClient.iter_orders

        def touching(client, **filters):
            for number, page in enumerate(iter_orders(client, **filters)):
                if number == 0:  # Epicentr changes an order of page 1 while we read page 1
                    self.assertIn(moved["id"], [item["id"] for item in page])
                    moved["comment"] = "changed while syncing"
                    self.sandbox.store.touch(moved["id"])
                yield page

        with patch.object(EpicentrClient, "iter_orders", touching):
            stats = self.sync()
        self.assertEqual((stats["created"], stats["updated"]), (60, 1), "seen on both pages, created once")
        self.assertTrue(all(len(self.imported(card)) == 1 for card in cards))
        self.assertEqual(self.imported(moved).epicentr_buyer_comment, "changed while syncing")

    def test_dropped_connection_mid_pagination_next_run_completes(self):
        self._assert_page_two_fault_loses_nothing("drop")

    def test_slow_page_past_the_read_timeout_stops_and_the_next_sync_completes(self):
        quick = self.source.with_context(epicentr_client_options=ServerOnly({"timeout": (5, 1.0), "retries": 1, "backoff": 0.001}))
        self._assert_page_two_fault_loses_nothing("slow", "did not answer in time", source=quick, delay=2.5)

    def recording(self, **options):
        """The source with a client that records its retry waits instead of sleeping them."""
        waits = []
        options = {"backoff": 1, "sleep": waits.append, **options}
        return self.source.with_context(epicentr_client_options=ServerOnly(options)), waits

    def test_500_burst_within_the_retries_is_ridden_out(self):
        cards = [self.add(minutes=i) for i in range(60)]
        self.source.parallel_reads = 1  # one request at a time: the three 500s below hit one request each
        source, waits = self.recording()
        self.sandbox.fault("500", count=3, path_contains="cursor=")  # page 2: three 500s, then the answer
        self.sandbox.fault("500", count=3, path_contains="/v6/oms/orders/")  # and the first card read
        stats = self.sync(source)
        self.assertEqual((stats["created"], stats["failed"]), (60, {}))
        self.assertEqual(waits, [1, 2, 4, 1, 2, 4], "an exponential back-off per request")
        self.assertEqual([r.status for r in self.sandbox.requests].count(500), 6)
        self.assertTrue(all(len(self.imported(card)) == 1 for card in cards))
        self.assertFalse(self.source.last_error)
        self.assertTrue(self.source.history_done)

    def test_429_retry_after_is_waited_and_the_sync_completes(self):
        cards = [self.add(minutes=i) for i in range(60)]
        source, waits = self.recording()
        self.sandbox.fault("429", count=1, path_contains="cursor=", retry_after=7)
        stats = self.sync(source)
        self.assertEqual(stats["created"], 60)
        # the wait Epicentr asked for, not the back-off; the other reads of the sync wait with it
        # (the recording client does not really sleep, so each one still finds the hold)
        self.assertEqual(waits[0], 7)
        self.assertTrue(all(0 < wait <= 7 for wait in waits))
        self.assertTrue(all(len(self.imported(card)) == 1 for card in cards))
        self.assertFalse(self.source.last_error)

    def test_429_retry_after_longer_than_a_wait_defers_the_next_sync(self):
        cards = [self.add(minutes=i) for i in range(60)]
        source, waits = self.recording()
        self.sandbox.fault("429", count=1, path_contains="cursor=", retry_after=1800)
        stats = self.sync(source)
        self.assertEqual((stats["created"], waits), (50, []), "the client does not sleep half an hour")
        self.assertIn("HTTP 429", self.source.last_error)
        self.assertIn("1800", self.source.last_error)
        self.assertEqual(len(self.source_notes("HTTP 429")), 1)
        self.assertFalse(self.source.history_done)
        # the cron leaves the source alone until Retry-After has passed ...
        self.assertGreaterEqual(self.source.next_sync_at, fields.Datetime.now() + timedelta(seconds=1790))
        self.sandbox.clear_requests()
        self.env["epicentr.source"].with_context(epicentr_client_options=ServerOnly({"backoff": 0.001}))._cron_sync_orders()
        self.assertEqual(self.sandbox.requests, [], "synced before Retry-After")
        # ... then finishes the job (time travel: see test_push's make_due)
        self.source.next_sync_at = fields.Datetime.now() - timedelta(seconds=1)
        self.env["epicentr.source"].with_context(epicentr_client_options=ServerOnly({"backoff": 0.001}))._cron_sync_orders()
        self.assertTrue(all(len(self.imported(card)) == 1 for card in cards))
        self.assertFalse(self.source.last_error)
        self.assertTrue(self.source.history_done)

    # ------------------------------------------------------------------ the token

    def assertTokenNowhere(self, token, lines):
        self.assertTrue(lines, "the failure was logged")
        for line in lines:
            self.assertNotIn(token, line)
        source = self.source.sudo()
        self.assertNotIn(token, source.last_error or "")
        messages = self.env["mail.message"].search([("model", "=", "epicentr.source"), ("res_id", "=", source.id)])
        for body in messages.mapped("body"):
            self.assertNotIn(token, body or "")
        for log in self.env["epicentr.sync.log"].search([("source_id", "=", source.id)]):
            self.assertNotIn(token, log.error or "")
        self.assertNotIn(token, str(source.failed_orders or ""))

    def test_wrong_token_never_logged_or_shown(self):
        token = "wrong-TOKEN-7f3a9c1e5b"
        self.add()
        self.source.sudo().api_token = token
        with log_records("odoo.addons.epicentr_connector", "urllib3", "requests", level=logging.DEBUG) as records:
            self.source.action_test_connection()
            self.sync()
            try:
                self.source._get_client(retries=0).get_user()
            except EpicentrError as exc:
                self.assertNotIn(token, f"{exc!r} {exc} {vars(exc)}")
            else:
                self.fail("the wrong token was accepted")
        self.assertEqual(self.source.connection_state, "failed")
        self.assertTrue(self.source.token_revoked)
        self.assertTokenNowhere(token, [record_text(record) for record in records])

    def test_server_error_never_shows_the_token(self):
        self.add()
        self.sandbox.fault("500", count=50)
        with log_records("odoo.addons.epicentr_connector", "urllib3", "requests", level=logging.DEBUG) as records:
            self.source.action_test_connection()
            self.sync()
        self.assertIn("HTTP 500", self.source.last_error)
        self.assertTokenNowhere(SANDBOX_TOKEN, [record_text(record) for record in records])
        self.assertTrue(any(r.headers.get("Authorization") == f"Bearer {SANDBOX_TOKEN}" for r in self.sandbox.requests),
                        "the token did go to Epicentr (else this test proves nothing)")

    # ------------------------------------------------------------------ companies

    def test_source_imports_into_its_own_company_only(self):
        company_a = self.source.company_id
        company_b = self.env["res.company"].create({"name": "Hardening B"})
        self.env.user.company_ids |= company_b
        card = self.add(statusCode="confirmed_by_merchant", address={"phone": "+380501112233", "email": "b@example.com"})
        stranger = self.env["res.partner"].create({
            "name": "B's own contact", "phone": "+380501112233", "email": "b@example.com", "company_id": company_b.id})
        self.assertEqual(self.env.company, company_a)
        self.sync(self.source.with_company(company_b))
        order = self.imported(card)
        self.assertEqual(len(order), 1)
        self.assertEqual(order.company_id, company_a)
        self.assertNotEqual(order.partner_id, stranger, "a partner of company B was used")
        self.assertIn(order.partner_id.company_id, (company_a, self.env["res.company"]))
        self.assertTrue(all(line.company_id == company_a for line in order.order_line))
        self.assertFalse(self.Order.search([("company_id", "=", company_b.id)]))
        # B's salespeople do not see it
        user_b = new_test_user(self.env, "hard_b_manager", groups="sales_team.group_sale_manager",
                               company_id=company_b.id, company_ids=[(6, 0, company_b.ids)])
        self.assertFalse(self.Order.with_user(user_b).search([("epicentr_source_id", "!=", False)]))

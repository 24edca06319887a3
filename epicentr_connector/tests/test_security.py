"""Attacks from inside a company using the addon, one test per finding of the security review.

Each runs as the attacking user (``with_user``: that user's ACLs, record rules and companies, as
an RPC call has them) against the sandbox over real HTTP, and checks that the attack is refused
before anything reaches Epicentr, or that the hostile server cannot stall the source.
"""
import importlib.util
import time
import uuid
from pathlib import Path

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..api import wire
from ..sync.failed_orders import failure
from ..utils.switches import ServerOnly
from .common import SANDBOX_TOKEN, SecurityCommon

SOURCE_LOGGER = "odoo.addons.epicentr_connector.models.epicentr_source"
HOSTILE_TEXT = '<a href="https://evil.example/login">Log in again</a><img src="https://evil.example/pixel.png">'


@tagged("post_install", "-at_install")
class TestSecurity(SecurityCommon):

    def failed_order(self):
        """An imported, confirmed order whose cancellation Epicentr refused (a failed entry)."""
        _card, order = self.refused_cancellation()
        entry = self.entries(order).filtered(lambda e: e.state == "failed")
        self.assertTrue(entry, "the cancellation should have been refused")
        self.sandbox.clear_requests()
        return order, entry

    # 1. public methods check the caller's rights before any sudo()

    def test_retry_needs_write_access_to_the_order(self):
        order, entry = self.failed_order()
        for attacker in (self.without_access, self.portal, self.manager_b, self.stock_user):
            with self.subTest(attacker=attacker.login), self.assertRaises(AccessError):
                order.with_user(attacker).action_epicentr_retry()
            with self.subTest(attacker=attacker.login), self.assertRaises(AccessError):
                entry.with_user(attacker).action_retry()
            with self.subTest(attacker=attacker.login), self.assertRaises(AccessError):
                order.with_user(attacker).action_epicentr_rematch_products()
        self.assertEqual(entry.state, "failed", "the entry was reset by someone who may not touch the order")
        # the user with access may
        order.with_user(self.with_access).action_epicentr_retry()
        self.assertEqual(entry.state, "pending")

    def test_source_actions_check_the_record(self):
        for action in ("action_test_connection", "action_sync_now"):
            with self.subTest(action), self.assertRaises(AccessError):
                getattr(self.source.with_user(self.manager_b), action)()
        self.assertFalse(self.sandbox.requests, "another company's manager reached Epicentr with this token")

    # 2. company walls on every Epicentr model

    def test_company_walls(self):
        order, entry = self.failed_order()
        log = self.env["epicentr.sync.log"].create({"source_id": self.source.id, "created_count": 1})
        as_b = self.manager_b
        for model, record in (("epicentr.outbox", entry), ("epicentr.status.rule", self.source.rule_ids[:1]),
                              ("epicentr.sync.log", log), ("epicentr.source", self.source)):
            with self.subTest(model):
                self.assertFalse(self.env[model].with_user(as_b).search([("id", "=", record.id)]))
                with self.assertRaises(AccessError):
                    record.with_user(as_b).read([])
        with self.assertRaises(AccessError):
            log.with_user(as_b).unlink()
        with self.assertRaises(AccessError):
            self.env["epicentr.status.rule"].with_user(as_b).create(
                {"source_id": self.source.id, "odoo_event": "tracking_set", "epicentr_status": "sent"})
        # nobody writes an outbox entry's target by hand, not even a manager of the same company
        with self.assertRaises(AccessError):
            entry.with_user(self.manager).write({"target_status": "canceled", "state": "pending"})

    # 3. deliveries and invoices of hidden orders

    def test_deliveries_of_hidden_orders(self):
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("confirmed")
        order = self.import_order(card)
        order.action_confirm()
        picking = self.delivery(order)
        Picking = self.env["stock.picking"]
        self.assertFalse(Picking.with_user(self.without_access).search([("id", "=", picking.id)]))
        with self.assertRaises(AccessError):
            picking.with_user(self.without_access).read(["partner_id", "epicentr_push_error"])
        self.assertTrue(Picking.with_user(self.with_access).search([("id", "=", picking.id)]))
        # a warehouse user ships it, but Epicentr's data of the order is not computed for them as superuser
        order.sudo().write({"epicentr_push_state": "failed", "epicentr_push_error": "Epicentr refused"})
        as_stock = picking.with_user(self.stock_user)
        self.assertEqual(as_stock.read(["epicentr_push_error"])[0]["epicentr_push_error"], False)
        self.assertEqual(picking.with_user(self.with_access).epicentr_push_error, "Epicentr refused")
        # ... nor may they send a tracking number on the order's behalf
        with self.assertRaises(AccessError):
            as_stock.write({"carrier_tracking_ref": "20450000000001"})
        self.assertFalse(self.entries(order).filtered(lambda e: e.kind == "tracking"))
        picking.with_user(self.with_access).write({"carrier_tracking_ref": "20450000000001"})
        self.assertTrue(self.entries(order).filtered(lambda e: e.kind == "tracking"))

    def test_invoices_of_hidden_orders(self):
        order = self.import_order(self.add("completed"))
        self.assertEqual(order.state, "sale")
        invoice = order._create_invoices()
        self.assertEqual(invoice.epicentr_source_id, self.source)
        Move = self.env["account.move"]
        self.assertFalse(Move.with_user(self.without_access).search([("id", "=", invoice.id)]))
        self.assertTrue(Move.with_user(self.with_access).search([("id", "=", invoice.id)]))

    # 4. the reveal removes only the placeholder the import made

    def test_reveal_keeps_a_customer_the_salesperson_chose(self):
        card = self.add("new")
        order = self.import_order(card)
        placeholder = order.partner_id
        self.assertEqual(order.epicentr_buyer_placeholder_id, placeholder)
        customer = self.env["res.partner"].create({"name": "A real customer", "phone": "+380671112233"})
        order.with_user(self.with_access).write({"partner_id": customer.id})
        self.sandbox.store.platform_set_status(card["id"], "confirmed_by_merchant")
        self.source._sync_orders()
        self.assertEqual(order.partner_id, customer)
        self.assertTrue(customer.exists() and customer.active, "a real contact was removed by the import")
        self.assertFalse(placeholder.exists() and placeholder.active)
        self.assertFalse(order.epicentr_buyer_hidden)

    def test_upgrade_marks_the_placeholders_of_orders_imported_before(self):
        """migrations/18.0.1.1.0: the placeholder is the customer made in the order's transaction."""
        placeholder_order = self.import_order(self.add("new"))
        chosen_order = self.import_order(self.add("new"))
        customer = self.env["res.partner"].create({"name": "Chosen before the upgrade"})
        chosen_order.partner_id = customer
        (placeholder_order | chosen_order).epicentr_buyer_placeholder_id = False
        self.env.flush_all()
        self.env.cr.execute("UPDATE res_partner SET create_date = create_date - interval '1 day' WHERE id = %s",
                            [customer.id])
        path = Path(__file__).parents[1] / "migrations" / "18.0.1.1.0" / "post-migration.py"
        spec = importlib.util.spec_from_file_location("epicentr_migration_18_0_1_1_0", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(placeholder_order.epicentr_buyer_placeholder_id, placeholder_order.partner_id)
        self.assertFalse(chosen_order.epicentr_buyer_placeholder_id, "a customer chosen by hand is never the placeholder")

    def test_epicentr_fields_are_the_connectors(self):
        order = self.import_order(self.add("new"))
        for values in ({"epicentr_source_id": self.source_b.id}, {"epicentr_uuid": str(uuid.uuid4())},
                       {"epicentr_buyer_placeholder_id": self.with_access.partner_id.id}):
            with self.subTest(values), self.assertRaises(AccessError):
                order.with_user(self.with_access).write(values)
        with self.assertRaises(AccessError):
            self.env["sale.order"].with_user(self.with_access).create({
                "partner_id": self.with_access.partner_id.id, "epicentr_source_id": self.source_b.id})

    # 5. the token goes to Epicentr only, and only admins set it

    def test_token_and_address(self):
        Source = self.env["epicentr.source"].with_user(self.manager)
        with self.assertRaises(AccessError):
            Source.create({"name": "Mine", "api_token": "stolen"})
        with self.assertRaises(AccessError):
            self.source.with_user(self.manager).copy({"api_token": "stolen"})
        for url in ("https://evil.example", "https://10.0.0.1", "https://merchant-api.epicentrm.com.ua/proxy",
                    "http://127.0.0.1:9"):
            with self.subTest(url), self.assertRaises(AccessError):
                self.source.with_user(self.manager).write({"base_url": url})
        self.assertEqual(self.source.api_token, SANDBOX_TOKEN)
        # a manager may go back to Epicentr's own address, which takes the token along nowhere
        self.source.with_user(self.manager).write({"base_url": "https://merchant-api.epicentrm.com.ua"})
        self.assertFalse(self.source.api_token)
        self.env.cr.precommit.run()  # tracking values are written when the transaction ends
        tracked = self.source.message_ids.tracking_value_ids.filtered(lambda t: t.field_id.name == "base_url")
        self.assertTrue(tracked, "changes of address are tracked")
        # a Settings administrator may point it elsewhere (they can read the token anyway)
        self.source.write({"base_url": self.sandbox.url, "api_token": SANDBOX_TOKEN})
        self.assertEqual(self.source.api_token, SANDBOX_TOKEN)

    # 6. context switches are not honoured when they come from outside

    def test_context_switches_from_outside_are_ignored(self):
        order = self.import_order(self.add("new"))
        order.with_user(self.with_access).with_context(epicentr_importing=True).action_confirm()
        self.assertTrue(self.entries(order), "a plain context key silenced the outbox")
        client = self.source.with_context(epicentr_client_options={"backoff": 8, "max_wait": 10**6})._get_client()
        self.assertEqual((client.backoff, client.max_wait), (1.0, 60))
        client = self.source.with_context(epicentr_client_options=ServerOnly({"backoff": 8}))._get_client()
        self.assertEqual(client.backoff, 8)
        with self.assertRaises(UserError):
            order.with_user(self.with_access)._epicentr_cancel("order.cancel_reason.anything_i_like")
        self.assertEqual(order.state, "sale")

    # 7. a hostile or broken Epicentr cannot stall the source

    @mute_logger(SOURCE_LOGGER)
    def test_list_entry_with_a_bad_id_does_not_jam_the_source(self):
        self.add("new")
        self.add("new")
        self.sandbox.fault("replace", count=1, path_contains="/v4/oms/orders?", field="items.0.id",
                            value="../../v1/my/user")
        stats = self.source._sync_orders()
        self.assertIn("not orders the import can read", self.source.last_error)
        self.assertFalse(stats["failed"])
        self.sandbox.store.add_order()
        self.source.sync_cursor_at = False  # the next sync lists everything again, without the fault
        self.source._sync_orders()
        self.assertEqual(self.env["sale.order"].search_count([("epicentr_source_id", "=", self.source.id)]), 3)
        self.assertFalse(self.source.last_error)

    @mute_logger(SOURCE_LOGGER)
    def test_retrying_failed_orders_keeps_to_the_time_budget(self):
        cards = [self.add("new") for _ in range(6)]
        self.source.failed_orders = {card["id"]: failure(card["number"], "earlier failure") for card in cards}
        self.sandbox.fault("slow", count=6, path_contains="/v6/oms/orders/", delay=0.2)
        self.source._sync_orders(deadline=time.monotonic() - 1)  # past already: no retry is started
        paths = [r.path for r in self.sandbox.requests]
        first_list = next(i for i, path in enumerate(paths) if path.startswith("/v4/oms/orders"))
        self.assertFalse([path for path in paths[:first_list] if path.startswith("/v6/oms/orders/")])
        imported = self.env["sale.order"].search([("epicentr_source_id", "=", self.source.id)]).mapped("epicentr_uuid")
        for card in cards:  # each either arrived through the list or still waits for its retry
            self.assertTrue(card["id"] in imported or card["id"] in self.source.failed_orders, card["number"])

    @mute_logger(SOURCE_LOGGER)
    def test_endless_cursors_and_huge_answers_end_the_sync(self):
        first = self.add("new")
        self.add("new")
        entry = dict(first)
        self.sandbox.fault("endless", count=10**4, path_contains="cursor=", items=[entry])
        self.source.with_context(epicentr_page_size=ServerOnly(1))._sync_orders()
        self.assertIn("only orders already listed", self.source.last_error)
        self.assertLess(len(self.sandbox.requests), 10)
        self.sandbox.clear_faults()
        self.sandbox.fault("huge", count=3, path_contains="/v4/oms/orders", size=wire.MAX_ANSWER_BYTES)
        self.source._sync_orders()
        self.assertIn("larger than", self.source.last_error)

    @mute_logger(SOURCE_LOGGER, "odoo.addons.epicentr_connector.api.client")
    def test_huge_retry_after_is_bounded(self):
        self.sandbox.fault("429", count=5, retry_after=10**12)
        self.source._sync_orders()  # no OverflowError
        waited = self.source.next_sync_at - self.source.write_date
        self.assertLessEqual(waited.total_seconds(), wire.MAX_RETRY_AFTER + 3600)
        self.assertIn("429", self.source.last_error)

    # 8. Epicentr's text never becomes a link or an image

    def test_epicentr_text_is_escaped_in_notes_and_activities(self):
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        self.sandbox.fault("refuse", count=5, path_contains="/change-status/", status=422, message=HOSTILE_TEXT)
        self.send()
        activity = self.error_activities(order)
        self.assertTrue(activity)
        for html in (activity.note, *order.message_ids.mapped("body")):
            self.assertNotIn("<a ", str(html))
            self.assertNotIn("<img", str(html))
        self.assertIn("evil.example/login", str(activity.note), "the text itself is shown, escaped")

    # 9. buyers are matched only to contacts the import may use

    def test_buyers_are_not_matched_to_users_archived_or_foreign_contacts(self):
        # Epicentr shows the buyer of confirmed orders
        phones = ["+380671110001", "+380671110002", "+380671110003"]
        for i, phone in enumerate(phones):
            self.add("confirmed", address={"phone": phone, "email": f"buyer{i}@example.com"})
        portal_partner = self.portal.partner_id
        portal_partner.write({"email": "buyer0@example.com"})
        archived = self.env["res.partner"].create({"name": "Archived", "phone": phones[1], "active": False})
        foreign = self.env["res.partner"].create({"name": "Of company B", "phone": phones[2],
                                                  "company_id": self.company_b.id})
        self.source._sync_orders()
        customers = self.env["sale.order"].search([("epicentr_source_id", "=", self.source.id)]).partner_id
        self.assertEqual(len(customers), 3)
        self.assertFalse(customers & (portal_partner | archived | foreign))
        self.assertFalse(portal_partner.sale_order_ids)

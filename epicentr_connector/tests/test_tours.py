"""Browser tours (static/tests/tours/epicentr_tours.js): a manager and a salesperson click
through the product in headless Chromium, against the sandbox over real HTTP.

A tour cannot wait for a cron: the background work a click asks for (the sync after "Sync
Now", the send after "Confirm") is run here, in Python, between two tours, with the crons'
own code. The browser and these tests share one test cursor, so each sees what the other did.

The tours type no sandbox address: the test makes the sandbox the default API address of new
sources (an ``ir.default``, as a company could set one), so the manager keeps the default as a
real seller keeps Epicentr's.
"""

from odoo.tests import HttpCase, new_test_user, tagged

from .common import SANDBOX_TOKEN, EpicentrSandboxMixin
from .test_waybills import set_sender


@tagged("post_install", "-at_install")
class TestTours(EpicentrSandboxMixin, HttpCase):

    sandbox_orders = 0  # each test puts on the sandbox the orders its tour looks for

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._start_sandbox()

    def setUp(self):
        super().setUp()
        self.sandbox.store.orders.clear()
        self.sandbox.clear_requests()

    def source_with_salesperson(self, login):
        """A source on the sandbox whose orders ``login``, a salesperson, may see; synced once."""
        salesperson = new_test_user(self.env, login, name="Petro Salesperson",
                                    groups="base.group_user,sales_team.group_sale_salesman")
        source = self.env["epicentr.source"].create({
            "name": "Tour shop", "base_url": self.sandbox.url, "api_token": SANDBOX_TOKEN,
            "access_user_ids": [salesperson.id],
        })
        source._sync_orders()
        return source

    def test_manager_sets_up_a_source_and_opens_an_order(self):
        for status in ("new", "sent", "completed"):
            self.sandbox.store.add_order(statusCode=status)
        new_test_user(self.env, "epicentr_manager", name="Olena Manager",
                      groups="base.group_user,base.group_system,epicentr_connector.group_epicentr_manager")
        self.env["ir.default"].set("epicentr.source", "base_url", self.sandbox.url)

        # Settings → Sales → Epicentr → sources → new source, Test Connection, Sync Now
        self.start_tour("/odoo", "epicentr_manager_tour", login="epicentr_manager")
        self.env.invalidate_all()
        source = self.env["epicentr.source"].search([("name", "=", "Tour shop")])
        self.assertRecordValues(source, [{
            "base_url": self.sandbox.url, "api_token": SANDBOX_TOKEN, "connection_state": "ok"}])
        self.assertIn("/v1/my/user", [r.path for r in self.sandbox.requests])
        orders = [("epicentr_source_id", "=", source.id)]
        self.assertFalse(self.env["sale.order"].search_count(orders), "nothing is imported before the cron runs")

        # the cron woken by Sync Now
        self.env["epicentr.source"]._cron_sync_orders()
        self.assertEqual(self.env["sale.order"].search_count(orders), 3)

        # Sales → Orders → Epicentr Orders → the sent order, with its Epicentr status
        self.start_tour("/odoo", "epicentr_manager_orders_tour", login="epicentr_manager")

    def test_salesperson_confirms_an_order_and_sees_its_status_change(self):
        card = self.sandbox.store.add_order(statusCode="new")
        for item in card["items"]:
            self.env["product.product"].create({
                "name": item["title"], "default_code": item["productExternalId"] or item["sku"], "type": "consu"})
        source = self.source_with_salesperson("epicentr_salesperson")
        order = self.env["sale.order"].search([("epicentr_source_id", "=", source.id)])
        self.assertRecordValues(order, [{"epicentr_status": "new", "state": "draft"}])
        self.sandbox.clear_requests()

        # Epicentr Orders → the new order → Confirm
        self.start_tour("/odoo", "epicentr_salesperson_tour", login="epicentr_salesperson")
        self.env.invalidate_all()
        self.assertEqual(order.state, "sale")
        self.assertEqual(self.sandbox.requests, [], "nothing is sent inside the user's request")

        # the sender cron, then a sync
        self.env["epicentr.outbox"]._cron_send()
        change_status = [r.path.rsplit("/", 1)[-1] for r in self.sandbox.writes() if "/change-status/to/" in r.path]
        self.assertEqual(change_status, ["confirmed_by_merchant", "confirmed"])
        source._sync_orders()
        self.assertEqual(order.epicentr_status, "confirmed")
        # the source has no salespeople pool: the order stays unassigned, so visible to the
        # salesperson, also once the sync has replaced the hidden buyer with the real one
        self.assertFalse(order.user_id, "the sync made its own user the order's salesperson")

        # the order again: Epicentr's status badge now says confirmed
        self.start_tour("/odoo", "epicentr_salesperson_status_tour", login="epicentr_salesperson")

    def test_salesperson_records_a_call_and_comments_on_epicentr(self):
        card = self.sandbox.store.add_order(statusCode="confirmed_by_merchant")
        self.source_with_salesperson("epicentr_caller")
        self.sandbox.clear_requests()

        # the order → Call Result: no answer → Comment on Epicentr
        self.start_tour("/odoo", "epicentr_salesperson_talk_tour", login="epicentr_caller")
        self.assertEqual(self.sandbox.requests, [], "nothing is sent inside the user's request")

        self.env["epicentr.outbox"]._cron_send()
        self.assertEqual(self.sandbox.store.orders[card["id"]]["callStatus"], "first_fail")
        self.assertEqual([r.json for r in self.sandbox.writes() if r.path.endswith("/comments")],
                         [{"content": "Передзвоню після 18:00"}])

        # the order again: the call's result and the comment, sent
        self.start_tour("/odoo", "epicentr_salesperson_talk_sent_tour", login="epicentr_caller")

    def test_storekeeper_validates_a_delivery_and_the_waybill_label_is_there(self):
        card = self.sandbox.store.add_order(statusCode="new", address={"shipment": {"provider": "ukrposhta"}})
        for item in card["items"]:
            self.env["product.product"].create({
                "name": item["title"], "default_code": item["productExternalId"] or item["sku"], "type": "consu"})
        new_test_user(self.env, "epicentr_storekeeper", name="Taras Storekeeper",
                      groups="base.group_user,sales_team.group_sale_salesman,stock.group_stock_user")
        source = self.source_with_salesperson("epicentr_shop_salesperson")
        source.access_user_ids |= self.env["res.users"].search([("login", "=", "epicentr_storekeeper")])
        set_sender(source, ["ukrposhta"])
        self.sandbox.clear_requests()

        # the new order → Confirm → its delivery → Validate: the waybill is requested
        self.start_tour("/odoo", "epicentr_waybill_tour", login="epicentr_storekeeper")
        self.assertEqual(self.sandbox.requests, [], "nothing is sent inside the user's request")

        order = self.env["sale.order"].search([("epicentr_uuid", "=", card["id"])])
        self.assertEqual(order.picking_ids.carrier_id, self.env.ref("epicentr_connector.carrier_epicentr_ukrposhta"))
        self.assertEqual(order.picking_ids.state, "done")

        # the sender cron: the order confirmed on Epicentr, then its waybill and label
        self.env["epicentr.outbox"]._cron_send()
        stored = self.sandbox.store.orders[card["id"]]
        self.assertEqual(stored["statusCode"], "sent")
        self.assertTrue(stored["address"]["shipment"]["number"])

        # the delivery again: its tracking reference is the waybill's number, the label is attached
        self.start_tour("/odoo", "epicentr_waybill_done_tour", login="epicentr_storekeeper")

    def test_storekeeper_validates_the_return_of_a_refused_parcel_and_the_stock_is_back(self):
        card = self.sandbox.store.add_order(statusCode="new")
        del card["items"][1:]
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.env.company.id)], limit=1)
        item = card["items"][0]
        product = self.env["product.product"].create({
            "name": item["title"], "default_code": item["productExternalId"] or item["sku"], "is_storable": True})
        self.env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 10)
        new_test_user(self.env, "epicentr_returns_storekeeper", name="Taras Storekeeper",
                      groups="base.group_user,sales_team.group_sale_salesman,stock.group_stock_user")
        source = self.source_with_salesperson("epicentr_returns_salesperson")
        source.access_user_ids |= self.env["res.users"].search([("login", "=", "epicentr_returns_storekeeper")])
        order = self.env["sale.order"].search([("epicentr_source_id", "=", source.id)])
        order.action_confirm()
        delivery = order.picking_ids
        delivery.move_ids.quantity = item["quantity"]
        delivery.button_validate()
        # the buyer refuses the parcel at the post office: Epicentr cancels the shipped order
        self.sandbox.store.platform_set_status(card["id"], "sent")
        self.sandbox.store.platform_set_status(card["id"], "canceled")
        source._sync_orders()
        self.assertEqual(product.qty_available, 10 - item["quantity"])

        # the order → its transfers → the return → Validate
        self.start_tour("/odoo", "epicentr_return_tour", login="epicentr_returns_storekeeper")
        self.assertEqual(product.qty_available, 10)
        self.assertEqual(order.epicentr_return_state, "returned")

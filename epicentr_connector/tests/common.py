import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from ..utils.switches import ServerOnly
from .epicentr_sandbox import Sandbox

from odoo import Command, fields
from odoo.tests import TransactionCase, new_test_user
from odoo.tests.common import BlockedRequest, _super_send

SANDBOX_TOKEN = "sandbox-token"
MERCHANT_REASON = "order.merchant_cancel_reason.merchant_product_is_not_available"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


class EpicentrSandboxMixin:
    """A sandbox for a test class (``_start_sandbox``) and an HTTP handler that lets our
    client reach it. Mix into any Odoo test case, before it: ``(EpicentrSandboxMixin, HttpCase)``."""

    sandbox_orders = 20  # generated history of the class's sandbox

    @classmethod
    def _start_sandbox(cls):
        cls.sandbox = Sandbox(orders=cls.sandbox_orders, seed=1, token=SANDBOX_TOKEN)
        cls.sandbox.start()
        cls.addClassCleanup(cls.sandbox.stop)
        return cls.sandbox

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # Odoo's own handler does `timeout < 10`, which raises TypeError on the
        # (connect, read) timeout tuple of our client. Let loopback requests (the
        # sandbox) through unchanged, the way Odoo does; still block everything else.
        if urlsplit(r.url).hostname in LOOPBACK_HOSTS:
            return _super_send(s, r, **kw)
        raise BlockedRequest(f"External requests verboten (was {r.method} {r.url})")


class EpicentrCommon(EpicentrSandboxMixin, TransactionCase):
    """A running sandbox (one per test class) and a source connected to it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._start_sandbox()
        cls.source = cls.env["epicentr.source"].create({
            "name": "Sandbox shop",
            "base_url": cls.sandbox.url,
            "api_token": SANDBOX_TOKEN,
        })

    def setUp(self):
        super().setUp()
        self.sandbox.clear_faults()
        self.sandbox.clear_requests()

    def notes(self, order, text):
        """The order's chatter messages that say ``text``."""
        return order.message_ids.filtered(lambda m: text in (m.body or ""))


class PushCommon(EpicentrCommon):
    """EpicentrCommon for the outbox: each test adds exactly the sandbox orders it talks about.

    Push to Epicentr: the outbox and its sender against the sandbox over real HTTP.

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

    sandbox_orders = 0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Push = cls.env["epicentr.outbox"]
        cls.push_cron = cls.env.ref("epicentr_connector.ir_cron_epicentr_outbox")
        cls.error_activity = cls.env.ref("epicentr_connector.mail_activity_epicentr_outbox_error")

    def setUp(self):
        super().setUp()
        self.sandbox.store.orders.clear()
        self.addCleanup(setattr, self.sandbox.store, "ttn_autosend", False)

    def add(self, status="new", provider="nova_poshta", **overrides):
        """An order on the sandbox, shipped by ``provider``, with one line."""
        address = overrides.pop("address", {})
        address.setdefault("shipment", {}).setdefault("provider", provider)
        card = self.sandbox.store.add_order(statusCode=status, address=address, **overrides)
        del card["items"][1:]
        card["subtotal"] = card["items"][0]["subtotal"]
        return card

    def import_order(self, card):
        """Import ``card`` (its product exists as goods, so confirming makes a delivery)."""
        for item in card["items"]:
            self.env["product.product"].create(
                {"name": item["title"], "default_code": item["productExternalId"] or item["sku"], "type": "consu"})
        stats = self.source._sync_orders()
        self.assertNotIn("busy", stats)
        order = self.env["sale.order"].search(
            [("epicentr_source_id", "=", self.source.id), ("epicentr_uuid", "=", card["id"])])
        self.assertTrue(order, "the sandbox order was not imported")
        self.sandbox.clear_requests()
        return order

    def end_transaction(self):
        """What the end of the click's transaction does before its commit: the changes the write
        hooks noted become outbox entries (cr.precommit)."""
        self.env.cr.flush()

    def send(self, **client_options):
        """Run the sender as the cron does (a fast client back-off: tests do not wait seconds),
        after the transaction that recorded the entries."""
        self.end_transaction()
        options = {"backoff": 0.001, **client_options}
        self.Push.with_context(epicentr_client_options=ServerOnly(options))._cron_send()

    def entries(self, order):
        self.end_transaction()
        return self.Push.search([("order_id", "=", order.id)], order="id")

    def delivery(self, order):
        picking = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
        self.assertEqual(len(picking), 1, "confirming the order should make one delivery")
        return picking

    def error_activities(self, order):
        return order.activity_ids.filtered(lambda a: a.activity_type_id == self.error_activity)

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

    def refused_cancellation(self):
        """An imported, confirmed order whose card payment is awaited, cancelled in Odoo and sent:
        Epicentr does not allow cancelling it. Returns (card, order)."""
        card = self.add("new")
        card["address"]["shipment"].update(paymentProvider="easypay", paymentStatus="payment_waiting")
        order = self.import_order(card)
        order.action_confirm()
        order._epicentr_cancel(MERCHANT_REASON)
        self.send()
        return card, order

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


class SecurityCommon(PushCommon):
    """Attacking users of a company using the addon: salespeople with and without access to the
    source, a stock user, a portal user, an Epicentr manager, and a manager of company B with a
    source of its own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Epicentr security company B"})
        salesman, manager = "sales_team.group_sale_salesman_all_leads", "epicentr_connector.group_epicentr_manager"

        def user(login, groups, company=cls.env.company):
            return new_test_user(cls.env, login=login, groups=groups, company_id=company.id,
                                 company_ids=[Command.set(company.ids)])

        cls.with_access = user("epc_sec_with", f"base.group_user,{salesman}")
        cls.without_access = user("epc_sec_without", f"base.group_user,{salesman}")
        cls.stock_user = user("epc_sec_stock", "base.group_user,stock.group_stock_user")
        cls.portal = user("epc_sec_portal", "base.group_portal")
        cls.manager = user("epc_sec_manager", f"base.group_user,{manager}")
        cls.manager_b = user("epc_sec_manager_b", f"base.group_user,{manager}", cls.company_b)
        cls.source.access_user_ids = cls.with_access
        cls.source_b = cls.env["epicentr.source"].with_company(cls.company_b).create({
            "name": "Shop of company B", "base_url": cls.sandbox.url, "api_token": SANDBOX_TOKEN,
            "company_id": cls.company_b.id})


def item(code, price, quantity, title=None):
    """An Epicentr item of the seller's product ``code``."""
    return {"offerId": f"offer-{code}", "productId": f"p-{code}", "productExternalId": code, "sku": code,
            "title": title or f"Товар {code}", "price": price, "quantity": quantity,
            "subtotal": round(price * quantity, 2), "measure": "шт.", "ratio": 1}


def iso(moment):
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


class ImportCommon(EpicentrCommon):
    """The import against the sandbox over real HTTP: read-only towards Epicentr (checked after
    every test)."""

    sandbox_orders = 0  # each test adds exactly the orders it talks about

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source = cls.source.with_context(epicentr_client_options=ServerOnly({"backoff": 0.001}))
        cls.Order = cls.env["sale.order"]
        cls.placeholder_product = cls.env.ref("epicentr_connector.product_epicentr_unmatched")

    def setUp(self):
        super().setUp()
        self.sandbox.store.orders.clear()

    def tearDown(self):
        # The connector never writes to Epicentr while importing.
        self.assertEqual(self.sandbox.writes(), [], "the import wrote to Epicentr")
        super().tearDown()

    def add(self, **overrides):
        return self.sandbox.store.add_order(**overrides)

    def add_at_new_place(self, **overrides):
        """An order to a branch no other order goes to."""
        office = str(uuid.uuid4())
        return self.add(office={"id": office, "title": f"Branch {office[:8]}"},
                        address={"shipment": {"officeId": office}}, **overrides)

    def add_at_place_of(self, card, **overrides):
        """An order to the settlement and branch of ``card``."""
        shipment = card["address"]["shipment"]
        return self.add(settlement=dict(card["settlement"]), office=dict(card["office"]), address={"shipment": {
            key: shipment[key] for key in ("provider", "settlementId", "officeId")}}, **overrides)

    def card_reads(self):
        """How many times each order's card was read: {uuid: reads}."""
        return Counter(r.path.rsplit("/", 1)[-1] for r in self.sandbox.requests
                       if r.method == "GET" and "/oms/orders/" in r.path and r.path.count("/") == 4
                       and not r.path.endswith("/total"))

    def stock_products_for(self, card):
        """Goods products for the card's codes, so that confirming the order makes a delivery."""
        return self.env["product.product"].create([
            {"name": item["title"], "default_code": item["productExternalId"] or item["sku"], "type": "consu"}
            for item in card["items"]])

    def sync(self):
        stats = self.source._sync_orders()
        self.assertNotIn("busy", stats)
        return stats

    def imported(self, card):
        return self.Order.search([("epicentr_source_id", "=", self.source.id), ("epicentr_uuid", "=", card["id"])])

    def ago(self, **delta):
        return iso(datetime.now(timezone.utc) - timedelta(**delta))

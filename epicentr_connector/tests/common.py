from urllib.parse import urlsplit

from ..utils.switches import ServerOnly
from .epicentr_sandbox import Sandbox

from odoo.tests import TransactionCase
from odoo.tests.common import BlockedRequest, _super_send

SANDBOX_TOKEN = "sandbox-token"
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


class PushCommon(EpicentrCommon):
    """EpicentrCommon for the outbox: each test adds exactly the sandbox orders it talks about."""

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

    def send(self, **client_options):
        """Run the sender as the cron does (a fast client back-off: tests do not wait seconds)."""
        options = {"backoff": 0.001, **client_options}
        self.Push.with_context(epicentr_client_options=ServerOnly(options))._cron_send()

    def entries(self, order):
        return self.Push.search([("order_id", "=", order.id)], order="id")

    def delivery(self, order):
        picking = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
        self.assertEqual(len(picking), 1, "confirming the order should make one delivery")
        return picking

    def error_activities(self, order):
        return order.activity_ids.filtered(lambda a: a.activity_type_id == self.error_activity)


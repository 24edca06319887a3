from urllib.parse import urlsplit

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

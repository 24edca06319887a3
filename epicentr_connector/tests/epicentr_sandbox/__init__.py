"""A faithful stand-in for the Epicentr K Merchant API (orders, offers), served over real HTTP.

    with Sandbox(orders=50, seed=42) as sb:  # the addon's tests: from .epicentr_sandbox
        requests.get(sb.url + "/v4/oms/orders", headers={"Authorization": "Bearer sandbox-token"})

Follows Epicentr's published OpenAPI description (kept at tests/openapi/ in the project's
repository, which checks this server against it) and the platform rules the seller cabinet
enforces: cursor pages, bracket filters, the status machine, buyer data hidden while `new`,
TTN only while `confirmed`, cancel reasons, `{message, code}` errors and switchable faults.

Prices and availability (offers.py, as Epicentr's help page of 2026-09-19 has them): POST
/v1/offers {"items": [{productId | sku, prices{price, oldPrice?}, availability}]}, at most
200, answers {total, items[{id, idType, status, errors, sku}], requestId} at once and applies
the enqueued items `offers_delay` seconds later (store clock); GET
/v1/offers/update-results/{requestId} reads the results (14 days; another token's: 403). Both
share a sliding-window limit per token, `offers_rate` (120 requests per 120 s; 429 with
Retry-After). `sb.offers` (OfferBook) adds offers, starts promotions, reads offers and
batches; /__sandbox__/offers, offer-batches and offer-settings do the same over HTTP.

Order actions (order_actions.py): GET|POST /v2/oms/orders/{id}/comments ({content} -> 204;
commentsCount counts them), POST /v2/oms/orders/{id}/call-status ({callStatus}: success,
first_fail, second_fail or email_sent -> 202; the order's callStatus shows it), PUT
/v3/oms/orders/{id}/items/{offerId} ({quantity}: a positive integer -> 200 with the item) and
DELETE /v2/oms/orders/{id}/items/{offerId} (-> 204). Items change only while the order is
`confirmed_by_merchant`, not when it is paid by card on the site, and never its last one
(403 with a translation key); a body the spec refuses is a 400, one it accepts but the
platform refuses (a blank comment, quantity 2.5) a 422, a deleted order 410 (comments: 404).
Every change bumps updatedAt (an item change recomputes the subtotals). `sb.store.platform_add_comment(id, content,
first_name, last_name)` and POST /__sandbox__/orders/{id}/comments add a comment by the call
centre or the buyer; `sb.store.platform_edit_items` and /__sandbox__/orders/{id}/items edit
the items without the seller's rules.

Waybills (shipping.py): POST /v3/oms/orders/{id}/shipping/{provider} makes the waybill through
Epicentr with the cabinet's rules (only `confirmed`, one an order, the sender's branch from the
delivery dictionary, parcels of 0.1-30 kg, cash on delivery up to what the buyer pays) -> 201;
its number is then on the card and the order `sent`. GET
/v3/deliveries/providers/{provider}/participants/{sender|receiver}/settlements[/{id}/offices]
serve the dictionaries the cards name (filter[title], limit, offset), and GET
/v3/deliveries/{provider}/companies/{companyId}/invoice/{number} the waybill file, a real PDF
(not for Nova Poshta, whose labels come from Nova Poshta).

It ships inside the addon (tests/epicentr_sandbox) so that the addon's own tests run from
the addon folder alone; it imports nothing from Odoo but werkzeug.
"""
import threading
from datetime import datetime, timezone

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import RequestRecord, SandboxApp
from .faults import FaultInjector
from .offers import DEFAULT_DELAY, DEFAULT_RATE, OfferBook
from .store import OrderStore

__all__ = ["Sandbox", "RequestRecord"]

READ_METHODS = ("GET", "HEAD", "OPTIONS")  # change nothing; any other method is a write


def utc_now():
    return datetime.now(timezone.utc)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class Sandbox:
    """The sandbox server. Orders are generated at construction; start() serves them.

    now: callable returning an aware UTC datetime (default: the real clock).
    ttn_autosend: a TTN PATCH also moves the order to `sent`, as the cabinet does.
    port: 0 picks a free port. log_requests: werkzeug's access log on stderr.
    offers_delay: seconds before a /v1/offers batch is applied; offers_rate: (requests,
    seconds) on the offers routes per token; other_tokens: other companies, offers routes only.
    """

    def __init__(self, orders=50, seed=42, token="sandbox-token", days=75, now=None, *,
                 ttn_autosend=False, port=0, log_requests=False, offers_delay=DEFAULT_DELAY,
                 offers_rate=DEFAULT_RATE, other_tokens=()):
        self.token = token
        self.store = OrderStore(orders, seed, days, now or utc_now, ttn_autosend)
        self.offers = OfferBook(self.store.now, token, offers_delay, offers_rate)
        self._faults = FaultInjector()
        self._app = SandboxApp(self.store, self._faults, token, self.offers, other_tokens)
        self._port, self._log_requests = port, log_requests
        self._server = self._thread = None

    @property
    def requests(self):
        """Every request received (not the /__sandbox__/ ones), in arrival order."""
        return self._app.requests

    def clear_requests(self):
        self._app.clear_requests()

    def writes(self):
        """The requests that may change something at Epicentr: every method but the reading
        ones (POST/PUT/PATCH/DELETE: status, TTN, comments, call status, items, offers)."""
        return [record for record in self.requests if record.method not in READ_METHODS]

    def fault(self, kind, count=1, **params):
        """The next `count` requests (optionally path_contains=...) get fault `kind`."""
        self._faults.add(kind, count, **params)

    def clear_faults(self):
        self._faults.clear()

    def set_latency(self, ms):
        """Every answer of the merchant API waits ``ms`` milliseconds (0: none); starts counting
        the requests in flight again."""
        self._app.set_latency(ms)

    @property
    def max_in_flight(self):
        """The most merchant API requests it was answering at once (since set_latency())."""
        return self._app.load()["max_in_flight"]

    @property
    def url(self):
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self):
        handler = WSGIRequestHandler if self._log_requests else _QuietHandler
        self._server = make_server("127.0.0.1", self._port, self._app, threaded=True,
                                   request_handler=handler)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="epicentr-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

"""The HTTP side: routes, Bearer auth, the order list (its filters and sort: params.py; its
cursor pages: pages.py), the request log, faults and the /__sandbox__/ control endpoints; /v1/offers and
its control endpoints call into offers.py, waybills and the delivery dictionaries into shipping.py,
comments, call status and item edits into
order_actions.py (through the store), the PIM reads (/v2/pim/...) into pim.py, and the feed
check (/__sandbox__/feed/check) into feed.py.

Where the sandbox is stricter than the live API is known to be, it says so in the answer:
an unknown `filter[...]`, `sort[]` field or cursor is a 400 (a silently ignored filter would
hide a client bug), while a flat `?statusCode=new` is ignored exactly like the live API does.
"""
import dataclasses
import json
import threading
from datetime import datetime, timezone
from time import sleep

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import pim
from .faults import damaged_response, fault_response
from .feed import CONTROL_RULES as FEED_CONTROL_RULES
from .feed import check_url
from .offers import CONTROL_RULES as OFFER_CONTROL_RULES
from .offers import OFFER_ENDPOINTS, OfferBook
from .offers import control as offer_control
from .pages import OrderPage
from .params import dictionary_args, parse_filters, parse_int, parse_limit, parse_sort
from .store import ApiError, cancel_reasons, list_view
from .vocabulary import USER

ROUTES = Map([
    Rule("/v<any('3', '4'):version>/oms/orders", endpoint="list_orders", methods=["GET"]),
    Rule("/v<any('3', '4'):version>/oms/orders/total", endpoint="count_orders", methods=["GET"]),
    Rule("/v<any('5', '6'):version>/oms/orders/<order_id>", endpoint="get_order", methods=["GET"]),
    Rule("/v2/oms/orders/<order_id>/allowed-statuses", endpoint="allowed_statuses",
         methods=["GET"]),
    Rule("/v2/oms/orders/<order_id>/change-status/to/<status>", endpoint="change_status",
         methods=["POST"]),
    Rule("/v1/oms/orders/<order_id>/shipment-number", endpoint="shipment_number",
         methods=["PATCH", "DELETE"]),
    Rule("/v2/oms/order-cancel-reasons/<any(customer, merchant):role>",
         endpoint="cancel_reasons", methods=["GET"]),
    Rule("/v2/oms/orders/<order_id>/comments", endpoint="comments", methods=["GET", "POST"]),
    Rule("/v2/oms/orders/<order_id>/call-status", endpoint="call_status", methods=["POST"]),
    Rule("/v3/oms/orders/<order_id>/items/<offer_id>", endpoint="edit_item", methods=["PUT"]),
    Rule("/v2/oms/orders/<order_id>/items/<offer_id>", endpoint="delete_item",
         methods=["DELETE"]),
    Rule("/v3/oms/orders/<order_id>/shipping/<provider>", endpoint="create_shipment", methods=["POST"]),
    Rule("/v3/deliveries/providers/<provider>/participants/<participant>/settlements",
         endpoint="settlements", methods=["GET"]),
    Rule("/v3/deliveries/providers/<provider>/participants/<participant>/settlements/<settlement_id>/offices",
         endpoint="offices", methods=["GET"]),
    Rule("/v3/deliveries/<provider>/companies/<company_id>/invoice/<number>", endpoint="waybill_file",
         methods=["GET"]),
    Rule("/v1/my/user", endpoint="my_user", methods=["GET"]),
    Rule("/v1/offers", endpoint="post_offers", methods=["POST"]),
    Rule("/v1/offers/update-results/<request_id>", endpoint="offer_results", methods=["GET"]),
    Rule("/v2/pim/categories", endpoint="pim_categories", methods=["GET"]),
    Rule("/v2/pim/attribute-sets", endpoint="pim_attribute_sets", methods=["GET"]),
    Rule("/v2/pim/attribute-sets/<set_code>/attributes/<attribute_code>/options",
         endpoint="pim_options", methods=["GET"]),
], strict_slashes=False)

CONTROL_ROUTES = Map([
    Rule("/__sandbox__/requests", endpoint="requests", methods=["GET", "DELETE"]),
    Rule("/__sandbox__/faults", endpoint="faults", methods=["POST", "DELETE"]),
    Rule("/__sandbox__/orders", endpoint="add_order", methods=["POST"]),
    Rule("/__sandbox__/load", endpoint="load", methods=["GET", "POST"]),
    Rule("/__sandbox__/orders/<order_id>/items", endpoint="edit_items", methods=["POST"]),
    Rule("/__sandbox__/orders/<order_id>/comments", endpoint="add_comment", methods=["POST"]),
    Rule("/__sandbox__/orders/<order_id>/status/<code>", endpoint="set_status",
         methods=["POST"]),
    *OFFER_CONTROL_RULES,
    *FEED_CONTROL_RULES,
], strict_slashes=False)

@dataclasses.dataclass
class RequestRecord:
    method: str
    path: str
    query: dict
    json: object
    headers: dict
    status: int = 0  # set once answered; stays 0 for a dropped connection (drop_after too)
    # when it arrived, Unix seconds (wall clock: comparable with another process on this machine)
    received: float = dataclasses.field(default_factory=lambda: datetime.now(timezone.utc).timestamp())


def json_response(data, status=200):
    return Response(json.dumps(data, ensure_ascii=False), status,
                    content_type="application/json")


def empty_response(status):
    response = Response(status=status)
    del response.headers["Content-Type"]
    return response


def error_response(status, message, errors=None):
    body = {"message": message, "code": status}
    if errors:
        body["errors"] = errors
    return json_response(body, status)


def body_field(body, name):
    return body.get(name) if isinstance(body, dict) else None


class SandboxApp:
    """The WSGI application."""

    def __init__(self, store, faults, token, offers=None, other_tokens=()):
        self.store, self.faults, self.token = store, faults, token
        self.offers = offers if offers is not None else OfferBook(store.now, token)
        self.other_tokens = tuple(other_tokens)  # other companies: accepted by /v1/offers only
        self.requests = []
        self._requests_lock = threading.Lock()
        self.latency = 0.0  # seconds every answer of the merchant API waits: the network to a live Epicentr
        self.in_flight = self.max_in_flight = 0  # merchant API requests being answered at once

    def load(self):
        with self._requests_lock:
            return {"latency_ms": round(self.latency * 1000), "max_in_flight": self.max_in_flight,
                    "list_joins_places": self.store.list_joins_places}

    def set_latency(self, ms):
        """Every answer waits ``ms`` milliseconds; the maximum of requests in flight starts again."""
        with self._requests_lock:
            self.latency, self.max_in_flight = ms / 1000, 0

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/__sandbox__/"):
            return self._control(request)(environ, start_response)
        body = self._json_body(request)
        record = RequestRecord(request.method, request.path, request.args.to_dict(flat=False),
                               None if body is _INVALID else body, dict(request.headers))
        with self._requests_lock:
            self.requests.append(record)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            latency = self.latency
        try:
            if latency:
                sleep(latency)  # the stand-in's network delay, not a wait for a condition
            fault = self.faults.take(request.full_path)  # path and query: 'cursor=' targets page 2+
            response = fault_response(fault, environ) if fault else None
            if response is None:
                response = self._dispatch(request, body)
                if fault:
                    response = damaged_response(fault, response, environ)
        finally:
            with self._requests_lock:
                self.in_flight -= 1
        record.status = response.status_code
        return response(environ, start_response)

    def clear_requests(self):
        with self._requests_lock:
            self.requests.clear()

    # -- merchant API --------------------------------------------------------------------

    def _dispatch(self, request, body):
        path = request.path
        with self.store.lock:
            disabled = any(path.startswith(prefix) for prefix in self.store.disabled_routes)
        try:
            if disabled:
                raise NotFound()
            endpoint, args = ROUTES.bind_to_environ(request.environ).match()
        except NotFound:
            return json_response({"message": "No route configured"}, 404)
        except MethodNotAllowed:
            return error_response(405, "Method Not Allowed")
        tokens = (self.token, *self.other_tokens) if endpoint in OFFER_ENDPOINTS else (self.token,)
        if request.headers.get("Authorization") not in [f"Bearer {token}" for token in tokens]:
            return error_response(401, "Unauthorized")
        try:
            if body is _INVALID:
                raise ApiError(400, "Invalid request parameters",
                               {"body": ["The request body is not valid JSON."]})
            return getattr(self, "_" + endpoint)(request, body, **args)
        except ApiError as error:
            response = error_response(error.status, error.message, error.errors)
            response.headers.update(error.headers)
            return response

    def _list_orders(self, request, body, version):
        # v4 answers like v3: the differences of the live v4 are not documented.
        args = request.args
        with self.store.lock:
            page = OrderPage(self._select(args), parse_sort(args), parse_limit(args),
                             args.get("cursor"))
            return json_response(page.body(lambda order: list_view(
                order, self.store.hidden_buyer_style, self.store.list_joins_places)))

    def _count_orders(self, request, body, version):
        with self.store.lock:
            return json_response({"total": len(self._select(request.args))})

    def _select(self, args):
        predicates = parse_filters(args)
        return [o for o in self.store.visible_orders() if all(p(o) for p in predicates)]

    def _get_order(self, request, body, version, order_id):
        with self.store.lock:  # the view shares nested objects with the stored order
            return json_response(self.store.card(order_id, int(version)))

    def _allowed_statuses(self, request, body, order_id):
        return json_response(self.store.allowed_statuses(order_id))

    def _change_status(self, request, body, order_id, status):
        self.store.change_status(order_id, status, body)
        return empty_response(202)

    def _shipment_number(self, request, body, order_id):
        if request.method == "DELETE":
            self.store.clear_shipment_number(order_id)
            return empty_response(204)
        self.store.set_shipment_number(order_id, body_field(body, "number"))
        return empty_response(202)

    def _cancel_reasons(self, request, body, role):
        items = cancel_reasons(role)
        return json_response({"total": len(items), "items": items})

    def _comments(self, request, body, order_id):
        if request.method == "POST":
            self.store.add_comment(order_id, body_field(body, "content"))
            return empty_response(204)
        comments = self.store.comments_of(order_id)
        offset = parse_int(request.args, "offset", 0, 0)
        return json_response({"total": len(comments),
                              "items": comments[offset:offset + parse_limit(request.args)]})

    def _call_status(self, request, body, order_id):
        self.store.set_call_status(order_id, body)
        return empty_response(202)

    def _edit_item(self, request, body, order_id, offer_id):
        return json_response(self.store.change_item_quantity(order_id, offer_id, body))

    def _delete_item(self, request, body, order_id, offer_id):
        self.store.delete_item(order_id, offer_id)
        return empty_response(204)

    def _create_shipment(self, request, body, order_id, provider):
        self.store.create_shipment(order_id, provider, body)
        return empty_response(201)

    def _settlements(self, request, body, provider, participant):
        return json_response(self.store.settlements(provider, participant, **dictionary_args(request.args)))

    def _offices(self, request, body, provider, participant, settlement_id):
        return json_response(self.store.offices(provider, participant, settlement_id,
                                                **dictionary_args(request.args)))

    def _waybill_file(self, request, body, provider, company_id, number):
        return json_response(self.store.waybill_file(provider, company_id, number))

    def _my_user(self, request, body):
        return json_response({**USER, "companyId": self.store.company_id})

    def _post_offers(self, request, body):
        # 200: the live status is undocumented; the answer is the list's results, items queued
        return json_response(self.offers.post(request.headers["Authorization"][7:], body))

    def _offer_results(self, request, body, request_id):
        return json_response(self.offers.results(request.headers["Authorization"][7:], request_id))

    def _pim_categories(self, request, body):
        return json_response(pim.categories_page(request.args))

    def _pim_attribute_sets(self, request, body):
        return json_response(pim.attribute_sets_page(request.args))

    def _pim_options(self, request, body, set_code, attribute_code):
        return json_response(pim.options_page(set_code, attribute_code, request.args))

    # -- control endpoints (not recorded, no auth, no faults) -----------------------------

    def _control(self, request):
        try:
            endpoint, args = CONTROL_ROUTES.bind_to_environ(request.environ).match()
        except (NotFound, MethodNotAllowed):
            return error_response(404, "Unknown sandbox control endpoint")
        body = self._json_body(request)
        body = body if isinstance(body, dict) else {}
        try:
            if endpoint == "feed_check":  # downloads for up to minutes: not under the store's lock
                return json_response(check_url(body.get("url")))
            with self.store.lock:
                return self._control_action(request, endpoint, args, body)
        except ApiError as error:
            return error_response(error.status, error.message)
        except (TypeError, ValueError) as error:
            return error_response(400, str(error))

    def _control_action(self, request, endpoint, args, body):
        if endpoint == "requests":
            if request.method == "DELETE":
                self.clear_requests()
                return empty_response(204)
            with self._requests_lock:
                return json_response([dataclasses.asdict(r) for r in self.requests])
        if endpoint == "faults":
            if request.method == "DELETE":
                self.faults.clear()
            else:
                self.faults.add(**body)
            return empty_response(204)
        if endpoint == "add_order":
            return json_response(self.store.add_order(**body), 201)
        if endpoint.startswith("offer"):
            return json_response(*offer_control(self.offers, request.method, endpoint, args, body))
        if endpoint == "load":
            if request.method == "POST":
                self.set_latency(float(body.get("latency_ms", 0)))
                self.store.list_joins_places = bool(body.get("list_joins_places", self.store.list_joins_places))
            return json_response(self.load())
        if endpoint == "edit_items":
            return json_response(self.store.platform_edit_items(args["order_id"], **body))
        if endpoint == "add_comment":
            return json_response(self.store.platform_add_comment(args["order_id"], **body), 201)
        return json_response(self.store.platform_set_status(args["order_id"], args["code"],
                                                            **body))

    @staticmethod
    def _json_body(request):
        data = request.get_data()
        if not data.strip():
            return None
        try:
            return json.loads(data)
        except ValueError:
            return _INVALID


_INVALID = object()  # marks a body that is not JSON

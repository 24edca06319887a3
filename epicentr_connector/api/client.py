"""EpicentrClient: the only code that speaks HTTP to the Epicentr Merchant API.

Plain Python over one ``requests.Session``; it knows nothing of Odoo. Every call goes
through ``_request()``, which adds the Bearer token, uses explicit (connect, read) timeouts,
never follows a redirect, maps answers to the errors in ``exceptions.py`` and retries.

Retry policy (bounded by ``retries``; the n-th retry waits ``backoff * 2**n`` seconds, or
the Retry-After of a 429; a wait longer than ``max_wait`` is not made, the error is raised
at once so the caller can reschedule):

- reads (GET) are retried on 429, 500, 502, 503, 504, timeouts and connection errors;
- writes (POST/PATCH/DELETE) change the seller's live cabinet, so they are retried only
  where the request certainly did not take effect: 429, 502, 503, and a connection that
  could not be made (connect timeout, refused). After a read timeout, a dropped
  connection, a 500 or a 504 the write may have been applied: EpicentrTransientError is
  raised and the caller reads the order back and decides;
- nothing else is retried (no other 4xx, no protocol error).

A client is not thread-safe (neither is ``requests.Session``): one per thread; the clients
of one sync share a ``RateGate`` (``gate=``), so that a 429 holds back all of them.
"""

import base64
import logging
import time

import requests
from requests.auth import AuthBase

from . import endpoints
from .gate import RateGate
from .exceptions import (
    EpicentrNotFound,
    EpicentrProtocolError,
    EpicentrRateLimited,
    EpicentrTransientError,
)
from .wire import (
    checked_answer,
    checked_base_url,
    checked_token,
    is_path_value,
    order_filters,
    read_body,
    transport_error,
)

_logger = logging.getLogger(__name__)

RETRY_READ_STATUSES = frozenset({429, 500, 502, 503, 504})
# 500 and 504 are left out for writes: the backend may have applied the change before failing.
RETRY_WRITE_STATUSES = frozenset({429, 502, 503})

class _BearerAuth(AuthBase):
    """Adds the token to a request. Given as ``auth=``, it also stops requests from
    replacing the header with credentials found in ~/.netrc."""

    def __init__(self, token):
        self._token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def redact(self, text):
        return text.replace(self._token, "***") if text else text

    def __repr__(self):
        return "<bearer token hidden>"


class EpicentrClient:
    """Client of the Epicentr Merchant API for one seller token.

    ``base_url`` must be https (plain http only to a loopback host, for the sandbox);
    ``sleep`` is called for every retry wait, so tests can record the waits.
    """

    def __init__(
        self,
        base_url,
        token,
        timeout=(5, 30),
        retries=3,
        backoff=1.0,
        max_wait=60,
        accept_language="uk",
        sleep=time.sleep,
        session=None,
        gate=None,
    ):
        self.base_url = checked_base_url(base_url)
        self._auth = _BearerAuth(checked_token(token))
        if isinstance(timeout, (int, float)):
            timeout = (timeout, timeout)
        connect_timeout, read_timeout = timeout
        if not (connect_timeout > 0 and read_timeout > 0):
            raise ValueError("timeouts must be positive numbers of seconds")
        self.timeout = (connect_timeout, read_timeout)
        if retries < 0 or backoff < 0 or max_wait < 0:
            raise ValueError("retries, backoff and max_wait must not be negative")
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self._sleep = sleep
        self._gate = gate if gate is not None else RateGate()
        self._headers = {"Accept": "application/json", "accept-language": accept_language}
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        self._missing_routes = set()  # endpoints whose preferred version answered "No route"

    def __repr__(self):
        return f"EpicentrClient({self.base_url!r})"

    def close(self):
        if self._owns_session:
            self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # ------------------------------------------------------------------ endpoints

    def get_user(self):
        """The token's user: proves the token works (the "Test connection" button)."""
        return self._call("GET", endpoints.USER, expect="object")

    def iter_orders(
        self,
        updated_from=None,
        updated_to=None,
        created_from=None,
        created_to=None,
        statuses=None,
        number=None,
        sort=("-createdAt",),
        limit=50,
    ):
        """Yield pages (lists of order dicts) matching the filters, following ``next`` to the end.

        Datetimes may be aware or naive (naive = UTC); they are sent in UTC, to the second.
        """
        if isinstance(sort, str):
            sort = (sort,)
        sort = sort or ()  # None or (): Epicentr's default order
        if not isinstance(limit, int) or limit < 1:
            raise ValueError("limit must be a positive integer")
        params = order_filters(
            updated_from, updated_to, created_from, created_to, statuses, number
        )
        params += [("sort[]", field) for field in sort] + [("limit", limit)]
        page = self._call("GET", endpoints.ORDER_LIST, params=params, expect="items")
        # The version chosen for the first page serves the whole walk: cursors are per version.
        path = self._path(endpoints.ORDER_LIST)
        seen_cursors, seen_ids = set(), set()
        while True:
            ids = {item.get("id") for item in page["items"] if isinstance(item.get("id"), str)}
            if seen_cursors and ids <= seen_ids:
                # fresh cursors that bring nothing new would page on forever
                raise EpicentrProtocolError(
                    "the next page lists only orders already listed", method="GET", path=path
                )
            seen_ids |= ids
            if page["items"]:
                yield page["items"]
            cursor = page.get("next")
            if not cursor:
                return
            if not isinstance(cursor, str) or cursor in seen_cursors:
                raise EpicentrProtocolError(
                    f"bad or repeated 'next' cursor {cursor!r}", method="GET", path=path
                )
            seen_cursors.add(cursor)
            # A cursor is only ever a query value: the URL stays base_url + our own path.
            page = self._request("GET", path, params=params + [("cursor", cursor)], expect="items")

    def count_orders(self, **filters):
        """How many orders match ``filters`` (those of iter_orders(), without sort and limit)."""
        return self._call("GET", endpoints.ORDER_TOTAL, params=order_filters(**filters), expect="total")["total"]

    def get_order(self, order_id):
        return self._call("GET", endpoints.ORDER_CARD, order_id=order_id, expect="object")

    def get_allowed_statuses(self, order_id):
        """The statuses the order may move to now: [{code, title}, ...]."""
        answer = self._call("GET", endpoints.ALLOWED_STATUSES, order_id=order_id, expect="items")
        return answer["items"]

    def change_status(
        self,
        order_id,
        status,
        *,
        reason_code=None,
        translation_key=None,
        comment=None,
        provider=None,
        number=None,
    ):
        """Move the order to ``status``. A cancel takes reason_code + translation_key (and an
        optional comment); ``sent`` may take provider + number (the TTN). Other moves: no body."""
        cancel_fields = {
            "reason_code": reason_code,
            "translationKey": translation_key,
            "comment": comment,
        }
        sent_fields = {"provider": provider, "number": number}
        if any(v is not None for v in cancel_fields.values()) and any(
            v is not None for v in sent_fields.values()
        ):
            raise ValueError(
                "give either cancel fields (reason_code, translation_key, comment) "
                "or sent fields (provider, number), not both"
            )
        body = {
            key: value
            for key, value in {**cancel_fields, **sent_fields}.items()
            if value is not None
        }
        self._call(
            "POST", endpoints.CHANGE_STATUS, json=body or None, order_id=order_id, status=status
        )

    def set_tracking_number(self, order_id, number):
        """Attach the TTN (Epicentr accepts it only while the order is ``confirmed``)."""
        if not isinstance(number, str) or not number.strip():
            raise ValueError("the shipment number must be a non-empty string")
        self._call(
            "PATCH", endpoints.SHIPMENT_NUMBER, json={"number": number.strip()}, order_id=order_id
        )

    def delete_tracking_number(self, order_id):
        self._call("DELETE", endpoints.SHIPMENT_NUMBER, order_id=order_id)

    def get_cancel_reasons(self, role="customer"):
        """[{code, title, translationKey}, ...] for ``role``."""
        return self._call("GET", endpoints.CANCEL_REASONS, role=role, expect="items")["items"]

    def set_call_status(self, order_id, call_status):
        """The outcome of the seller's call to the buyer: success, first_fail, second_fail or email_sent."""
        self._call("POST", endpoints.CALL_STATUS, json={"callStatus": call_status}, order_id=order_id)

    def get_comments(self, order_id, page_size=100, max_pages=5):
        """The order's comment thread: [{content, firstName, lastName, userId, createdAt}, ...],
        every page of it (offset/limit; at most ``max_pages`` of them: a thread is a conversation
        with a buyer, and a longer one is a fault)."""
        comments = []
        for _page in range(max_pages):
            answer = self._call("GET", endpoints.COMMENTS, params={"offset": len(comments), "limit": page_size},
                                order_id=order_id, expect="items")
            comments += answer["items"]
            total = answer.get("total")
            if not answer["items"] or not isinstance(total, int) or len(comments) >= total:
                break
        return comments

    def add_comment(self, order_id, content):
        if not isinstance(content, str) or not content.strip():
            raise ValueError("a comment needs some text")
        self._call("POST", endpoints.COMMENTS, json={"content": content.strip()}, order_id=order_id)

    def set_item_quantity(self, order_id, offer_id, quantity):
        """Change an item's quantity (Epicentr allows it while the order is confirmed_by_merchant)."""
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise ValueError("the quantity must be a whole number above 0")
        self._call("PUT", endpoints.ITEM_QUANTITY, json={"quantity": quantity}, order_id=order_id, offer_id=offer_id)

    def delete_item(self, order_id, offer_id):
        self._call("DELETE", endpoints.ITEM, order_id=order_id, offer_id=offer_id)

    def update_offers(self, items):
        """Send prices and/or availability of up to 200 offers ({productId or sku, prices{price,
        oldPrice}, availability}). Epicentr queues them: {requestId, items: [{id, idType, status,
        errors}]} at once, the final statuses later from get_offer_results()."""
        return self._call("POST", endpoints.OFFERS, json={"items": items}, expect="request")

    def get_offer_results(self, request_id):
        """{requestId, items: [{id, idType, status, errors}]} of an update_offers() request."""
        return self._call("GET", endpoints.OFFER_RESULTS, request_id=request_id, expect="items")

    def create_shipment(self, order_id, provider, shipment):
        """Make the waybill through Epicentr (``shipment``: OrderCreateShipmentModelV3). 201 without
        a body: the number is then on the card. Never repeated here: a lost answer may have made it."""
        self._call("POST", endpoints.SHIPPING, json=shipment, order_id=order_id, provider=provider)

    def get_places(self, provider, settlement_id=None, participant="sender", title=None, limit=25, offset=0):
        """A page of Epicentr's delivery dictionary, {items: [{id, title, …}], total}: the settlements
        of ``provider``, or the offices of ``settlement_id``, whose title holds ``title``."""
        params = {"limit": limit, "offset": offset, **({"filter[title]": title} if title else {})}
        if settlement_id:
            return self._call("GET", endpoints.OFFICES, params=params, expect="items", provider=provider,
                              participant=participant, settlement_id=settlement_id)
        return self._call("GET", endpoints.SETTLEMENTS, params=params, expect="items", provider=provider,
                          participant=participant)

    def get_waybill_file(self, provider, company_id, number):
        """The printable waybill (PDF bytes) Epicentr gives for Ukrposhta, Meest and its own points."""
        answer = self._call("GET", endpoints.WAYBILL_FILE, expect="file", provider=provider,
                            company_id=str(company_id), number=number)
        return base64.b64decode(answer["file"])

    def iter_pim(self, kind, set_code=None, attribute_code=None, max_pages=500):
        """Every item of a paged vocabulary list of Epicentr's catalogue: ``kind`` "categories",
        "attribute_sets" or "options" (of ``attribute_code`` in ``set_code``), page after page."""
        endpoint = {"categories": endpoints.PIM_CATEGORIES, "attribute_sets": endpoints.PIM_ATTRIBUTE_SETS,
                    "options": endpoints.PIM_OPTIONS}[kind]
        path_values = {"set_code": set_code, "attribute_code": attribute_code} if kind == "options" else {}
        page = 1
        while page <= max_pages:
            answer = self._call("GET", endpoint, params={"page": page}, expect="items", **path_values)
            yield from answer["items"]
            pages = answer.get("pages")
            if not isinstance(pages, int) or page >= pages or not answer["items"]:
                return
            page += 1

    # ------------------------------------------------------------------ plumbing

    def _path(self, endpoint, **path_values):
        """The path of the version of ``endpoint`` in use, with checked values filled in."""
        template = endpoint.fallback if endpoint in self._missing_routes else endpoint.path
        for name, value in path_values.items():
            if not is_path_value(name, value):
                raise ValueError(f"invalid {name} for an Epicentr path: {value!r}")
        return template.format(**path_values)

    def _call(self, method, endpoint, *, params=None, json=None, expect=None, **path_values):
        """Request ``endpoint``; if its preferred version's route is missing, use the fallback
        version from now on (not when the route answers that the entity is not found)."""
        path = self._path(endpoint, **path_values)
        try:
            return self._request(method, path, params=params, json=json, expect=expect)
        except EpicentrNotFound as error:
            if not (
                error.route_missing and endpoint.fallback and endpoint not in self._missing_routes
            ):
                raise
        self._missing_routes.add(endpoint)
        _logger.debug("Epicentr: no route %s, falling back to %s", endpoint.path, endpoint.fallback)
        return self._request(
            method, self._path(endpoint, **path_values), params=params, json=json, expect=expect
        )

    def _request(self, method, path, *, params=None, json=None, expect=None):
        """Send one logical request, retrying as the module docstring says.

        ``expect`` names the shape an answer must have (see SHAPES); writes other than the offers'
        pass None and their answer body, if any, is not read.
        """
        attempt, waited_for = 0, 0.0
        while True:
            self._gate.wait(self._sleep, waited_for)
            try:
                return self._send(method, path, params, json, expect)
            except (EpicentrRateLimited, EpicentrTransientError) as error:
                delay = self._retry_delay(error, method, attempt)
                if delay is None:
                    raise
                if isinstance(error, EpicentrRateLimited):  # Epicentr's wait is for every request
                    waited_for = self._gate.hold(delay)
            attempt += 1
            _logger.debug(
                "Epicentr %s %s: retry %d of %d in %.2f s", method, path, attempt, self.retries, delay
            )
            self._sleep(delay)

    def _retry_delay(self, error, method, attempt):
        """Seconds to wait before trying ``error``'s request again, or None to raise it."""
        if attempt >= self.retries:
            return None
        if method == "GET":
            retryable = error.status is None or error.status in RETRY_READ_STATUSES
        elif error.status is None:
            retryable = not error.request_sent
        else:
            retryable = error.status in RETRY_WRITE_STATUSES
        if not retryable:
            return None
        delay = getattr(error, "retry_after", None)
        if delay is None:
            delay = self.backoff * 2**attempt
        return delay if delay <= self.max_wait else None

    def _send(self, method, path, params, json, expect):
        """One HTTP exchange: the parsed answer, or an EpicentrError."""
        started = time.monotonic()
        try:
            response = self._session.request(
                method,
                self.base_url + path,
                params=params,
                json=json,
                headers=self._headers,
                auth=self._auth,
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,  # read by read_body, within MAX_ANSWER_BYTES
            )
            read_body(response, started, method, path)
        except requests.RequestException as exc:
            elapsed_ms = (time.monotonic() - started) * 1000
            _logger.debug(
                "Epicentr %s %s -> %s after %.0f ms", method, path, type(exc).__name__, elapsed_ms
            )
            raise transport_error(exc, self.timeout, method, path) from exc
        elapsed_ms = (time.monotonic() - started) * 1000
        _logger.debug(
            "Epicentr %s %s -> %s in %.0f ms", method, path, response.status_code, elapsed_ms
        )
        context = {"status": response.status_code, "method": method, "path": path}
        return checked_answer(response, expect, context, self._auth.redact)

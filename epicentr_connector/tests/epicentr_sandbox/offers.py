"""The seller's offers as Epicentr holds them, and the price/availability batches of
POST /v1/offers, answered at once and applied later (GET /v1/offers/update-results/{id}).

An offer is {productId, sku, price, oldPrice, availability, inPromotion}; the book starts
with the catalogue's goods (in stock, no old price, no promotion). A POST checks its items
and answers: `enqueued` (valid), `forbidden` (invalid, unknown product) or `skipped` (an
earlier change of a product the list changes again). `delay` seconds later on the store's
clock (worked out when the next offers request or read comes, no thread) the enqueued items
are applied in request order: `processed`; `skipped` with batch_update.item.cache_noop (it
changes nothing); `forbidden` with batch_update.price.product_in_promotion (the whole item
when its prices would change a product in a promotion). Results are kept 14 days.

Undocumented, so the sandbox's choice: a list-level error is a 422; item-wide errors are
keyed "item", price errors "price"/"oldPrice", an unknown product is
{"productId"|"sku": ["batch_update.item.not_found"]}; an item without errors has `{}`.
Another company (Sandbox(other_tokens=...)) has no offers here: all its items are not found.
"""
import collections
import copy
import dataclasses
import math
import threading
import uuid
from datetime import timedelta
from decimal import Decimal

from werkzeug.routing import Rule

from .catalogue import CATALOGUE
from .generator import format_time, product_id_of
from .store import ApiError

AVAILABILITIES = ("in_stock", "under_the_order", "not_available")
MAX_ITEMS = 200
KEPT = timedelta(days=14)
DEFAULT_DELAY = 0.5  # seconds from a batch's acceptance to its processing
DEFAULT_RATE = (120, 120)  # requests per seconds (sliding window), per token, both routes
OFFER_ENDPOINTS = ("post_offers", "offer_results")  # app.py's endpoint names

CONTROL_RULES = [
    Rule("/__sandbox__/offers", endpoint="offers", methods=["GET", "POST"]),
    Rule("/__sandbox__/offers/<product_id>", endpoint="offer", methods=["GET"]),
    Rule("/__sandbox__/offers/<product_id>/promotion", endpoint="offer_promotion",
         methods=["POST"]),
    Rule("/__sandbox__/offer-batches", endpoint="offer_batches", methods=["GET"]),
    Rule("/__sandbox__/offer-settings", endpoint="offer_settings", methods=["GET", "POST"]),
]


@dataclasses.dataclass
class Offer:
    """One product of the seller as Epicentr sells it."""
    product_id: str
    sku: str
    price: float
    availability: str = "in_stock"
    in_promotion: bool = False
    old_price: float = None

    def values(self):
        return self.price, self.old_price, self.availability

    def as_json(self):
        return {"productId": self.product_id, "sku": self.sku, "price": self.price,
                "oldPrice": self.old_price, "availability": self.availability,
                "inPromotion": self.in_promotion}


@dataclasses.dataclass
class Batch:
    """One accepted POST /v1/offers: its item results and the changes still to apply."""
    request_id: str
    token: str
    accepted: object  # aware datetime, the store's clock
    items: list  # the item results {id, idType, status, errors, sku}
    changes: dict  # index of an enqueued item -> (productId, prices or None, availability or None)

    def answer(self):
        return {"total": len(self.items), "items": copy.deepcopy(self.items),
                "requestId": self.request_id}

    def as_json(self):
        return {**self.answer(), "token": self.token, "accepted": format_time(self.accepted),
                "pending": len(self.changes)}


def is_amount(value):
    """A finite JSON number with at most 2 decimals (its sign is checked apart)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and Decimal(str(value)).as_tuple().exponent >= -2)


def check_prices(prices):
    """The errors of an item's `prices` ({} when valid)."""
    if not isinstance(prices, dict):
        return {"prices": ["validation.type"]}
    errors = {}
    price, old_price = prices.get("price"), prices.get("oldPrice")
    if price is None:  # an oldPrice alone, or {}
        errors["price"] = ["validation.not_null"]
    elif not is_amount(price):
        errors["price"] = ["validation.type"]
    elif price <= 0:
        errors["price"] = ["validation.positive"]
    if old_price is not None:
        if not is_amount(old_price):
            errors["oldPrice"] = ["validation.type"]
        elif "price" not in errors and old_price < price:  # equal: removes the old price
            errors["oldPrice"] = ["validation.too_low"]
    return errors


def check_item(item):
    """(id, idType, errors, (prices, availability)) of one list item; productId wins."""
    if not isinstance(item, dict):
        return None, None, {"item": ["validation.type"]}, None
    errors = {}
    product_id, sku = item.get("productId"), item.get("sku")
    if product_id is not None:
        ident, id_type = product_id, "product_id"
        if not (isinstance(product_id, str) and product_id.isascii() and product_id.isdigit()):
            errors["productId"] = ["validation.type"]
    elif sku is not None:
        ident, id_type = sku, "sku"
        if not isinstance(sku, str) or not sku:
            errors["sku"] = ["validation.type"]
    else:
        ident = id_type = None
        errors["item"] = ["validation.identifier.required"]
    prices, availability = item.get("prices"), item.get("availability")
    if prices is None and availability is None:
        errors.setdefault("item", []).append("validation.update_value.required")
    if availability is not None and availability not in AVAILABILITIES:
        errors["availability"] = ["validation.type"]
    if prices is not None:
        errors.update(check_prices(prices))
    return ident, id_type, errors, (prices, availability)


def apply_change(offer, prices, availability):
    """Apply one enqueued item to `offer`: its final {status, errors}."""
    price, old_price = offer.price, offer.old_price
    if prices is not None:
        price = float(prices["price"])
        if prices.get("oldPrice") is not None:
            old_price = None if prices["oldPrice"] == price else float(prices["oldPrice"])
        elif old_price is not None and price >= old_price:  # an old price must stay above it
            old_price = None
    availability = availability or offer.availability
    if offer.in_promotion and (price, old_price) != (offer.price, offer.old_price):
        return {"status": "forbidden",
                "errors": {"price": ["batch_update.price.product_in_promotion"]}}
    if (price, old_price, availability) == offer.values():
        return {"status": "skipped", "errors": {"item": ["batch_update.item.cache_noop"]}}
    offer.price, offer.old_price, offer.availability = price, old_price, availability
    return {"status": "processed", "errors": {}}


class OfferBook:
    """The seller's offers by productId, the accepted batches and the offers routes' limits.
    Thread-safe; `now` is the store's clock."""

    def __init__(self, now, token, delay=DEFAULT_DELAY, rate=DEFAULT_RATE):
        self.now, self.token = now, token
        self.lock = threading.RLock()
        self._offers, self._by_sku = {}, {}
        self._batches = {}  # requestId -> Batch, in acceptance order
        self._calls = collections.defaultdict(collections.deque)  # token -> request times
        self.set_delay(delay)
        self.set_rate(*rate)
        for _title, sku, _external_id, price, _measure in CATALOGUE:
            self.add_offer(product_id_of(sku), sku, price)

    # -- test and platform controls ---------------------------------------------------------

    def add_offer(self, product_id, sku, price, availability="in_stock", in_promotion=False,
                  old_price=None):
        """Add (or replace, by productId) an offer of the seller; returns it as JSON."""
        offer = _new_offer(product_id, sku, price, availability, in_promotion, old_price)
        with self.lock:
            self._store(offer)
            return offer.as_json()

    def add_offers(self, offers):
        """Add many offers given as JSON ({productId, sku, price, availability?, oldPrice?,
        inPromotion?}); one invalid adds none (a sku taken by another product stops there).
        Returns how many."""
        made = [_new_offer(o["productId"], o["sku"], o["price"], o.get("availability", "in_stock"),
                           o.get("inPromotion", False), o.get("oldPrice")) for o in offers]
        with self.lock:
            for offer in made:
                self._store(offer)
        return len(made)

    def set_promotion(self, product_id, on=True):
        """A promotion starts (or ends): price changes of the product are refused meanwhile."""
        with self.lock:
            offer = self._offer(product_id)
            offer.in_promotion = bool(on)
            return offer.as_json()

    def offer(self, product_id):
        """An offer's current values (the batches due by now applied)."""
        with self.lock:
            self._settle()
            return self._offer(product_id).as_json()

    def offers(self):
        with self.lock:
            self._settle()
            return [offer.as_json() for offer in self._offers.values()]

    def batches(self):
        """The accepted batches, oldest first: the answer plus token, accepted, pending."""
        with self.lock:
            self._settle()
            return [batch.as_json() for batch in self._batches.values()]

    def set_delay(self, seconds):
        """Seconds from a batch's acceptance to its processing."""
        if float(seconds) < 0:
            raise ValueError("the delay cannot be negative")
        with self.lock:
            self.delay = timedelta(seconds=float(seconds))

    def set_rate(self, count, seconds):
        """At most `count` requests in any `seconds` on the offers routes, per token."""
        if int(count) < 1 or float(seconds) <= 0:
            raise ValueError("the rate needs count >= 1 and seconds > 0")
        with self.lock:
            self.rate = (int(count), timedelta(seconds=float(seconds)))

    def settings(self):
        with self.lock:
            return {"delay": self.delay.total_seconds(),
                    "rate": [self.rate[0], self.rate[1].total_seconds()]}

    # -- merchant API ------------------------------------------------------------------------

    def post(self, token, body):
        """POST /v1/offers: the batch's answer at once."""
        with self.lock:
            self._throttle(token)
            self._settle()
            items = body.get("items") if isinstance(body, dict) else None
            if not isinstance(items, list):
                _refuse("validation.not_null" if items is None else "validation.type")
            if not items:
                _refuse("validation.count.min")
            if len(items) > MAX_ITEMS:
                _refuse("validation.count.max")
            offers, by_sku = (self._offers, self._by_sku) if token == self.token else ({}, {})
            results, changes, last = [], {}, {}
            for index, item in enumerate(items):
                ident, id_type, errors, change = check_item(item)
                sent_sku = item.get("sku") if isinstance(item, dict) else None
                result = {"id": ident, "idType": id_type, "status": "forbidden",
                          "errors": errors, "sku": sent_sku if isinstance(sent_sku, str) else None}
                results.append(result)
                if errors:
                    continue
                offer = offers.get(ident if id_type == "product_id" else by_sku.get(ident))
                if offer is None:
                    key = "productId" if id_type == "product_id" else "sku"
                    result["errors"] = {key: ["batch_update.item.not_found"]}
                    continue
                result.update(status="enqueued", sku=offer.sku)
                earlier = last.get(offer.product_id)
                if earlier is not None:  # only the last change of a product counts
                    results[earlier].update(status="skipped",
                                            errors={"item": ["batch_update.item.duplicate"]})
                    del changes[earlier]
                last[offer.product_id] = index
                changes[index] = (offer.product_id, *change)
            batch = Batch(str(uuid.uuid4()), token, self.now(), results, changes)
            self._batches[batch.request_id] = batch
            return batch.answer()

    def results(self, token, request_id):
        """GET /v1/offers/update-results/{requestId}."""
        with self.lock:
            self._throttle(token)
            self._settle()
            batch = self._batches.get(request_id)
            if batch is None:  # unknown, or older than 14 days
                raise ApiError(404, "entity.not_found")
            if batch.token != token:
                raise ApiError(403, "Forbidden")
            return batch.answer()

    # -- internals ---------------------------------------------------------------------------

    def _offer(self, product_id):
        try:
            return self._offers[str(product_id)]
        except KeyError:
            raise ApiError(404, "entity.not_found") from None

    def _store(self, offer):
        taken = self._by_sku.get(offer.sku)
        if taken not in (None, offer.product_id):
            raise ValueError(f"sku {offer.sku!r} already belongs to productId {taken}")
        replaced = self._offers.get(offer.product_id)
        if replaced is not None:
            del self._by_sku[replaced.sku]
        self._offers[offer.product_id] = offer
        self._by_sku[offer.sku] = offer.product_id

    def _throttle(self, token):
        now = self.now()
        count, window = self.rate
        calls = self._calls[token]
        while calls and now - calls[0] >= window:
            calls.popleft()
        if len(calls) >= count:
            wait = math.ceil((calls[0] + window - now).total_seconds())
            raise ApiError(429, "Too Many Requests", headers={"Retry-After": str(max(1, wait))})
        calls.append(now)

    def _settle(self):
        """Process the batches due by now, in acceptance order; forget those over 14 days."""
        now = self.now()
        for batch in self._batches.values():
            if not batch.changes:
                continue
            if now - batch.accepted < self.delay:
                break  # a later batch waits for this one: request order
            for index, (product_id, prices, availability) in batch.changes.items():
                batch.items[index].update(apply_change(self._offers[product_id], prices,
                                                       availability))
            batch.changes = {}
        while self._batches:
            oldest = next(iter(self._batches.values()))
            if now - oldest.accepted < KEPT:
                break
            del self._batches[oldest.request_id]


def _new_offer(product_id, sku, price, availability, in_promotion, old_price):
    product_id = str(product_id)
    if not (product_id.isascii() and product_id.isdigit()):
        raise ValueError(f"productId must be a numeric string, not {product_id!r}")
    if not isinstance(sku, str) or not sku:
        raise ValueError("sku must be a non-empty string")
    if not is_amount(price) or price <= 0:
        raise ValueError(f"price must be a positive amount with at most 2 decimals: {price!r}")
    if availability not in AVAILABILITIES:
        raise ValueError(f"availability must be one of {', '.join(AVAILABILITIES)}")
    if old_price is not None and (not is_amount(old_price) or old_price <= price):
        raise ValueError("oldPrice must be an amount above the price")
    return Offer(product_id, sku, float(price), availability, bool(in_promotion),
                 None if old_price is None else float(old_price))


def _refuse(key):
    # The list-level status is undocumented: 422, as an unprocessable list.
    raise ApiError(422, "Invalid request parameters", {"items": [key]})


def control(book, method, endpoint, args, body):
    """The /__sandbox__/ offers endpoints (CONTROL_RULES): (JSON body, status)."""
    if endpoint == "offers" and method == "POST":
        offers = body.get("offers")
        if not isinstance(offers, list) or not all(isinstance(o, dict) for o in offers):
            raise ValueError('expected {"offers": [{productId, sku, price, ...}, ...]}')
        try:
            added = book.add_offers(offers)
        except KeyError as missing:
            raise ValueError(f"an offer lacks {missing}") from None
        return {"added": added, "total": len(book.offers())}, 201
    if endpoint == "offers":
        items = book.offers()
        return {"total": len(items), "items": items}, 200
    if endpoint == "offer":
        return book.offer(args["product_id"]), 200
    if endpoint == "offer_promotion":
        return book.set_promotion(args["product_id"], body.get("on", True)), 200
    if endpoint == "offer_batches":
        items = book.batches()
        return {"total": len(items), "items": items}, 200
    if method == "POST":  # offer_settings
        if "delay" in body:
            book.set_delay(body["delay"])
        if "rate" in body:
            book.set_rate(*body["rate"])
    return book.settings(), 200

"""The sandbox's orders, Epicentr's status machine and what the API shows of an order.

Stored orders are full v6 cards with the real buyer data; the views hide what Epicentr hides
(buyer and recipient while `new`) and drop what a shape lacks (list items have no joined
settlement/office, v5 has no hasPreOrderItems). All methods are thread-safe.
"""
import threading

from .errors import ApiError
from .generator import CANCELED, SHIPPED, OrderFactory, clear_contact, format_time, payment_status
from .order_actions import OrderActions
from .shipping import Shipping
from .vocabulary import (
    CANCEL_REASONS,
    MERCHANT_MOVES,
    PARTIAL_RETURN_CHANCE,
    PLATFORM_DETOURS,
    PLATFORM_STEPS,
    REFUSED_AT_OFFICE,
    SHIPMENT_PROVIDERS,
    STATUS_TITLES,
    _CUSTOMER_GENERIC_REASONS,
)

_CARD_ONLY_FIELDS = ("hasFeedback", "contractor", "hasPreOrderItems")


def _cancel_role(key):
    customer = ".customer_cancel_reason." in key or key in _CUSTOMER_GENERIC_REASONS
    return "customer" if customer else "merchant"


def cancel_reasons(role):
    """The reasons for /v2/oms/order-cancel-reasons/{role} (role: customer or merchant)."""
    return [{"code": key.rsplit(".", 1)[1], "title": title, "translationKey": key}
            for key, title in CANCEL_REASONS.items() if _cancel_role(key) == role]


def merchant_moves(order, has_ttn=None):
    """The statuses a merchant may move `order` to now (what allowed-statuses answers).

    `sent` needs a TTN (except for pickup: there is no carrier), `delivered` ("ready for
    pickup") is the merchant's only for pickup orders, and an order whose card payment is
    still awaited cannot be cancelled.
    """
    shipment = order["address"]["shipment"]
    if has_ttn is None:
        has_ttn = bool(shipment["number"])
    moves = []
    for target in MERCHANT_MOVES.get(order["statusCode"], ()):
        if target == "sent" and not has_ttn and shipment["provider"] != "pickup":
            continue
        if target == "delivered" and shipment["provider"] != "pickup":
            continue
        if target == "canceled" and shipment["paymentStatus"] == "payment_waiting":
            continue
        moves.append(target)
    return moves


# How a hidden buyer looks: null (the swagger), empty strings, or masked like the cabinet shows it.
HIDDEN_STYLES = ("null", "empty", "masked")


def _mask(value):
    """"38063***4000" for a phone, "С*****" for a name, "o***@ukr.net" for an e-mail."""
    if not value:
        return value
    if "@" in value:
        return value[0] + "***@" + value.split("@", 1)[1]
    if value.isdigit():
        return value[:5] + "***" + value[-4:]
    return value[0] + "*****"


def _masked(order, style="null"):
    """A shallow copy sharing the unchanged parts: serialise it under the store's lock."""
    view = dict(order)
    if order["statusCode"] == "new":  # Epicentr reveals the buyer from confirmed_by_merchant on
        view["address"] = dict(order["address"])
        if style == "masked":
            for key in ("firstName", "lastName", "patronymic", "email", "phone"):
                view["address"][key] = _mask(order["address"][key])
        else:
            clear_contact(view["address"])
            if style == "empty":
                view["address"].update({key: "" for key in ("firstName", "lastName", "patronymic", "phone")})
        view["address"]["isAlternateRecipient"] = order["address"]["isAlternateRecipient"]
    return view


def list_view(order, style="null", joins_places=False):
    """An item of GET /v3|v4/oms/orders: no card-only fields and, as live clients saw it, no
    joined settlement/office (``joins_places``: joined, as the swagger describes the list)."""
    view = _masked(order, style)
    for key in _CARD_ONLY_FIELDS:
        del view[key]
    if not joins_places:  # the swagger's Order requires settlement/office (nullable): left empty
        view["settlement"] = view["office"] = None
    return view


def card_view(order, version, style="null"):
    """GET /v5|v6/oms/orders/{id}; v6 adds hasPreOrderItems."""
    view = _masked(order, style)
    if version == 5:
        del view["hasPreOrderItems"]
    return view


def _deep_update(target, changes):
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_update(target[key], value)
        else:
            target[key] = value


class OrderStore(OrderActions, Shipping):
    """Orders by UUID plus comments, waybills, deleted marks and disabled routes; comments, call
    status and item edits: order_actions.py; waybills and the delivery dictionaries: shipping.py."""

    def __init__(self, count, seed, days, now, ttn_autosend=False):
        self.now = now
        self.ttn_autosend = ttn_autosend
        self.hidden_buyer_style = "null"  # one of HIDDEN_STYLES
        self.list_joins_places = False  # True: list entries as the swagger has them, whole
        self.factory = OrderFactory(seed)
        self.company_id = self.factory.company_id
        self.orders = {o["id"]: o for o in self.factory.history(count, days, now())}
        self.deleted = set()
        self.comments = {}
        self.waybills = {}
        self.disabled_routes = set()
        self.lock = threading.RLock()

    # -- test and platform controls ---------------------------------------------------------

    def add_order(self, **overrides):
        """A new generated order created now (status `new` unless `statusCode` is given).

        Other overrides are merged into the generated card (nested dicts key by key). The
        returned dict is the stored order itself.
        """
        with self.lock:
            now = self.now()
            # Not awaiting a card payment unless asked: such an order cannot be cancelled.
            order = self.factory.order(now, overrides.pop("statusCode", "new"), now,
                                       payment_waiting=False, company=False)
            _deep_update(order, overrides)
            self.orders[order["id"]] = order
            return order

    def platform_set_status(self, order_id, code, empty_address=False, **cancel):
        """What Epicentr or the buyer does: any status, no merchant rules.

        `cancel` fills the cancel object when moving to a cancelled status: initiatorCode
        (default customer), reasonCode (order_not_actual), reasonTranslationKey, comment.
        `empty_address=True` blanks the buyer data, as cancelled orders may come back.
        """
        if code not in STATUS_TITLES:
            raise ValueError(f"unknown status {code!r}")
        unknown = set(cancel) - {"initiatorCode", "reasonCode", "reasonTranslationKey", "comment"}
        if unknown:
            raise ValueError(f"unknown cancel fields: {sorted(unknown)}")
        with self.lock:
            order = self._order(order_id)
            shipment = order["address"]["shipment"]
            if code in CANCELED:
                reason = cancel.get("reasonCode", "order_not_actual")
                self._set_cancel(order, cancel.get("initiatorCode", "customer"), reason,
                                 cancel.get("reasonTranslationKey",
                                            f"order.cancel_reason.{reason}"),
                                 cancel.get("comment", ""))
            if code in SHIPPED and not shipment["number"]:
                shipment["number"] = self.factory.ttn(shipment["provider"])
            if empty_address:
                clear_contact(order["address"])
            self._set_status(order, code)
            return order

    def platform_edit_items(self, order_id, quantities=None, remove=(), add=0):
        """What Epicentr's call centre does to an order's items: ``quantities`` {offerId: new
        quantity}, ``remove`` offerIds, ``add`` new items from the catalogue; the item and order
        subtotals are recomputed and the order counts as changed."""
        with self.lock:
            order = self._order(order_id)
            items = [item for item in order["items"] if item["offerId"] not in set(remove)]
            for item in items:
                if item["offerId"] in (quantities or {}):
                    item["quantity"] = quantities[item["offerId"]]
                    item["subtotal"] = round(item["price"] * item["quantity"], 2)
            if add:  # no random draw otherwise: later generated orders stay as they were
                taken = {item["offerId"] for item in items}
                items += [item for item in self.factory.items(5)
                          if item["offerId"] not in taken][:add]
            order["items"] = items
            order["subtotal"] = round(sum(item["subtotal"] for item in items), 2)
            self._bump(order)
            return order

    def advance_random_order(self):
        """One step of live mode: the platform moves a random order along (PLATFORM_STEPS)."""
        with self.lock:
            candidates = sorted(oid for oid, o in self.orders.items()
                                if o["statusCode"] in PLATFORM_STEPS and oid not in self.deleted)
            if not candidates:
                return None
            order_id = self.factory.rng.choice(candidates)
            status = self.orders[order_id]["statusCode"]
            detour, chance = PLATFORM_DETOURS.get(status, (None, 0))
            if detour and self.factory.rng.random() < chance:
                # a refused parcel: the buyer's cancellation, with the office's reason
                refused = {"reasonCode": REFUSED_AT_OFFICE} if detour == "canceled" else {}
                return self.platform_set_status(order_id, detour, **refused)
            if PLATFORM_STEPS[status] == "returned" and self.factory.rng.random() < PARTIAL_RETURN_CHANCE:
                self._keep_part(order_id)
            return self.platform_set_status(order_id, PLATFORM_STEPS[status])

    def _keep_part(self, order_id):
        """A partial return: the buyer keeps all but the last item, or all but one unit of a single one."""
        items = self.orders[order_id]["items"]
        if len(items) > 1:
            self.platform_edit_items(order_id, remove=[items[-1]["offerId"]])
        elif items[0]["quantity"] > 1:
            self.platform_edit_items(order_id, quantities={items[0]["offerId"]: items[0]["quantity"] - 1})

    def touch(self, order_id):
        with self.lock:
            self._bump(self._order(order_id))

    def delete(self, order_id):
        """The card then answers 410; the order leaves the list."""
        with self.lock:
            self._order(order_id)
            self.deleted.add(order_id)

    def disable_route(self, prefix):
        """Paths starting with `prefix` (e.g. "/v6/") answer 404 "No route configured"."""
        with self.lock:
            self.disabled_routes.add(prefix)

    def enable_route(self, prefix):
        with self.lock:
            self.disabled_routes.discard(prefix)

    # -- merchant API ------------------------------------------------------------------------

    def visible_orders(self):
        with self.lock:
            return [o for oid, o in self.orders.items() if oid not in self.deleted]

    def card(self, order_id, version):
        with self.lock:
            order = self._order(order_id)
            if order_id in self.deleted:
                raise ApiError(410, "item was deleted")
            return card_view(order, version, self.hidden_buyer_style)

    def allowed_statuses(self, order_id):
        with self.lock:
            moves = merchant_moves(self._live_order(order_id))
            return {"total": len(moves),
                    "items": [{"code": code, "title": STATUS_TITLES[code]} for code in moves]}

    def change_status(self, order_id, target, body):
        with self.lock:
            order = self._live_order(order_id)
            shipment = order["address"]["shipment"]
            current = order["statusCode"]
            sent_number = None
            if target == "sent" and body:
                sent_number = _validate_sent_body(body)
            if target not in merchant_moves(order, has_ttn=bool(sent_number or shipment["number"])):
                if target == "sent" and current == "confirmed":
                    raise ApiError(422, "A shipment number (TTN) is required to move the order "
                                        "to 'sent': PATCH it first or send {provider, number}.")
                raise ApiError(422, f"Changing the status from '{current}' to '{target}' is not "
                                    f"allowed; allowed: {merchant_moves(order) or 'none'}.")
            if target == "canceled":
                reason_code, key, comment = _validate_cancel_body(body)
                self._set_cancel(order, "merchant", reason_code, key, comment)
            if sent_number:
                shipment["number"] = sent_number
            self._set_status(order, target)

    def set_shipment_number(self, order_id, number):
        if not isinstance(number, str) or not number.strip():
            raise ApiError(400, "Invalid request parameters",
                           {"number": ["This value should be a non-empty string."]})
        with self.lock:
            order = self._ttn_editable_order(order_id)
            order["address"]["shipment"]["number"] = number.strip()
            if self.ttn_autosend:  # as the cabinet does; unknown for the API
                self._set_status(order, "sent")
            else:
                self._bump(order)

    def clear_shipment_number(self, order_id):
        with self.lock:
            order = self._ttn_editable_order(order_id)
            order["address"]["shipment"]["number"] = None
            self._bump(order)

    # -- internals ---------------------------------------------------------------------------

    def _order(self, order_id):
        try:
            return self.orders[order_id]
        except KeyError:
            raise ApiError(404, "entity.not_found") from None

    def _live_order(self, order_id):
        if order_id in self.deleted:
            raise ApiError(404, "entity.not_found")
        return self._order(order_id)

    def _ttn_editable_order(self, order_id):
        order = self._live_order(order_id)
        if order["statusCode"] != "confirmed":
            raise ApiError(422, "The shipment number can be changed only while the order is "
                                f"'confirmed' (it is '{order['statusCode']}').")
        return order

    def _bump(self, order):
        now = format_time(self.now())
        order["updatedAt"] = max(now, order["createdAt"])  # same format: text order is time order

    def _set_status(self, order, code):
        shipment = order["address"]["shipment"]
        shipment["paymentStatus"] = payment_status(shipment["paymentProvider"], code)
        order["statusCode"] = code
        self._bump(order)

    def _set_cancel(self, order, initiator, reason_code, translation_key, comment):
        order["cancel"] = {"previousStatusCode": order["statusCode"], "initiatorCode": initiator,
                           "reasonCode": reason_code, "comment": comment,
                           "reasonTranslationKey": translation_key,
                           "createdAt": format_time(self.now())}


def _validate_cancel_body(body):
    """Cancelling needs {reason_code, translationKey, comment?} with a consistent pair."""
    body = body if isinstance(body, dict) else {}
    reason_code, key, comment = (body.get("reason_code"), body.get("translationKey"),
                                 body.get("comment", ""))
    errors = {}
    if key not in CANCEL_REASONS:
        errors["translationKey"] = ["Required; one of the order cancel reason keys "
                                    "(GET /v2/oms/order-cancel-reasons/{role})."]
    if not isinstance(reason_code, str) or not reason_code:
        errors["reason_code"] = ["This value should not be blank."]
    elif key in CANCEL_REASONS and key.rsplit(".", 1)[1] != reason_code:
        errors["reason_code"] = [f"Does not match translationKey (expected "
                                 f"'{key.rsplit('.', 1)[1]}')."]
    if comment is not None and not isinstance(comment, str):
        errors["comment"] = ["This value should be a string."]
    if errors:
        raise ApiError(400, "Invalid request parameters", errors)
    return reason_code, key, comment or ""


def _validate_sent_body(body):
    """A `sent` body carries the TTN: {provider, number}, both required. Returns the number."""
    errors = {}
    if not isinstance(body, dict) or body.get("provider") not in SHIPMENT_PROVIDERS:
        errors["provider"] = [f"Required; one of {', '.join(SHIPMENT_PROVIDERS)}."]
    number = body.get("number") if isinstance(body, dict) else None
    if not isinstance(number, str) or not number.strip():
        errors["number"] = ["This value should not be blank."]
    if errors:
        raise ApiError(400, "Invalid request parameters", errors)
    return number.strip()

"""An Epicentr order card, read: named accessors instead of raw dicts, no ORM, easy to test.

The list's entries are cards too (the swagger's list Order has the card's fields, but a live list
may join fewer places): ``Card`` wraps either. Each accessor either returns clean Python values
or raises ``OrderDataError`` with a sentence a person can act on; the importer turns them into
Odoo records, the push reads the status, the tracking number and the call result from them.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from .. import const
from .values import OrderDataError, choice, clean_object, clean_text, money, normalize_phone, parse_datetime, text

_CARRIER_CODES = {code for code, _label in const.CARRIERS}
_PAYMENT_METHOD_CODES = {code for code, _label in const.PAYMENT_METHODS}
COD_METHODS = ("pay_on_delivery", "pay_on_pickup")  # paid when the parcel is handed over
CARD_HELD = ("hold_set", "hold_unset")  # the buyer's card holds (held) the money: nothing to collect
_PAYMENT_STATUS_CODES = {code for code, _label in const.PAYMENT_STATUSES}
_CANCEL_INITIATOR_CODES = {code for code, _label in const.CANCEL_INITIATORS}
_CALL_STATUS_CODES = {code for code, _label in const.CALL_STATUSES}
# the shipment's keys of the places a card joins as objects: key -> the joined object's name
PLACES = {"settlementId": "settlement", "officeId": "office"}

# Header fields the import works out itself (the deadline ends when the order leaves "new"),
# which a later state may clear; every other field keeps its known value against a blank.
DERIVED_FIELDS = frozenset({"epicentr_confirm_deadline"})


@dataclass(frozen=True)
class Person:
    """A buyer or recipient Epicentr shows (never a masked one)."""

    name: str
    phone: str | None
    phone_valid: bool
    email: str | None

    @classmethod
    def parse(cls, block):
        """The person of a buyer or recipient block, or None when Epicentr hid it: null, blank,
        or masked ("38063***4000", "С*****"); a masked value never makes a contact."""
        if not isinstance(block, dict):
            return None
        parts = [text(block.get(k)) for k in ("firstName", "patronymic", "lastName", "phone", "email")]
        if any("*" in part for part in parts):
            return None
        first, patronymic, last, raw_phone, email = parts
        name, phone = " ".join(filter(None, (first, patronymic, last))), normalize_phone(raw_phone)
        if not name and not phone:
            return None
        return cls(name or raw_phone, phone or raw_phone or None, bool(phone), email.lower() or None)

    @property
    def key(self):
        """What tells two buyers apart: the phone, else the e-mail, else the name."""
        return self.phone if self.phone_valid else (self.email or self.name)

    def values(self):
        return {"name": self.name, "phone": self.phone, "email": self.email}


# Ukrainian tax numbers: EDRPOU of a company (8 digits), ITN/RNOKPP of an individual (10 digits)
_GOV_NUMBER = re.compile(r"\d{8}|\d{10}")


@dataclass(frozen=True)
class Payer:
    """The company paying by invoice."""

    name: str
    code: str | bool
    code_valid: bool

    @classmethod
    def parse(cls, address, contractor):
        """``payerName`` and ``govNumber`` of the address, else the contractor block; None: no
        payer, or hidden."""
        contractor = clean_object(contractor)
        name = text(address.get("payerName")) or text(contractor.get("name"))
        code = text(address.get("govNumber")) or text(contractor.get("govNumber"))
        if "*" in name + code or not (name or code):
            return None
        compact = re.sub(r"[\s-]", "", code)
        valid = bool(_GOV_NUMBER.fullmatch(compact))
        return cls(name or compact, compact if valid else code or False, valid)

    @property
    def key(self):
        return self.code if self.code_valid else self.name


@dataclass(frozen=True)
class Item:
    """One item of the order (codes: the seller's product codes to match, best first:
    productExternalId, then sku; total: the item's subtotal, what the buyer pays for the line)."""

    offer_id: str | bool
    codes: tuple
    epicentr_product_id: str | bool
    sku: str | bool
    title: str
    quantity: float
    price: float
    total: float

    @classmethod
    def parse(cls, item, position):
        if not isinstance(item, dict):
            raise OrderDataError(f"item {position} is not an object")
        quantity = money(item.get("quantity"), f"the quantity of item {position}")
        if quantity <= 0:
            raise OrderDataError(f"item {position} has a quantity of {quantity}")
        codes = tuple(dict.fromkeys(filter(None, (text(item.get("productExternalId")), text(item.get("sku"))))))
        price = money(item.get("price"), f"the price of item {position}")
        total = item.get("subtotal")
        return cls(
            offer_id=text(item.get("offerId")) or False, codes=codes,
            epicentr_product_id=text(item.get("productId")) or False, sku=text(item.get("sku")) or False,
            title=text(item.get("title")) or " / ".join(codes) or f"Epicentr item {position}",
            quantity=quantity, price=price,
            total=money(total, f"the subtotal of item {position}") if total not in (None, "") else round(price * quantity, 2))

    @classmethod
    def delivery(cls, price):
        """The paid delivery, as an item of one."""
        return cls(False, (), False, False, "", 1.0, price, price)


class Card:
    """One Epicentr order, as its card (or list entry) says. Accessors are read once."""

    def __init__(self, raw):
        self.raw = raw

    def __repr__(self):
        return f"Card({self.reported_uuid}, №{self.reported_number})"

    def _required(self, key):
        value = clean_object(self.raw).get(key)
        if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
            raise OrderDataError(f"the order has no {key}")
        return clean_text(value)

    # ------------------------------------------------------------------ identity and status

    @cached_property
    def uuid(self):
        if not isinstance(self.raw, dict):
            raise OrderDataError("the order is not an object")
        return self._required("id")

    @cached_property
    def number(self):
        return self._required("number")

    @cached_property
    def status(self):
        return self._required("statusCode")

    @property
    def reported_uuid(self):
        """The order's id as far as it can be read ("?" when it cannot), for a failure report."""
        raw = clean_object(self.raw)
        return clean_text(raw["id"]) if "id" in raw else "?"

    @property
    def reported_number(self):
        """The order's number as far as it can be read ("?" when it cannot), for a failure report."""
        raw = clean_object(self.raw)
        return clean_text(raw["number"]) if "number" in raw else "?"

    @cached_property
    def created_at(self):
        return parse_datetime(clean_object(self.raw).get("createdAt"), "createdAt")

    @cached_property
    def updated_at(self):
        raw = clean_object(self.raw)
        return parse_datetime(raw.get("updatedAt") or raw.get("createdAt"), "updatedAt")

    @cached_property
    def fingerprint(self):
        """A hash of everything the entry says: the sync reads an order again only when it changes."""
        return hashlib.sha1(json.dumps(self.raw, sort_keys=True, default=str).encode()).hexdigest()

    @property
    def comments_count(self):
        count = clean_object(self.raw).get("commentsCount")
        return count if isinstance(count, int) and not isinstance(count, bool) else 0

    @property
    def call_status(self):
        """The result of the seller's call, False when the card does not say (a list entry may not)."""
        value = clean_object(self.raw).get("callStatus")
        return value if value in _CALL_STATUS_CODES else False

    # ------------------------------------------------------------------ the shipment

    @property
    def address(self):
        return clean_object(clean_object(self.raw).get("address"))

    @property
    def shipment(self):
        return clean_object(self.address.get("shipment"))

    @property
    def tracking_number(self):
        """The delivery's tracking number (TTN) Epicentr has, "" when none."""
        return text(self.shipment.get("number"))

    @property
    def carrier(self):
        return choice(self.shipment.get("provider"), _CARRIER_CODES)

    @property
    def payment_method(self):
        return choice(self.shipment.get("paymentProvider"), _PAYMENT_METHOD_CODES)

    @property
    def payment_status(self):
        return choice(self.shipment.get("paymentStatus"), _PAYMENT_STATUS_CODES)

    def cash_on_delivery(self, with_delivery):
        """What the buyer pays when the parcel is handed over: nothing when they pay online (or
        their card holds the money); else the items' total, with Epicentr's delivery price when
        the seller pays the carrier (else the buyer pays the carrier its own fee)."""
        if self.payment_method not in COD_METHODS or self.payment_status in CARD_HELD:
            return 0.0
        return round(self.total + ((self.delivery_price or 0.0) if with_delivery else 0.0), 2)

    @property
    def company_id(self):
        """The seller's company on Epicentr (its waybill files are filed under it)."""
        return text(clean_object(self.raw).get("companyId"))

    @cached_property
    def delivery_price(self):
        """None: Epicentr sent no shipment (an empty address), so the known delivery line stays."""
        shipment = self.shipment
        if not shipment:
            return None
        if shipment.get("deliveryPrice") and not shipment.get("isFree"):
            return money(shipment["deliveryPrice"], "the delivery price")
        return 0.0

    @property
    def place_refs(self):
        """{joined object name: dictionary id} of the places the shipment names."""
        return {PLACES[key]: clean_text(ref, 64) for key, ref in self.shipment.items()
                if key in PLACES and isinstance(ref, str) and clean_text(ref, 64)}

    def place_title(self, name):
        """The title of the joined place ``name`` (settlement, office), "" when not joined."""
        return text(clean_object(clean_object(self.raw).get(name)).get("title"))

    def place_id(self, name):
        """The id the joined place ``name`` gives itself, None when it gives none."""
        ref = clean_object(clean_object(self.raw).get(name)).get("id")
        return None if ref is None else clean_text(ref, 64)

    def with_places(self, titles):
        """This card with the places of ``titles`` ({name: (id, title)}) joined, as a card joins them."""
        joined = {name: {"id": ref, "title": title} for name, (ref, title) in titles.items()}
        return Card({**self.raw, **joined}) if joined else self

    def complete(self, joined=True):
        """Whether the entry holds everything the import reads, so that its card need not be
        fetched. The swagger's list Order has the card's fields but hasFeedback/callStatus/contractor
        (unused here), joined settlement/office included; a live client saw list entries without
        the joined objects: an entry whose shipment names a place it does not join is incomplete,
        and its card is read. ``joined=False``: all but the joined places."""
        items = clean_object(self.raw).get("items")
        if not isinstance(items, list) or not items or not isinstance(clean_object(self.raw).get("address"), dict):
            return False
        return not joined or all(self.place_title(name) for name in self.place_refs)

    # ------------------------------------------------------------------ who, what, cancellation

    @cached_property
    def buyer(self):
        return Person.parse(self.address)

    @cached_property
    def recipient(self):
        """The alternate recipient, when there is one and it is not the buyer."""
        recipient = Person.parse(self.address.get("recipient")) if self.address.get("isAlternateRecipient") else None
        buyer = self.buyer
        same = recipient and buyer and (recipient.name, recipient.phone) == (buyer.name, buyer.phone)
        return None if same else recipient

    @cached_property
    def payer(self):
        return Payer.parse(self.address, clean_object(self.raw).get("contractor")) if self.buyer else None

    @cached_property
    def lines(self):
        items = clean_object(self.raw).get("items")
        if not isinstance(items, list) or not items:
            raise OrderDataError("the order has no items")
        return [Item.parse(item, position) for position, item in enumerate(items, 1)]

    @cached_property
    def items_digest(self):
        """A hash of what the card says about the lines: the order is compared again only when it changes."""
        key = [(line.offer_id, line.codes, line.quantity, line.total) for line in self.lines]
        return hashlib.sha1(json.dumps([key, self.delivery_price]).encode()).hexdigest()

    @property
    def cancellation(self):
        return clean_object(clean_object(self.raw).get("cancel"))

    @cached_property
    def total(self):
        """What the buyer pays for the items, VAT included (the card's ``subtotal``; missing: the
        items' own total, so that the order is not flagged against zero)."""
        total = clean_object(self.raw).get("subtotal")
        return money(total, "the subtotal") if total not in (None, "") else round(sum(line.total for line in self.lines), 2)

    # ------------------------------------------------------------------ the order's values

    @cached_property
    def header(self):
        """The sale.order fields Epicentr owns. A blank value never replaces a known one when an
        order is updated, but for DERIVED_FIELDS."""
        cancel = self.cancellation
        return {
            "epicentr_uuid": self.uuid,
            "epicentr_number": self.number,
            "epicentr_status": self.status,
            "epicentr_created_at": self.created_at,
            "epicentr_updated_at": self.updated_at,
            "epicentr_total": self.total,
            "epicentr_carrier": self.carrier,
            "epicentr_settlement": self.place_title("settlement") or False,
            "epicentr_office": self.place_title("office") or False,
            "epicentr_payment_method": self.payment_method,
            "epicentr_payment_status": self.payment_status,
            "epicentr_tracking_number": self.tracking_number or False,
            "epicentr_buyer_comment": text(clean_object(self.raw).get("comment")) or False,
            "epicentr_skip_contact": bool(clean_object(self.raw).get("skipCustomerContact")),
            # the card has it, a list entry may not: unknown is blank, and a blank never replaces it
            "epicentr_call_status": self.call_status,
            "epicentr_cancel_reason": text(cancel.get("reasonTranslationKey") or cancel.get("reasonCode")) or False,
            "epicentr_cancel_initiator": choice(cancel.get("initiatorCode"), _CANCEL_INITIATOR_CODES),
            "epicentr_cancel_comment": text(cancel.get("comment")) or False,
            "epicentr_cancelled_while_new": cancel.get("previousStatusCode") == "new",
            "epicentr_confirm_deadline": (
                self.created_at + timedelta(minutes=const.CONFIRM_DEADLINE_MINUTES) if self.status == "new" else False),
        }

    def require(self, *names):
        """This card, once the accessors ``names`` read; raises OrderDataError on the first that cannot."""
        for name in names:
            getattr(self, name)
        return self


@dataclass(frozen=True)
class Comment:
    """A comment in an order's thread on Epicentr."""

    content: str
    author: str
    created_at: datetime | None  # None: Epicentr gave no readable time

    @classmethod
    def parse(cls, raw, limit):
        """The comment ``raw`` (None when it is not one), its content cut to ``limit`` characters."""
        if not isinstance(raw, dict):
            return None
        author = " ".join(str(raw.get(key) or "").strip() for key in ("firstName", "lastName"))
        try:
            created_at = parse_datetime(raw.get("createdAt"), "createdAt")
        except OrderDataError:
            created_at = None
        return cls(clean_text(raw.get("content") or "", limit).strip(), clean_text(author, 128).strip(), created_at)

"""From an Epicentr order card to plain values: no ORM, easy to test.

Everything here either returns clean Python values or raises ``OrderDataError`` with a
sentence a person can act on; the importer turns those values into Odoo records.
"""

import re
from datetime import datetime, timedelta, timezone

import phonenumbers

from .. import const

_CARRIER_CODES = {code for code, _label in const.CARRIERS}
_PAYMENT_METHOD_CODES = {code for code, _label in const.PAYMENT_METHODS}
_PAYMENT_STATUS_CODES = {code for code, _label in const.PAYMENT_STATUSES}
_CANCEL_INITIATOR_CODES = {code for code, _label in const.CANCEL_INITIATORS}
_CALL_STATUS_CODES = {code for code, _label in const.CALL_STATUSES}


# Header fields the import works out itself (the deadline ends when the order leaves "new"),
# which a later state may clear; every other field keeps its known value against a blank.
DERIVED_FIELDS = frozenset({"epicentr_confirm_deadline"})


class OrderDataError(ValueError):
    """The card lacks something the import needs, or holds a value it cannot read."""


def parse_datetime(value, what="a date"):
    """Epicentr's ISO 8601 UTC text -> naive UTC datetime (how Odoo stores Datetime fields)."""
    if not isinstance(value, str) or not value:
        raise OrderDataError(f"{what} is missing")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise OrderDataError(f"{what} is not a date: {value!r}") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed.replace(microsecond=0)


def normalize_phone(raw, region="UA"):
    """'067-123-45-67', '+380 67 123 45 67', '380671234567' -> '+380671234567'; None if not a phone."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    text = raw.strip()
    if text.startswith("380"):  # Epicentr writes international numbers without the '+'
        text = "+" + text
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# C0 controls but tab and line breaks, and DEL: PostgreSQL refuses NUL in text and jsonb, the
# others are noise a person cannot see. Dropped from every text taken from a card.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value, limit=None):
    """``value`` as text without control characters (so that PostgreSQL accepts it), cut to
    ``limit`` characters when given (a field or a message Epicentr could fill without end)."""
    text = _CONTROL_CHARS.sub("", str(value))
    return text[:limit] if limit else text


def _text(value):
    value = clean_text(value) if isinstance(value, str) else value
    return value.strip() if isinstance(value, str) and value.strip() else ""


def _person(block):
    """{name, phone, email} of a buyer or recipient block, or None when Epicentr hid it: null,
    blank, or masked ("38063***4000", "С*****"); a masked value never makes a contact."""
    if not isinstance(block, dict):
        return None
    parts = [_text(block.get(k)) for k in ("firstName", "patronymic", "lastName", "phone", "email")]
    if any("*" in part for part in parts):
        return None
    name = " ".join(filter(None, parts[:3]))
    raw_phone = parts[3]
    phone = normalize_phone(raw_phone)
    if not name and not phone:
        return None
    return {
        "name": name or raw_phone,
        "phone": phone or raw_phone or None,
        "phone_valid": bool(phone),
        "email": _text(block.get("email")).lower() or None,
    }


def _who(person):
    return (person["name"], person["phone"]) if person else None


def _money(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise OrderDataError(f"{what} is not a number: {value!r}")
    try:
        return round(float(value), 2)
    except ValueError:
        raise OrderDataError(f"{what} is not a number: {value!r}") from None


def map_lines(card):
    """The order's items as [{offer_id, codes, epicentr_product_id, sku, title, quantity, price, total}] (codes: the
    seller's product codes to match, best first: productExternalId, then sku; total: the item's
    subtotal, what the buyer pays for the line)."""
    items = card.get("items")
    if not isinstance(items, list) or not items:
        raise OrderDataError("the order has no items")
    lines = []
    for position, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise OrderDataError(f"item {position} is not an object")
        quantity = _money(item.get("quantity"), f"the quantity of item {position}")
        if quantity <= 0:
            raise OrderDataError(f"item {position} has a quantity of {quantity}")
        codes = tuple(dict.fromkeys(filter(None, (
            _text(item.get("productExternalId")), _text(item.get("sku"))))))
        price = _money(item.get("price"), f"the price of item {position}")
        total = item.get("subtotal")
        lines.append({
            "offer_id": _text(item.get("offerId")) or False,
            "codes": codes,
            "epicentr_product_id": _text(item.get("productId")) or False,
            "sku": _text(item.get("sku")) or False,
            "title": _text(item.get("title")) or " / ".join(codes) or f"Epicentr item {position}",
            "quantity": quantity,
            "price": price,
            "total": (_money(total, f"the subtotal of item {position}") if total not in (None, "")
                      else round(price * quantity, 2)),
        })
    return lines


# Ukrainian tax numbers: EDRPOU of a company (8 digits), ITN/RNOKPP of an individual (10 digits)
_GOV_NUMBER = re.compile(r"\d{8}|\d{10}")


def _payer(address, contractor):
    """{name, code, code_valid} of the company paying by invoice (``payerName`` and
    ``govNumber`` of the address, else the contractor block), or None: no payer, or hidden."""
    contractor = contractor if isinstance(contractor, dict) else {}
    name = _text(address.get("payerName")) or _text(contractor.get("name"))
    code = _text(address.get("govNumber")) or _text(contractor.get("govNumber"))
    if "*" in name + code or not (name or code):
        return None
    compact = re.sub(r"[\s-]", "", code)
    valid = bool(_GOV_NUMBER.fullmatch(compact))
    return {"name": name or compact, "code": compact if valid else code or False, "code_valid": valid}


def _choice(value, allowed):
    return (value if value in allowed else "other") if value else False


def complete_in_list(item, joined=True):
    """Whether a list entry holds everything map_order() reads, so that its card need not be
    fetched. The swagger's list Order has the card's fields but hasFeedback/callStatus/contractor
    (unused here), joined settlement/office included; a live client saw list entries without the
    joined objects: an entry whose shipment names a place it does not join is
    incomplete, and its card is read. ``joined=False``: all but the joined places."""
    if not isinstance(item, dict) or not isinstance(item.get("items"), list) or not item["items"]:
        return False
    address = item.get("address")
    if not isinstance(address, dict):
        return False
    shipment = address.get("shipment") if isinstance(address.get("shipment"), dict) else {}
    return not joined or all(isinstance(item.get(name), dict) and item[name].get("title")
                             for name, key in (("settlement", "settlementId"), ("office", "officeId"))
                             if shipment.get(key))


def map_order(card):
    """The values of one card: {uuid, number, status, header, buyer, recipient, payer, lines,
    delivery_price}.

    ``header`` holds the sale.order fields Epicentr owns; ``buyer``/``recipient``/``payer`` are
    None while Epicentr hides them (or sends them blank, as after a cancellation). A blank value in
    ``header`` never replaces a known one when an order is updated, but for DERIVED_FIELDS.
    """
    if not isinstance(card, dict):
        raise OrderDataError("the order is not an object")
    uuid, number, status = card.get("id"), card.get("number"), card.get("statusCode")
    for field, value in (("id", uuid), ("number", number), ("statusCode", status)):
        if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
            raise OrderDataError(f"the order has no {field}")
    uuid, number, status = clean_text(uuid), clean_text(number), clean_text(status)
    created_at = parse_datetime(card.get("createdAt"), "createdAt")
    updated_at = parse_datetime(card.get("updatedAt") or card.get("createdAt"), "updatedAt")
    address = card.get("address") if isinstance(card.get("address"), dict) else {}
    shipment = address.get("shipment") if isinstance(address.get("shipment"), dict) else {}
    buyer = _person(address)
    recipient = _person(address.get("recipient")) if address.get("isAlternateRecipient") else None
    settlement = card.get("settlement") if isinstance(card.get("settlement"), dict) else {}
    office = card.get("office") if isinstance(card.get("office"), dict) else {}
    cancel = card.get("cancel") if isinstance(card.get("cancel"), dict) else {}
    # None: Epicentr sent no shipment (an empty address), so the known delivery line stays
    lines = map_lines(card)
    delivery_price = None if not shipment else 0.0
    if shipment.get("deliveryPrice") and not shipment.get("isFree"):
        delivery_price = _money(shipment["deliveryPrice"], "the delivery price")
    header = {
        "epicentr_uuid": uuid,
        "epicentr_number": number,
        "epicentr_status": status,
        "epicentr_created_at": created_at,
        "epicentr_updated_at": updated_at,
        # missing: the items' own total, so that the order is not flagged against zero
        "epicentr_subtotal": (_money(card["subtotal"], "the subtotal") if card.get("subtotal") not in (None, "")
                              else round(sum(line["total"] for line in lines), 2)),
        "epicentr_carrier": _choice(shipment.get("provider"), _CARRIER_CODES),
        "epicentr_settlement": _text(settlement.get("title")) or False,
        "epicentr_office": _text(office.get("title")) or False,
        "epicentr_payment_method": _choice(shipment.get("paymentProvider"), _PAYMENT_METHOD_CODES),
        "epicentr_payment_status": _choice(shipment.get("paymentStatus"), _PAYMENT_STATUS_CODES),
        "epicentr_ttn": _text(shipment.get("number")) or False,
        "epicentr_buyer_comment": _text(card.get("comment")) or False,
        "epicentr_skip_contact": bool(card.get("skipCustomerContact")),
        # the card has it, a list entry may not: unknown is blank, and a blank never replaces it
        "epicentr_call_status": card.get("callStatus") if card.get("callStatus") in _CALL_STATUS_CODES else False,
        "epicentr_cancel_reason": _text(cancel.get("reasonTranslationKey") or cancel.get("reasonCode"))
        or False,
        "epicentr_cancel_initiator": _choice(cancel.get("initiatorCode"), _CANCEL_INITIATOR_CODES),
        "epicentr_cancel_comment": _text(cancel.get("comment")) or False,
        "epicentr_cancelled_while_new": cancel.get("previousStatusCode") == const.HIDDEN_BUYER_STATUS,
        "epicentr_confirm_deadline": (
            created_at + timedelta(minutes=const.CONFIRM_DEADLINE_MINUTES)
            if status == const.HIDDEN_BUYER_STATUS else False
        ),
    }
    return {
        "uuid": uuid,
        "number": number,
        "status": status,
        "header": header,
        "buyer": buyer,
        "recipient": recipient if recipient and _who(recipient) != _who(buyer) else None,
        "payer": _payer(address, card.get("contractor")) if buyer else None,
        "lines": lines,
        "delivery_price": delivery_price,
    }

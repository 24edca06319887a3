"""Waybills (TTN) made through Epicentr, with the rules of Epicentr's cabinet, the delivery
dictionaries they name, and the waybill file. OrderStore inherits these methods.

  GET /v3/deliveries/providers/{provider}/participants/{sender|receiver}/settlements
      filter[title], limit, offset -> {items, total, limit, offset}
  GET /v3/deliveries/providers/{provider}/participants/{participant}/settlements/{id}/offices
      the same
  POST /v3/oms/orders/{id}/shipping/{provider}   OrderCreateShipmentModelV3 -> 201, no body
  GET /v3/deliveries/{provider}/companies/{companyId}/invoice/{number}   -> {file: base64 PDF}

Epicentr documents 201/401/404 for the waybill; the sandbox answers as its other order routes
do (order_actions.py), checked in this order:
  400 Invalid request parameters + errors: the body does not fit the spec's schema (sender's
      name, lastName, settlementId, officeId, phone and provider; items with width, height,
      length and weight; deliveryPayer merchant|client; isPostPayment a boolean);
  404 entity.not_found: an unknown or deleted order;
  403 with a translation key: order.shipping.already_created (one waybill an order: its number
      is on the card), order.shipping.not_allowed_in_status (only while `confirmed`, as the
      cabinet), order.shipping.provider_differs (the buyer chose another carrier);
  422 Validation error + errors: the sender's branch is not one of the dictionary's for that
      settlement and carrier, a parcel outside the carrier's bounds (0.1-30 kg, sides up to
      120 cm), cash on delivery above what the buyer pays (items and paid delivery) or without
      isPostPayment (or missing with it).
Then, as the cabinet does: the number (in the carrier's format) is on the card, the order is
`sent`, and the waybill file is kept for the carriers whose labels Epicentr gives (not Nova
Poshta's, which come from Nova Poshta).
"""
import base64
import math
from functools import lru_cache

from .catalogue import CITIES
from .errors import ApiError
from .generator import _BRANCHES, place
from .order_actions import INVALID, REFUSED, body_value

WAYBILL_PROVIDERS = ("nova_poshta", "ukrposhta", "meest", "cvz_epicentr", "parcel_box_epicentr")
FILE_PROVIDERS = ("ukrposhta", "meest", "cvz_epicentr", "parcel_box_epicentr")
PARTICIPANTS = ("sender", "receiver")
DELIVERY_PAYERS = ("merchant", "client")
SENDER_FIELDS = ("name", "lastName", "settlementId", "officeId", "phone", "provider")
PARCEL_FIELDS = ("width", "height", "length", "weight")
WEIGHT_BOUNDS, MAX_SIDE = (0.1, 30.0), 120.0  # kg a parcel, cm a side
SHIPPING_STATUS = "confirmed"


@lru_cache(maxsize=None)
def dictionary(provider):
    """({settlement id: settlement}, {settlement id: [office, ...]}) of ``provider``: every branch
    (and, for Nova Poshta, every locker) of every city, as the cards name them."""
    settlements, offices = {}, {}
    for row in CITIES:
        for locker in (False, True) if provider == "nova_poshta" else (False,):
            for number in range(1, _BRANCHES.get((provider, locker), 0) + 1):
                settlement, office = place(provider, row, locker, number)
                settlements[settlement["id"]] = settlement
                offices.setdefault(settlement["id"], []).append(office)
    return settlements, offices


def dictionary_page(items, title, limit, offset):
    """A page of ``items`` whose title holds ``title`` (any case): {items, total, limit, offset}."""
    if title:
        items = [item for item in items if title.casefold() in item["title"].casefold()]
    return {"items": items[offset:offset + limit], "total": len(items), "limit": limit, "offset": offset}


def checked_shipment(body):
    """The body's (sender, parcels, delivery payer, post payment, cod amount), or 400."""
    errors = {}
    sender = body_value(body, "sender")
    if not isinstance(sender, dict):
        errors["sender"] = ["Required; an object."]
    else:
        errors.update({f"sender.{name}": ["This value should not be blank."] for name in SENDER_FIELDS
                       if not isinstance(sender.get(name), str) or not sender[name].strip()})
    parcels = body_value(body, "items")
    if not isinstance(parcels, list) or not parcels or not all(
            isinstance(parcel, dict) and all(_number(parcel.get(name)) for name in PARCEL_FIELDS) for parcel in parcels):
        errors["items"] = [f"Required; a list of parcels, each with {', '.join(PARCEL_FIELDS)} (numbers)."]
    if body_value(body, "deliveryPayer") not in DELIVERY_PAYERS:
        errors["deliveryPayer"] = [f"Required; one of {', '.join(DELIVERY_PAYERS)}."]
    if not isinstance(body_value(body, "isPostPayment"), bool):
        errors["isPostPayment"] = ["Required; a boolean."]
    cod = body_value(body, "codAmount")
    if cod is not None and not _number(cod):
        errors["codAmount"] = ["This value should be a number."]
    if errors:
        raise ApiError(400, INVALID, errors)
    return sender, parcels, body["deliveryPayer"], body["isPostPayment"], cod


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def waybill_pdf(lines):
    """A real one-page PDF (A4, Helvetica) of ASCII ``lines``: the label the sandbox gives."""
    escaped = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines]
    text = "BT /F1 16 Tf 56 780 Td 22 TL " + " ".join(f"({line}) '" for line in escaped) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        "/Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
    ]
    pdf, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += f"{number} 0 obj\n{body}\nendobj\n".encode("ascii")
    xref = len(pdf)
    pdf += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    pdf += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode("ascii")
    pdf += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode("ascii")
    return pdf


class Shipping:
    """Waybills of OrderStore (uses its lock, factory, company_id, _live_order and _set_status)."""

    waybills = None  # number -> {order_id, provider, file}: set by the store

    # -- dictionaries -----------------------------------------------------------------------

    def settlements(self, provider, participant, title=None, limit=25, offset=0):
        self._check_dictionary(provider, participant)
        settlements, _offices = dictionary(provider)
        return dictionary_page(list(settlements.values()), title, limit, offset)

    def offices(self, provider, participant, settlement_id, title=None, limit=25, offset=0):
        self._check_dictionary(provider, participant)
        settlements, offices = dictionary(provider)
        if settlement_id not in settlements:
            raise ApiError(404, "entity.not_found")
        return dictionary_page(offices[settlement_id], title, limit, offset)

    @staticmethod
    def _check_dictionary(provider, participant):
        if provider not in WAYBILL_PROVIDERS or participant not in PARTICIPANTS:
            raise ApiError(404, "entity.not_found")

    # -- the waybill ------------------------------------------------------------------------

    def create_shipment(self, order_id, provider, body):
        """POST .../shipping/{provider}: the waybill, its number on the card, the order `sent`."""
        sender, parcels, _payer, post_payment, cod = checked_shipment(body)
        with self.lock:
            order = self._live_order(order_id)
            shipment = order["address"]["shipment"]
            if shipment["number"]:
                raise ApiError(403, "order.shipping.already_created")
            if order["statusCode"] != SHIPPING_STATUS:
                raise ApiError(403, "order.shipping.not_allowed_in_status")
            if provider not in WAYBILL_PROVIDERS or provider != shipment["provider"]:
                raise ApiError(403, "order.shipping.provider_differs")
            self._check_waybill_values(order, provider, sender, parcels, post_payment, cod)
            number = self.factory.ttn(provider)
            shipment["number"] = number
            self.waybills[number] = {"order_id": order_id, "provider": provider, "file": waybill_pdf([
                "Epicentr K - waybill", f"Carrier: {provider}", f"TTN: {number}", f"Order: {order['number']}",
                f"Weight: {sum(p['weight'] for p in parcels):.2f} kg", f"Cash on delivery: {cod or 0:.2f} UAH"])}
            self._set_status(order, "sent")

    @staticmethod
    def _check_waybill_values(order, provider, sender, parcels, post_payment, cod):
        errors = {}
        _settlements, offices = dictionary(provider)
        if sender["officeId"] not in {office["id"] for office in offices.get(sender["settlementId"], ())}:
            errors["sender.officeId"] = ["Not a branch of this carrier in the sender's settlement."]
        low, high = WEIGHT_BOUNDS
        if any(not low <= parcel["weight"] <= high for parcel in parcels):
            errors["items.weight"] = [f"A parcel weighs {low} to {high} kg."]
        if any(not 0 < parcel[side] <= MAX_SIDE for parcel in parcels for side in ("width", "height", "length")):
            errors["items"] = [f"A parcel's sides are above 0 and at most {MAX_SIDE:g} cm."]
        shipment = order["address"]["shipment"]
        owed = order["subtotal"] + (0 if shipment["isFree"] else shipment["deliveryPrice"] or 0)
        if post_payment and not (cod and cod > 0):
            errors["codAmount"] = ["Required with isPostPayment."]
        elif not post_payment and cod:
            errors["codAmount"] = ["Only with isPostPayment."]
        elif cod and cod > owed + 0.005:
            errors["codAmount"] = [f"At most what the buyer pays ({owed:.2f})."]
        if errors:
            raise ApiError(422, REFUSED, errors)

    def waybill_file(self, provider, company_id, number):
        """GET .../invoice/{number}: {file: base64 PDF}, for the carriers whose label Epicentr gives."""
        with self.lock:
            waybill = self.waybills.get(number)
            if (provider not in FILE_PROVIDERS or str(company_id) != str(self.company_id) or not waybill
                    or waybill["provider"] != provider or waybill["order_id"] in self.deleted):
                raise ApiError(404, "entity.not_found")
            return {"file": base64.b64encode(waybill["file"]).decode("ascii")}

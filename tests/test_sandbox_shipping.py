"""The Epicentr sandbox's waybills over real HTTP with plain `requests`: the delivery dictionaries,
the waybill made through Epicentr with the cabinet's rules (only `confirmed`, one an order, the
sender's branch from the dictionary, parcel bounds, cash on delivery up to what the buyer pays),
the number then on the card and the order `sent`, and the waybill file, a real PDF.
"""
import base64
import io
from datetime import datetime, timezone

import pytest
from PyPDF2 import PdfReader

from epicentr_sandbox import Sandbox
from epicentr_sandbox.catalogue import CITIES
from epicentr_sandbox.generator import payment_status, place
from epicentr_sandbox.shipping import WEIGHT_BOUNDS
from sandbox_helpers import Clock, call, get
from test_sandbox_order_actions import expect_error

START = datetime(2026, 10, 10, 9, 30, tzinfo=timezone.utc)
MISSING = "9f0c5a52-0000-4000-8000-000000000000"


@pytest.fixture
def sb():
    with Sandbox(orders=3, seed=5, now=Clock(START)) as sandbox:
        yield sandbox


def dictionary_path(provider, participant="sender", settlement_id=None):
    path = f"/v3/deliveries/providers/{provider}/participants/{participant}/settlements"
    return f"{path}/{settlement_id}/offices" if settlement_id else path


def sender_of(sb, provider, city="Київ"):
    """A sender in ``city`` at its first branch, read from the sandbox's own dictionaries."""
    [settlement] = get(sb, dictionary_path(provider), {"filter[title]": city, "limit": 1})["items"]
    office = get(sb, dictionary_path(provider, settlement_id=settlement["id"]), {"limit": 1})["items"][0]
    return {"name": "Іван", "lastName": "Петренко", "settlementId": settlement["id"], "officeId": office["id"],
            "phone": "380661112233", "provider": provider}


def confirmed_order(sb, provider="meest", payment="pay_on_delivery"):
    """A confirmed order the buyer has shipped by ``provider`` to one of its branches in Odesa."""
    settlement, office = place(provider, CITIES[2], False, 7)
    shipment = {"provider": provider, "paymentProvider": payment, "settlementId": settlement["id"],
                "officeId": office["id"], "paymentStatus": payment_status(payment, "confirmed"), "number": None}
    return sb.store.add_order(statusCode="confirmed", address={"shipment": shipment}, settlement=settlement,
                              office=office)


def owed(order):
    shipment = order["address"]["shipment"]
    return round(order["subtotal"] + (0 if shipment["isFree"] else shipment["deliveryPrice"] or 0), 2)


def shipment_body(sb, order, **overrides):
    provider = order["address"]["shipment"]["provider"]
    return {"sender": sender_of(sb, provider), "deliveryPayer": "client", "isPostPayment": True,
            "codAmount": owed(order), "description": "Інструменти",
            "items": [{"width": 30, "height": 20, "length": 40, "weight": 2.5}], **overrides}


def ship(sb, order, body, provider=None):
    provider = provider or order["address"]["shipment"]["provider"]
    return call(sb, "POST", f"/v3/oms/orders/{order['id']}/shipping/{provider}", json=body)


def test_dictionaries_page_and_filter_by_title(sb):
    settlements = get(sb, dictionary_path("nova_poshta"), {"limit": 5})
    assert settlements["total"] > 5 and len(settlements["items"]) == 5
    kyiv = get(sb, dictionary_path("nova_poshta", "receiver"), {"filter[title]": "київ"})["items"]
    assert kyiv and all("київ" in s["title"].casefold() for s in kyiv)
    offices = get(sb, dictionary_path("nova_poshta", settlement_id=kyiv[0]["id"]), {"filter[title]": "Поштомат"})
    assert offices["total"] == 400 and all(o["title"].startswith("Поштомат") for o in offices["items"])
    page = get(sb, dictionary_path("nova_poshta", settlement_id=kyiv[0]["id"]), {"limit": 10, "offset": 10})
    assert (page["limit"], page["offset"], len(page["items"])) == (10, 10, 10)
    # the offices a card names are the dictionary's: one id, one title
    order = confirmed_order(sb, "nova_poshta")
    settlement_id = order["settlement"]["id"]
    listed = get(sb, dictionary_path("nova_poshta", settlement_id=settlement_id), {"limit": 100,
                 "filter[title]": order["office"]["title"]})["items"]
    assert [o["id"] for o in listed] == [order["office"]["id"]]
    expect_error(call(sb, "GET", dictionary_path("nova_poshta", settlement_id=MISSING)), 404)
    expect_error(call(sb, "GET", dictionary_path("pickup")), 404)
    expect_error(call(sb, "GET", dictionary_path("meest"), params={"filter[city]": "Київ"}), 400)


def test_waybill_puts_the_number_on_the_card_and_sends_the_order(sb):
    order = confirmed_order(sb, "ukrposhta")
    response = ship(sb, order, shipment_body(sb, order))
    assert response.status_code == 201 and response.content == b""
    card = get(sb, f"/v6/oms/orders/{order['id']}")
    number = card["address"]["shipment"]["number"]
    assert card["statusCode"] == "sent" and number.startswith("05") and len(number) == 13
    # one waybill an order: a retry after a lost answer is refused, the card says why
    expect_error(ship(sb, order, shipment_body(sb, order)), 403, "order.shipping.already_created")
    assert get(sb, f"/v6/oms/orders/{order['id']}")["address"]["shipment"]["number"] == number

    answer = get(sb, f"/v3/deliveries/ukrposhta/companies/{sb.store.company_id}/invoice/{number}")
    pdf = base64.b64decode(answer["file"])
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert pdf.startswith(b"%PDF-") and number in text and order["number"] in text
    for path in (f"/v3/deliveries/meest/companies/{sb.store.company_id}/invoice/{number}",
                 f"/v3/deliveries/ukrposhta/companies/1/invoice/{number}",
                 f"/v3/deliveries/ukrposhta/companies/{sb.store.company_id}/invoice/0500000000000"):
        expect_error(call(sb, "GET", path), 404)


def test_nova_poshta_waybill_has_no_file_from_epicentr(sb):
    order = confirmed_order(sb, "nova_poshta", payment="easypay")
    assert ship(sb, order, shipment_body(sb, order, isPostPayment=False, codAmount=0)).status_code == 201
    number = sb.store.orders[order["id"]]["address"]["shipment"]["number"]
    expect_error(call(sb, "GET", f"/v3/deliveries/nova_poshta/companies/{sb.store.company_id}/invoice/{number}"), 404)


@pytest.mark.parametrize("status", ["new", "confirmed_by_merchant", "sent", "canceled"])
def test_waybill_only_while_confirmed(sb, status):
    order = confirmed_order(sb)
    sb.store.orders[order["id"]]["statusCode"] = status
    expect_error(ship(sb, order, shipment_body(sb, order)), 403, "order.shipping.not_allowed_in_status")
    assert sb.store.orders[order["id"]]["address"]["shipment"]["number"] is None


def test_waybill_for_another_carrier_or_a_missing_order_is_refused(sb):
    order = confirmed_order(sb, "meest")
    expect_error(ship(sb, order, shipment_body(sb, order), provider="ukrposhta"), 403, "order.shipping.provider_differs")
    expect_error(ship(sb, {**order, "id": MISSING}, shipment_body(sb, order)), 404)


@pytest.mark.parametrize("change, field", [
    (lambda body: body.pop("sender"), "sender"),
    (lambda body: body["sender"].pop("officeId"), "sender.officeId"),
    (lambda body: body["sender"].update(phone=" "), "sender.phone"),
    (lambda body: body.update(items=[]), "items"),
    (lambda body: body["items"][0].pop("weight"), "items"),
    (lambda body: body.update(deliveryPayer="buyer"), "deliveryPayer"),
    (lambda body: body.update(isPostPayment="yes"), "isPostPayment"),
    (lambda body: body.update(codAmount="100"), "codAmount"),
])
def test_body_outside_the_schema_is_a_400(sb, change, field):
    order = confirmed_order(sb)
    body = shipment_body(sb, order)
    change(body)
    assert field in expect_error(ship(sb, order, body), 400)["errors"]


@pytest.mark.parametrize("change, field", [
    (lambda sb, order, body: body["sender"].update(officeId=MISSING), "sender.officeId"),
    (lambda sb, order, body: body["sender"].update(officeId=sender_of(sb, "meest", "Львів")["officeId"]),
     "sender.officeId"),
    (lambda sb, order, body: body["items"][0].update(weight=WEIGHT_BOUNDS[1] + 0.5), "items.weight"),
    (lambda sb, order, body: body["items"][0].update(weight=0.05), "items.weight"),
    (lambda sb, order, body: body["items"][0].update(length=121), "items"),
    (lambda sb, order, body: body.update(codAmount=owed(order) + 0.01), "codAmount"),
    (lambda sb, order, body: body.update(codAmount=0), "codAmount"),
    (lambda sb, order, body: body.update(isPostPayment=False), "codAmount"),
])
def test_values_the_cabinet_refuses_are_a_422_and_make_no_waybill(sb, change, field):
    order = confirmed_order(sb)
    body = shipment_body(sb, order)
    change(sb, order, body)
    assert field in expect_error(ship(sb, order, body), 422)["errors"]
    assert sb.store.orders[order["id"]]["statusCode"] == "confirmed"
    assert sb.store.orders[order["id"]]["address"]["shipment"]["number"] is None

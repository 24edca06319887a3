"""The Epicentr sandbox's order actions over real HTTP with plain `requests`: comments, the
call status and item edits (quantity, delete) with the cabinet's rules, their answers, the
platform's comment control, faults, the request log and the swagger contract.
"""
import copy
from datetime import datetime, timedelta, timezone

import pytest
import requests
import yaml

import test_contract as contract
from epicentr_sandbox import Sandbox
from epicentr_sandbox.generator import format_time, payment_status
from epicentr_sandbox.order_actions import CALL_STATUSES, ITEMS_STATUS
from epicentr_sandbox.vocabulary import USER
from sandbox_helpers import call, get

START = datetime(2026, 10, 10, 9, 30, tzinfo=timezone.utc)
MISSING = "9f0c5a52-0000-4000-8000-000000000000"
SUCCESS = {"callStatus": "success"}


class Clock:
    """The sandbox's clock, moved by the test: advance() answers the new time as the API
    writes it."""
    def __init__(self):
        self.now = START

    def __call__(self):
        return self.now

    def advance(self, minutes):
        self.now += timedelta(minutes=minutes)
        return format_time(self.now)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def sb(clock):
    """A small sandbox on a clock the test moves."""
    with Sandbox(orders=5, seed=3, now=clock) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def spec():
    """The swagger as test_contract.py reads and corrects it."""
    raw = yaml.safe_load(contract.SPEC_PATH.read_text(encoding="utf-8"))
    return contract.OpenAPI.from_dict(contract.correct_spec(raw))


def expect_error(response, status, message=None):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == status and body["message"]
    assert message is None or body["message"] == message
    return body


def order_in(sb, status=ITEMS_STATUS, payment="pay_on_delivery", items=3):
    """A new order in `status` with `items` catalogue items, paid by `payment`."""
    lines = sb.store.factory.items(items)
    shipment = {"provider": "nova_poshta", "paymentProvider": payment,
                "paymentStatus": payment_status(payment, status)}
    return sb.store.add_order(statusCode=status, items=lines, address={"shipment": shipment},
                              callStatus=None,
                              subtotal=round(sum(line["subtotal"] for line in lines), 2))


def seen(sb, order):
    """The order as the list and the card show it."""
    [listed] = get(sb, "/v4/oms/orders", {"filter[number]": order["number"]})["items"]
    return listed, get(sb, f"/v6/oms/orders/{order['id']}")


def comments_path(order_id):
    return f"/v2/oms/orders/{order_id}/comments"


def call_status(sb, order_id, body):
    return call(sb, "POST", f"/v2/oms/orders/{order_id}/call-status", json=body)


def put_quantity(sb, order_id, offer_id, body):
    return call(sb, "PUT", f"/v3/oms/orders/{order_id}/items/{offer_id}", json=body)


def delete_item(sb, order_id, offer_id):
    return call(sb, "DELETE", f"/v2/oms/orders/{order_id}/items/{offer_id}")


# ---------------------------------------------------------------- comments


def test_comment_is_listed_counted_and_bumps_updated_at(sb, clock):
    order = order_in(sb)
    path = comments_path(order["id"])
    assert get(sb, path) == {"total": 0, "items": []}
    stamp = clock.advance(minutes=5)
    response = call(sb, "POST", path, json={"content": "Передзвоню о 15:00"})
    assert response.status_code == 204 and response.content == b""
    assert get(sb, path) == {"total": 1, "items": [{
        "content": "Передзвоню о 15:00", "firstName": USER["firstName"],
        "lastName": USER["lastName"], "avatar": "", "userId": str(USER["id"]),
        "createdAt": stamp}]}
    for view in seen(sb, order):
        assert (view["commentsCount"], view["updatedAt"]) == (1, stamp)
    call(sb, "POST", path, json={"content": "Друга"})
    assert get(sb, path, {"offset": 1, "limit": 1})["items"][0]["content"] == "Друга"
    assert get(sb, path)["total"] == 2 == order["commentsCount"]


@pytest.mark.parametrize("body, status", [
    ({"text": "wrong field"}, 400), ({"content": 42}, 400), ({"content": None}, 400),
    (None, 400), ({"content": ""}, 422), ({"content": "  \n"}, 422)])
def test_comment_needs_a_non_blank_content(sb, clock, body, status):
    order = order_in(sb)
    before = copy.deepcopy(order)
    clock.advance(minutes=1)
    errors = expect_error(call(sb, "POST", comments_path(order["id"]), json=body), status)
    assert list(errors["errors"]) == ["content"]
    assert order == before and get(sb, comments_path(order["id"]))["total"] == 0


def test_platform_comment_by_the_call_centre_or_the_buyer(sb, clock):
    order = order_in(sb)
    stamp = clock.advance(minutes=2)
    added = sb.store.platform_add_comment(order["id"], "Покупець просить доставку в суботу",
                                          "Олена", "Кравчук")
    assert added["firstName"] == "Олена" and added["createdAt"] == stamp
    assert sb.requests == [], "a control is not a request to Epicentr"
    control = f"{sb.url}/__sandbox__/orders/{order['id']}/comments"
    response = requests.post(control, json={"content": "Оплату отримано"}, timeout=5)
    assert response.status_code == 201
    assert [response.json()[key] for key in ("firstName", "lastName")] == ["Оператор",
                                                                           "Епіцентр К"]
    items = get(sb, comments_path(order["id"]))["items"]
    assert [c["content"] for c in items] == ["Покупець просить доставку в суботу",
                                             "Оплату отримано"]
    assert items[0]["userId"] != items[1]["userId"] and items[0]["userId"].isdigit()
    assert order["commentsCount"] == 2 and order["updatedAt"] == stamp
    assert sb.store.platform_add_comment(order["id"], "ще", "Олена", "Кравчук")["userId"] == \
        items[0]["userId"], "the same person, the same userId"
    assert requests.post(control, json={"content": " "}, timeout=5).status_code == 400
    assert requests.post(control, json={"content": "x", "mood": 1}, timeout=5).status_code == 400
    missing = f"{sb.url}/__sandbox__/orders/{MISSING}/comments"
    assert requests.post(missing, json={"content": "x"}, timeout=5).status_code == 404
    with pytest.raises(ValueError):
        sb.store.platform_add_comment(order["id"], "")
    assert sb.writes() == [], "only the GET above reached the merchant API"


# ---------------------------------------------------------------- call status


@pytest.mark.parametrize("value", CALL_STATUSES)
def test_call_status_shows_in_list_and_card(sb, clock, value):
    order = order_in(sb, status="new")
    stamp = clock.advance(minutes=3)
    response = call_status(sb, order["id"], {"callStatus": value})
    assert response.status_code == 202 and response.content == b""
    for view in seen(sb, order):
        assert (view["callStatus"], view["updatedAt"]) == (value, stamp)


@pytest.mark.parametrize("body", [
    {"callStatus": "busy"}, {"callStatus": "SUCCESS"}, {"callStatus": ""},
    {"callStatus": None}, {"callStatus": 1}, {"status": "success"}, None, ["success"]])
def test_call_status_refuses_other_values(sb, clock, body):
    order = order_in(sb)
    before = copy.deepcopy(order)
    clock.advance(minutes=1)
    errors = expect_error(call_status(sb, order["id"], body), 400,
                          "Invalid request parameters")["errors"]
    assert "success, first_fail, second_fail, email_sent" in errors["callStatus"][0]
    assert order == before


# ---------------------------------------------------------------- item quantity


def test_quantity_change_recomputes_the_subtotals(sb, clock):
    order = order_in(sb)
    first, second, third = order["items"]
    stamp = clock.advance(minutes=4)
    response = put_quantity(sb, order["id"], second["offerId"], {"quantity": 7})
    assert response.status_code == 200
    assert response.json() == {**second, "quantity": 7,
                               "subtotal": round(second["price"] * 7, 2)}
    for view in seen(sb, order):
        assert [item["quantity"] for item in view["items"]] == [
            first["quantity"], 7, third["quantity"]]
        assert view["subtotal"] == round(
            first["subtotal"] + second["price"] * 7 + third["subtotal"], 2)
        assert view["updatedAt"] == stamp
    assert put_quantity(sb, order["id"], first["offerId"], {"quantity": 2.0}).json()[
        "quantity"] == 2


def expect_items_refused(sb, order, key):
    """Both a quantity change and a removal of the order's first item are refused with ``key``."""
    offer_id = order["items"][0]["offerId"]
    expect_error(put_quantity(sb, order["id"], offer_id, {"quantity": 5}), 403, key)
    expect_error(delete_item(sb, order["id"], offer_id), 403, key)


@pytest.mark.parametrize("status", ["new", "confirmed", "sent", "completed", "canceled"])
def test_items_change_only_while_confirmed_by_merchant(sb, clock, status):
    order = order_in(sb, status=status)
    before = copy.deepcopy(order)
    clock.advance(minutes=1)
    expect_items_refused(sb, order, "order.items.change_not_allowed_in_status")
    assert order == before


@pytest.mark.parametrize("payment", ["easypay", "monobank"])
def test_items_of_an_order_paid_by_card_do_not_change(sb, payment):
    order = order_in(sb, payment=payment)
    assert order["address"]["shipment"]["paymentStatus"] == "hold_set"
    before = copy.deepcopy(order)
    expect_items_refused(sb, order, "order.items.change_not_allowed_for_card_payment")
    assert order == before
    cash = order_in(sb, payment="pay_on_pickup")
    assert put_quantity(sb, cash["id"], cash["items"][0]["offerId"],
                        {"quantity": 5}).status_code == 200


@pytest.mark.parametrize("body, status", [
    ({"quantity": 0}, 422), ({"quantity": -2}, 422), ({"quantity": 2.5}, 422),
    ({"quantity": "3"}, 400), ({"quantity": None}, 400), ({"quantity": True}, 400),
    ({"qty": 3}, 400), (None, 400), ([3], 400)])
def test_quantity_is_a_positive_integer(sb, body, status):
    order = order_in(sb)
    before = copy.deepcopy(order)
    errors = expect_error(put_quantity(sb, order["id"], order["items"][0]["offerId"], body),
                          status)["errors"]
    assert list(errors) == ["quantity"]
    assert order == before


def test_delete_item_then_the_last_one_is_refused(sb, clock):
    order = order_in(sb, items=2)
    kept, removed = order["items"]
    stamp = clock.advance(minutes=6)
    response = delete_item(sb, order["id"], removed["offerId"])
    assert response.status_code == 204 and response.content == b""
    for view in seen(sb, order):
        assert [item["offerId"] for item in view["items"]] == [kept["offerId"]]
        assert view["subtotal"] == kept["subtotal"] and view["updatedAt"] == stamp
    clock.advance(minutes=1)
    before = copy.deepcopy(order)
    expect_error(delete_item(sb, order["id"], kept["offerId"]), 403,
                 "order.items.last_item_cannot_be_deleted")
    expect_error(delete_item(sb, order["id"], removed["offerId"]), 404, "entity.not_found")
    assert order == before
    assert put_quantity(sb, order["id"], kept["offerId"], {"quantity": 3}).status_code == 200


def test_unknown_offer_unknown_or_deleted_order(sb):
    order = order_in(sb)
    offer_id, two, before = order["items"][0]["offerId"], {"quantity": 2}, copy.deepcopy(order)
    for unknown in (put_quantity(sb, order["id"], MISSING, two),
                    delete_item(sb, order["id"], MISSING),
                    put_quantity(sb, MISSING, offer_id, two),
                    delete_item(sb, MISSING, offer_id),
                    call_status(sb, MISSING, SUCCESS),
                    call(sb, "GET", comments_path(MISSING)),
                    call(sb, "POST", comments_path(MISSING), json={"content": "x"})):
        expect_error(unknown, 404, "entity.not_found")
    sb.store.delete(order["id"])
    for deleted in (put_quantity(sb, order["id"], offer_id, two),
                    delete_item(sb, order["id"], offer_id),
                    call_status(sb, order["id"], SUCCESS)):
        expect_error(deleted, 410, "item was deleted")
    expect_error(call(sb, "GET", comments_path(order["id"])), 404)  # as the older routes
    assert order == before


def test_wrong_method_or_version_and_no_token(sb):
    order = order_in(sb)
    offer_id = order["items"][0]["offerId"]
    expect_error(call(sb, "PUT", f"/v2/oms/orders/{order['id']}/items/{offer_id}",
                      json={"quantity": 2}), 405)
    expect_error(call(sb, "DELETE", f"/v3/oms/orders/{order['id']}/items/{offer_id}"), 405)
    expect_error(call(sb, "GET", f"/v2/oms/orders/{order['id']}/call-status"), 405)
    expect_error(call(sb, "POST", f"/v2/oms/orders/{order['id']}/call-status", "nope",
                      json=SUCCESS), 401)
    assert order["callStatus"] is None


# ---------------------------------------------------------------- request log and faults


def test_writes_list_every_order_action(sb):
    order = order_in(sb)
    first, second = order["items"][:2]
    get(sb, comments_path(order["id"]))
    call(sb, "POST", comments_path(order["id"]), json={"content": "ok"})
    call_status(sb, order["id"], {"callStatus": "email_sent"})
    put_quantity(sb, order["id"], first["offerId"], {"quantity": 4})
    delete_item(sb, order["id"], second["offerId"])
    put_quantity(sb, order["id"], first["offerId"], {"quantity": 0})  # refused, still a write
    # /v2/oms/orders/{id}/<comments | call-status | items>[/{offerId}]
    assert [(w.method, w.path.split("/")[5], w.json, w.status) for w in sb.writes()] == [
        ("POST", "comments", {"content": "ok"}, 204),
        ("POST", "call-status", {"callStatus": "email_sent"}, 202),
        ("PUT", "items", {"quantity": 4}, 200),
        ("DELETE", "items", None, 204),
        ("PUT", "items", {"quantity": 0}, 422)]
    assert [r.method for r in sb.requests] == ["GET", "POST", "POST", "PUT", "DELETE", "PUT"]
    call(sb, "HEAD", comments_path(order["id"]))
    assert len(sb.writes()) == 5, "a HEAD reads"


def test_faults_reach_the_order_actions(sb):
    order = order_in(sb)
    offer_id = order["items"][0]["offerId"]
    quantity = order["items"][0]["quantity"]
    sb.fault("503", path_contains="/call-status")
    expect_error(call_status(sb, order["id"], SUCCESS), 503)
    assert order["callStatus"] is None, "refused before it took effect"
    sb.fault("drop", path_contains="/items/")
    with pytest.raises(requests.exceptions.ConnectionError):
        put_quantity(sb, order["id"], offer_id, {"quantity": quantity + 1})
    assert order["items"][0]["quantity"] == quantity
    sb.fault("drop_after", path_contains="/items/")
    with pytest.raises(requests.exceptions.ConnectionError):
        put_quantity(sb, order["id"], offer_id, {"quantity": quantity + 2})
    assert order["items"][0]["quantity"] == quantity + 2, "applied, the answer lost"
    sb.fault("malformed", path_contains="/items/")
    response = put_quantity(sb, order["id"], offer_id, {"quantity": quantity + 3})
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    assert order["items"][0]["quantity"] == quantity + 3
    sb.fault("429", path_contains="/comments", retry_after=2)
    response = call(sb, "POST", comments_path(order["id"]), json={"content": "x"})
    assert response.status_code == 429 and response.headers["Retry-After"] == "2"
    assert order["commentsCount"] == 0
    assert [w.status for w in sb.writes()] == [503, 0, 0, 200, 429]


# ---------------------------------------------------------------- the swagger contract


def test_order_actions_conform_to_the_spec(sandbox, spec):
    """Every answer fits the spec (or the error shape); a 400 exactly where the spec refuses
    the request too (check_recorded_requests)."""
    sandbox.clear_faults()
    sandbox.clear_requests()

    def status_of(method, path, body=None):
        return contract.call(sandbox, spec, method, path, json=body).status_code

    order = order_in(sandbox)
    order_id, first, second = order["id"], *(i["offerId"] for i in order["items"][:2])
    comments = comments_path(order_id)
    assert status_of("POST", comments, {"content": "Передзвоню"}) == 204
    assert status_of("POST", comments, {"content": " "}) == 422
    assert status_of("POST", comments, {"text": "Передзвоню"}) == 400
    assert status_of("GET", comments) == 200
    to_call_status = f"/v2/oms/orders/{order_id}/call-status"
    assert status_of("POST", to_call_status, {"callStatus": "second_fail"}) == 202
    assert status_of("POST", to_call_status, {"callStatus": "busy"}) == 400
    item = f"/v3/oms/orders/{order_id}/items/{first}"
    assert status_of("PUT", item, {"quantity": 2}) == 200
    assert status_of("PUT", item, {"quantity": 0}) == 422
    assert status_of("PUT", item, {"quantity": "2"}) == 400
    assert status_of("PUT", f"/v3/oms/orders/{order_id}/items/{MISSING}", {"quantity": 2}) == 404
    assert status_of("DELETE", f"/v2/oms/orders/{order_id}/items/{second}") == 204
    assert status_of("GET", f"/v5/oms/orders/{order_id}") == 200  # callStatus, commentsCount
    paid = order_in(sandbox, payment="easypay")
    assert status_of("DELETE", f"/v2/oms/orders/{paid['id']}/items/"
                               f"{paid['items'][0]['offerId']}") == 403
    sandbox.store.delete(paid["id"])
    assert status_of("POST", f"/v2/oms/orders/{paid['id']}/call-status", SUCCESS) == 410
    contract.check_recorded_requests(spec, sandbox)

"""The Epicentr sandbox over real HTTP with plain `requests`: pages, filters, sort, auth, the
status machine, hidden buyer data, TTN and cancel rules, faults, the request log, the
generator and the process mode. Contract checks against the swagger: test_contract.py.
"""
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from epicentr_sandbox import Sandbox
from epicentr_sandbox.store import CANCEL_REASONS, PLATFORM_DETOURS, PLATFORM_STEPS
from sandbox_helpers import TOKEN, Clock, call, get

FIXED_NOW = datetime(2026, 10, 10, 9, 30, tzinfo=timezone.utc)
UTC_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")
CONTACT_FIELDS = ("firstName", "lastName", "patronymic", "email", "phone")


@pytest.fixture(autouse=True)
def clean_sandbox(sandbox):
    sandbox.clear_faults()
    sandbox.clear_requests()
    yield
    sandbox.clear_faults()


@pytest.fixture
def clocked():
    """A small sandbox on a clock the test moves."""
    clock = Clock(FIXED_NOW)
    with Sandbox(orders=10, seed=3, now=clock) as sb:
        yield sb, clock


def walk(sb, path="/v4/oms/orders", params=None):
    """All pages, following `next` until it is absent."""
    pages, cursor = [], None
    while True:
        page = get(sb, path, {**(params or {}), **({"cursor": cursor} if cursor else {})})
        pages.append(page)
        cursor = page.get("next")
        if not cursor:
            return pages


def ids_of(pages):
    return [order["id"] for page in pages for order in page["items"]]


def live_orders(sb):
    return [o for oid, o in sb.store.orders.items() if oid not in sb.store.deleted]


def expect_error(response, status, message=None):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == status and body["message"]
    if message:
        assert body["message"] == message
    return body


def move(sb, order_id, status, body=None):
    return call(sb, "POST", f"/v2/oms/orders/{order_id}/change-status/to/{status}", json=body)


def allowed(sb, order_id):
    body = get(sb, f"/v2/oms/orders/{order_id}/allowed-statuses")
    assert body["total"] == len(body["items"])
    return [item["code"] for item in body["items"]]


def new_order(sb, provider="nova_poshta", **overrides):
    overrides.setdefault("address", {}).setdefault("shipment", {})["provider"] = provider
    return sb.store.add_order(**overrides)["id"]


# ---------------------------------------------------------------- pagination


@pytest.mark.parametrize("version", ["3", "4"])
def test_pagination_walks_every_order_exactly_once(sandbox, version):
    pages = walk(sandbox, f"/v{version}/oms/orders", {"limit": 7})

    ids = ids_of(pages)
    assert len(ids) == len(set(ids))
    assert set(ids) == {o["id"] for o in live_orders(sandbox)}
    assert all(page["limit"] == 7 and len(page["items"]) <= 7 for page in pages)
    assert "prev" not in pages[0] and all(page["prev"] for page in pages[1:])
    assert all(page["current"] and page["last"] for page in pages)


def test_default_limit_is_25_and_limit_is_capped_at_100(sandbox):
    assert [len(page["items"]) for page in [get(sandbox, "/v4/oms/orders")]] == [25]
    page = get(sandbox, "/v4/oms/orders", {"limit": 1000})
    assert page["limit"] == 100 and len(page["items"]) == len(live_orders(sandbox))
    assert "next" not in page


def test_prev_current_and_last_cursors(sandbox):
    first = get(sandbox, "/v4/oms/orders", {"limit": 7})
    second = get(sandbox, "/v4/oms/orders", {"limit": 7, "cursor": first["next"]})
    back = get(sandbox, "/v4/oms/orders", {"limit": 7, "cursor": second["prev"]})
    again = get(sandbox, "/v4/oms/orders", {"limit": 7, "cursor": second["current"]})
    last = get(sandbox, "/v4/oms/orders", {"limit": 7, "cursor": first["last"]})

    assert ids_of([back]) == ids_of([first])
    assert ids_of([again]) == ids_of([second])
    assert ids_of([last]) == ids_of(walk(sandbox, params={"limit": 7}))[-7:]
    assert "next" not in last


def test_cursor_stays_right_when_orders_arrive_during_the_walk(sandbox):
    before = {o["id"] for o in live_orders(sandbox)}
    first = get(sandbox, "/v4/oms/orders", {"limit": 10})
    sandbox.store.add_order()  # the newest order: it lands before the cursor
    rest = walk(sandbox, params={"limit": 10, "cursor": first["next"]})

    ids = ids_of([first] + rest)
    assert len(ids) == len(set(ids)) and set(ids) == before


# ---------------------------------------------------------------- sort and filters

SORT_KEYS = {"createdAt": lambda o: o["createdAt"], "updatedAt": lambda o: o["updatedAt"],
             "number": lambda o: int(o["number"]), "subtotal": lambda o: o["subtotal"],
             "statusCode": lambda o: o["statusCode"]}


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("field", sorted(SORT_KEYS))
def test_sort_by_each_field(sandbox, field, descending):
    ids = ids_of(walk(sandbox, params={"sort[]": ("-" if descending else "") + field,
                                       "limit": 9}))
    orders = [sandbox.store.orders[i] for i in ids]
    values = [SORT_KEYS[field](o) for o in orders]

    assert values == sorted(values, reverse=descending)
    for a, b in zip(orders, orders[1:]):  # ties: by id, so pages are stable
        if SORT_KEYS[field](a) == SORT_KEYS[field](b):
            assert a["id"] < b["id"]
    assert set(ids) == {o["id"] for o in live_orders(sandbox)}


def test_default_sort_is_newest_first_and_sorts_combine(sandbox):
    created = [sandbox.store.orders[i]["createdAt"] for i in ids_of(walk(sandbox))]
    assert created == sorted(created, reverse=True)

    ids = ids_of(walk(sandbox, params={"sort[]": ["statusCode", "-number"], "limit": 50}))
    keys = [(sandbox.store.orders[i]["statusCode"], -int(sandbox.store.orders[i]["number"]))
            for i in ids]
    assert keys == sorted(keys)


def _select(sb, test):
    return {o["id"] for o in live_orders(sb) if test(o)}


def _fetch(sb, params, version="4"):
    found = set(ids_of(walk(sb, f"/v{version}/oms/orders", {**params, "limit": 100})))
    total = get(sb, f"/v{version}/oms/orders/total", params)["total"]
    assert total == len(found)
    return found


def test_created_and_updated_filters_take_dates_and_datetimes(sandbox):
    created = sorted(o["createdAt"] for o in live_orders(sandbox))
    middle, late = created[len(created) // 2], created[-5]
    middle_z = middle.replace("+00:00", "Z")
    late_kyiv = (datetime.fromisoformat(late) + timedelta(hours=3)).strftime(
        "%Y-%m-%dT%H:%M:%S+03:00")

    assert _fetch(sandbox, {"filter[createdAt][from]": middle_z}) == _select(
        sandbox, lambda o: o["createdAt"] >= middle)
    assert _fetch(sandbox, {"filter[createdAt][from]": middle,
                            "filter[createdAt][to]": late_kyiv}) == _select(
        sandbox, lambda o: middle <= o["createdAt"] <= late)
    day = middle[:10]  # a date: from its start, `to` up to its end
    assert _fetch(sandbox, {"filter[createdAt][from]": day, "filter[createdAt][to]": day},
                  version="3") == _select(sandbox, lambda o: o["createdAt"][:10] == day)
    updated = sorted(o["updatedAt"] for o in live_orders(sandbox))[-8]
    assert _fetch(sandbox, {"filter[updatedAt][from]": updated}) == _select(
        sandbox, lambda o: o["updatedAt"] >= updated)
    assert _fetch(sandbox, {"filter[updatedAt][to]": updated[:19]}) == _select(  # naive = UTC
        sandbox, lambda o: o["updatedAt"] <= updated)


def test_status_filter_repeats_and_number_filter_matches_one(sandbox):
    statuses = ["new", "sent", "completed"]
    assert _fetch(sandbox, {"filter[statusCode][]": statuses}) == _select(
        sandbox, lambda o: o["statusCode"] in statuses)
    order = live_orders(sandbox)[3]
    assert _fetch(sandbox, {"filter[number]": order["number"]}) == {order["id"]}
    assert _fetch(sandbox, {"filter[shipmentProvider]": "ukrposhta",
                            "filter[statusCode][]": "closed"}) == _select(
        sandbox, lambda o: o["statusCode"] == "closed"
        and o["address"]["shipment"]["provider"] == "ukrposhta")


def test_flat_filter_is_silently_ignored(sandbox):
    assert _fetch(sandbox, {"statusCode": "new"}) == {o["id"] for o in live_orders(sandbox)}


@pytest.mark.parametrize("params, field", [
    ({"limit": "0"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"sort[]": "price"}, "sort[]"),
    ({"filter[createdAt][from]": "09.10.2026"}, "filter[createdAt][from]"),
    ({"filter[updatedAt][from]": "2026-10-05T00:00:00 00:00"}, "filter[updatedAt][from]"),
    ({"filter[updatedAt][since]": "2026-10-05"}, "filter[updatedAt][since]"),
    ({"filter[phone]": "380671234567"}, "filter[phone]"),
    ({"cursor": "not-a-cursor"}, "cursor"),
])
def test_bad_list_parameters_are_400_with_errors(sandbox, params, field):
    body = expect_error(call(sandbox, "GET", "/v4/oms/orders", params=params), 400)
    assert list(body["errors"]) == [field]


def test_cursor_is_bound_to_its_sort(sandbox):
    page = get(sandbox, "/v4/oms/orders", {"limit": 5})
    response = call(sandbox, "GET", "/v4/oms/orders",
                    params={"limit": 5, "cursor": page["next"], "sort[]": "number"})
    expect_error(response, 400)


# ---------------------------------------------------------------- shapes, auth, routes


def test_list_items_have_no_joined_objects_and_cards_have_them(sandbox):
    order_id = next(o["id"] for o in live_orders(sandbox) if o["statusCode"] == "closed")
    for version in ("3", "4"):
        item = get(sandbox, f"/v{version}/oms/orders", {"limit": 100})["items"][0]
        assert item["settlement"] is None and item["office"] is None
        assert not {"hasFeedback", "contractor", "hasPreOrderItems"} & set(item)
    v5 = get(sandbox, f"/v5/oms/orders/{order_id}")
    v6 = get(sandbox, f"/v6/oms/orders/{order_id}")
    assert "hasPreOrderItems" not in v5 and isinstance(v6.pop("hasPreOrderItems"), bool)
    assert v5 == v6
    shipment = v5["address"]["shipment"]
    assert v5["settlement"]["id"] == shipment["settlementId"]
    assert v5["office"]["id"] == shipment["officeId"]
    assert re.search("[а-яіїєґ]", v5["settlement"]["title"] + v5["office"]["title"])
    assert {"hasFeedback", "contractor"} <= set(v5)


def test_auth_is_a_bearer_token(sandbox):
    for token in (None, "wrong-token"):
        response = call(sandbox, "GET", "/v4/oms/orders", token=token)
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthorized", "code": 401}
    response = requests.get(sandbox.url + "/v1/my/user", timeout=5,
                            headers={"Authorization": TOKEN})  # no "Bearer"
    assert response.status_code == 401
    assert get(sandbox, "/v1/my/user")["companyId"] == sandbox.store.company_id


def test_unknown_routes_orders_and_methods(sandbox):
    for path in ("/v7/oms/orders", "/v2/oms/orders", "/v5/oms/orders/x/extra", "/"):
        response = call(sandbox, "GET", path, token=None)
        assert response.status_code == 404 and response.json() == {"message": "No route configured"}
    missing = "9f0c5a52-0000-4000-8000-000000000000"
    for path in (f"/v6/oms/orders/{missing}", f"/v2/oms/orders/{missing}/allowed-statuses",
                 f"/v2/oms/orders/{missing}/comments"):
        assert call(sandbox, "GET", path).json() == {"code": 404, "message": "entity.not_found"}
    expect_error(move(sandbox, missing, "confirmed"), 404, "entity.not_found")
    expect_error(call(sandbox, "DELETE", "/v4/oms/orders"), 405)


def test_deleted_order_is_410_and_leaves_the_list(sandbox):
    order_id = new_order(sandbox)
    sandbox.store.delete(order_id)

    assert call(sandbox, "GET", f"/v6/oms/orders/{order_id}").json() == {
        "message": "item was deleted", "code": 410}
    assert order_id not in ids_of(walk(sandbox, params={"limit": 100}))


def test_disabled_route_answers_like_a_missing_one(sandbox):
    order_id = live_orders(sandbox)[0]["id"]
    sandbox.store.disable_route("/v6/")
    try:
        response = call(sandbox, "GET", f"/v6/oms/orders/{order_id}")
        assert response.status_code == 404 and response.json() == {"message": "No route configured"}
        assert get(sandbox, f"/v5/oms/orders/{order_id}")["id"] == order_id
    finally:
        sandbox.store.enable_route("/v6/")
    assert get(sandbox, f"/v6/oms/orders/{order_id}")["id"] == order_id


# ---------------------------------------------------------------- buyer data


def test_buyer_is_hidden_while_new_and_shown_once_confirmed(sandbox):
    order_id = new_order(sandbox, address={"isAlternateRecipient": False})
    stored = sandbox.store.orders[order_id]["address"]
    assert stored["firstName"] and stored["phone"]  # the store keeps the real data

    [listed] = get(sandbox, "/v4/oms/orders",
                   {"filter[number]": sandbox.store.orders[order_id]["number"]})["items"]
    for shown in (listed["address"], get(sandbox, f"/v6/oms/orders/{order_id}")["address"]):
        assert all(shown[field] is None for field in CONTACT_FIELDS)
        assert set(shown["recipient"].values()) == {None}
        assert shown["shipment"]["provider"] == "nova_poshta"

    assert move(sandbox, order_id, "confirmed_by_merchant").status_code == 202
    shown = get(sandbox, f"/v6/oms/orders/{order_id}")["address"]
    assert {f: shown[f] for f in CONTACT_FIELDS} == {f: stored[f] for f in CONTACT_FIELDS}
    assert shown["recipient"]["phone"] == stored["recipient"]["phone"]


def test_platform_cancel_can_blank_the_address(sandbox):
    order_id = new_order(sandbox, statusCode="confirmed")
    sandbox.store.platform_set_status(order_id, "canceled", empty_address=True,
                                      comment="передумав")

    card = get(sandbox, f"/v6/oms/orders/{order_id}")
    assert card["statusCode"] == "canceled"
    assert all(card["address"][field] is None for field in CONTACT_FIELDS)
    assert card["cancel"]["initiatorCode"] == "customer"
    assert card["cancel"]["previousStatusCode"] == "confirmed"
    assert card["cancel"]["comment"] == "передумав"


# ---------------------------------------------------------------- status machine


def test_happy_path_of_a_nova_poshta_order(sandbox):
    order_id = new_order(sandbox)
    assert allowed(sandbox, order_id) == ["confirmed_by_merchant", "canceled"]
    assert move(sandbox, order_id, "confirmed_by_merchant").status_code == 202
    assert allowed(sandbox, order_id) == ["confirmed", "canceled"]
    response = move(sandbox, order_id, "confirmed")
    assert response.status_code == 202 and response.content == b""
    assert allowed(sandbox, order_id) == ["canceled"]  # `sent` needs a TTN first

    body = expect_error(move(sandbox, order_id, "sent"), 422)
    assert "TTN" in body["message"]
    assert call(sandbox, "PATCH", f"/v1/oms/orders/{order_id}/shipment-number",
                json={"number": "20450123456789"}).status_code == 202
    assert sandbox.store.orders[order_id]["statusCode"] == "confirmed"  # no auto-send
    assert allowed(sandbox, order_id) == ["sent", "canceled"]
    assert move(sandbox, order_id, "sent").status_code == 202
    assert allowed(sandbox, order_id) == ["canceled"]  # `delivered` is the carrier's
    expect_error(move(sandbox, order_id, "delivered"), 422)


def test_pickup_order_is_sent_without_ttn_and_marked_delivered(sandbox):
    order_id = new_order(sandbox, provider="pickup", statusCode="confirmed")
    assert allowed(sandbox, order_id) == ["sent", "canceled"]
    assert move(sandbox, order_id, "sent").status_code == 202
    assert allowed(sandbox, order_id) == ["delivered", "canceled"]
    assert move(sandbox, order_id, "delivered").status_code == 202
    assert allowed(sandbox, order_id) == []


@pytest.mark.parametrize("status, target", [
    ("new", "confirmed"), ("new", "sent"), ("new", "canceled_by_merchant"),
    ("confirmed_by_merchant", "sent"), ("completed", "closed"), ("delivered", "completed"),
    ("canceled", "new"), ("new", "no_such_status"),
])
def test_steps_cannot_be_skipped_nor_taken_from_the_platform(sandbox, status, target):
    order_id = new_order(sandbox, statusCode=status)
    body = expect_error(move(sandbox, order_id, target), 422)
    assert target in body["message"]
    assert sandbox.store.orders[order_id]["statusCode"] == status


def test_settled_orders_allow_nothing(sandbox):
    for status in ("delivered", "completed", "closed", "canceled", "returned"):
        assert allowed(sandbox, new_order(sandbox, statusCode=status)) == []


def test_card_payment_awaited_blocks_cancel(sandbox):
    order_id = new_order(sandbox, address={"shipment": {
        "paymentProvider": "easypay", "paymentStatus": "payment_waiting"}})
    assert allowed(sandbox, order_id) == ["confirmed_by_merchant"]
    expect_error(move(sandbox, order_id, "canceled", {
        "reason_code": "order_not_actual",
        "translationKey": "order.cancel_reason.order_not_actual"}), 422)


# ---------------------------------------------------------------- TTN


def test_ttn_only_while_confirmed(sandbox):
    order_id = new_order(sandbox)
    path = f"/v1/oms/orders/{order_id}/shipment-number"
    body = expect_error(call(sandbox, "PATCH", path, json={"number": "20450123456789"}), 422)
    assert "confirmed" in body["message"]

    sandbox.store.platform_set_status(order_id, "confirmed")
    assert expect_error(call(sandbox, "PATCH", path, json={}), 400)["errors"] == {
        "number": ["This value should be a non-empty string."]}
    response = call(sandbox, "PATCH", path, json={"number": "20450123456789"})
    assert response.status_code == 202 and response.content == b""
    assert sandbox.store.orders[order_id]["address"]["shipment"]["number"] == "20450123456789"
    response = call(sandbox, "DELETE", path)
    assert response.status_code == 204 and response.content == b""
    assert sandbox.store.orders[order_id]["address"]["shipment"]["number"] is None

    sandbox.store.platform_set_status(order_id, "sent")
    expect_error(call(sandbox, "PATCH", path, json={"number": "20450123456789"}), 422)
    expect_error(call(sandbox, "DELETE", path), 422)


def test_ttn_autosend_moves_to_sent():
    with Sandbox(orders=1, seed=1, ttn_autosend=True) as sb:
        order_id = new_order(sb, statusCode="confirmed")
        assert call(sb, "PATCH", f"/v1/oms/orders/{order_id}/shipment-number",
                    json={"number": "0500012345678"}).status_code == 202
        assert sb.store.orders[order_id]["statusCode"] == "sent"


def test_sent_body_carries_the_ttn(sandbox):
    order_id = new_order(sandbox, statusCode="confirmed")
    sandbox.store.orders[order_id]["address"]["shipment"]["number"] = None

    expect_error(move(sandbox, order_id, "sent", {"number": "20450123456789"}), 400)
    assert move(sandbox, order_id, "sent", {"provider": "nova_poshta",
                                            "number": "20450123456789"}).status_code == 202
    order = sandbox.store.orders[order_id]
    assert (order["statusCode"], order["address"]["shipment"]["number"]) == (
        "sent", "20450123456789")


# ---------------------------------------------------------------- cancel


@pytest.mark.parametrize("body, fields", [
    (None, {"reason_code", "translationKey"}),
    ({"reason_code": "product_not_available"}, {"translationKey"}),
    ({"translationKey": "order.cancel_reason.product_not_available"}, {"reason_code"}),
    ({"reason_code": "price_differs",
      "translationKey": "order.cancel_reason.product_not_available"}, {"reason_code"}),
    ({"reason_code": "gone", "translationKey": "order.cancel_reason.gone"}, {"translationKey"}),
])
def test_cancel_needs_a_consistent_reason(sandbox, body, fields):
    order_id = new_order(sandbox)
    assert set(expect_error(move(sandbox, order_id, "canceled", body), 400)["errors"]) == fields
    assert sandbox.store.orders[order_id]["statusCode"] == "new"


def test_cancel_records_who_why_and_when(clocked):
    sb, clock = clocked
    order_id = new_order(sb, statusCode="confirmed_by_merchant")
    later = clock.advance(minutes=7)
    assert move(sb, order_id, "canceled", {
        "reason_code": "merchant_product_is_not_available", "comment": "Немає на складі",
        "translationKey": "order.merchant_cancel_reason.merchant_product_is_not_available",
    }).status_code == 202

    card = get(sb, f"/v6/oms/orders/{order_id}")
    stamp = later.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert card["statusCode"] == "canceled" and card["updatedAt"] == stamp
    assert card["cancel"] == {
        "previousStatusCode": "confirmed_by_merchant", "initiatorCode": "merchant",
        "reasonCode": "merchant_product_is_not_available", "comment": "Немає на складі",
        "reasonTranslationKey": "order.merchant_cancel_reason.merchant_product_is_not_available",
        "createdAt": stamp}


def test_cancel_reasons_by_role(sandbox):
    reasons = {role: get(sandbox, f"/v2/oms/order-cancel-reasons/{role}")
               for role in ("customer", "merchant")}
    for body in reasons.values():
        assert body["total"] == len(body["items"]) > 0
        for item in body["items"]:
            assert item["code"] == item["translationKey"].rsplit(".", 1)[1]
            assert re.search("[а-яіїєґ]", item["title"])
    keys = {role: {i["translationKey"] for i in body["items"]} for role, body in reasons.items()}
    assert not keys["customer"] & keys["merchant"]
    assert keys["customer"] | keys["merchant"] == set(CANCEL_REASONS)
    assert "order.cancel_reason.order_not_actual" in keys["customer"]
    assert "order.cancel_reason.product_not_available" in keys["merchant"]
    assert call(sandbox, "GET", "/v2/oms/order-cancel-reasons/robot").status_code == 404


# ---------------------------------------------------------------- comments, user, time


def test_comments_round_trip(sandbox):
    order_id = new_order(sandbox, statusCode="confirmed")
    path = f"/v2/oms/orders/{order_id}/comments"
    assert get(sandbox, path) == {"total": 0, "items": []}
    response = call(sandbox, "POST", path, json={"content": "Відправимо завтра"})
    assert response.status_code == 204 and response.content == b""
    expect_error(call(sandbox, "POST", path, json={"text": "wrong field"}), 400)

    body = get(sandbox, path)
    assert body["total"] == 1
    [comment] = body["items"]
    assert comment["content"] == "Відправимо завтра"
    assert set(comment) == {"content", "firstName", "lastName", "avatar", "userId", "createdAt"}
    assert get(sandbox, f"/v6/oms/orders/{order_id}")["commentsCount"] == 1


def test_my_user(sandbox):
    user = get(sandbox, "/v1/my/user")
    assert {"id", "firstName", "lastName", "email", "companyId"} <= set(user)


def test_every_change_bumps_updated_at(clocked):
    sb, clock = clocked
    order_id = new_order(sb)
    order = sb.store.orders[order_id]

    def bumped(action):
        stamp = clock.advance(minutes=1).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        action()
        return order["updatedAt"] == stamp

    ttn_path = f"/v1/oms/orders/{order_id}/shipment-number"
    assert bumped(lambda: move(sb, order_id, "confirmed_by_merchant"))
    assert bumped(lambda: move(sb, order_id, "confirmed"))
    assert bumped(lambda: call(sb, "PATCH", ttn_path, json={"number": "20450123456789"}))
    assert bumped(lambda: call(sb, "DELETE", ttn_path))
    assert bumped(lambda: call(sb, "POST", f"/v2/oms/orders/{order_id}/comments",
                               json={"content": "ok"}))
    assert bumped(lambda: sb.store.touch(order_id))
    assert bumped(lambda: sb.store.platform_set_status(order_id, "sent"))
    assert order["address"]["shipment"]["number"]  # the platform gave it a TTN
    assert not bumped(lambda: move(sb, order_id, "new"))  # a refused move changes nothing
    assert _fetch(sb, {"filter[updatedAt][from]": order["updatedAt"]}) == {order_id}


def test_live_step_moves_one_order_along_the_platform_path(clocked):
    sb, _clock = clocked
    before = {oid: o["statusCode"] for oid, o in sb.store.orders.items()}
    moved = sb.store.advance_random_order()
    after = {oid: o["statusCode"] for oid, o in sb.store.orders.items()}

    changed = {oid for oid in before if before[oid] != after[oid]}
    assert changed == {moved["id"]}
    assert after[moved["id"]] in (PLATFORM_STEPS[before[moved["id"]]], PLATFORM_DETOURS.get(before[moved["id"]], ("",))[0])


def test_live_steps_refuse_parcels_and_request_returns_now_and_then(clocked):
    """Many live steps: parcels refused at the office after `sent`, returns asked after `completed`,
    then confirmed, whole or in part (the card then holds less) — the paths the connector's returns follow."""
    sb, _clock = clocked
    seen, returns = set(), []
    for step in range(400):
        sb.store.add_order(statusCode=("sent", "completed")[step % 2])  # as live mode adds orders
        before = {oid: (o["statusCode"], sum(i["quantity"] for i in o["items"])) for oid, o in sb.store.orders.items()}
        moved = sb.store.advance_random_order()
        if moved:
            status, units = before[moved["id"]]
            seen.add((status, moved["statusCode"]))
            if (status, moved["statusCode"]) == ("sent", "canceled"):
                assert moved["cancel"]["reasonCode"] == "customer_refused_at_office"
            if moved["statusCode"] == "returned":
                kept = sum(i["quantity"] for i in moved["items"])
                assert moved["items"] and moved["subtotal"] == round(sum(i["subtotal"] for i in moved["items"]), 2)
                returns.append("partial" if kept < units else "whole")
    assert {("sent", "canceled"), ("completed", "return_requested"), ("return_requested", "returned")} <= seen
    assert {"partial", "whole"} <= set(returns)


# ---------------------------------------------------------------- faults


@pytest.mark.parametrize("kind", ["500", "502", "503"])
def test_server_errors(sandbox, kind):
    sandbox.fault(kind)
    response = call(sandbox, "GET", "/v1/my/user")
    assert response.status_code == int(kind)
    assert response.json()["code"] == int(kind) and response.json()["message"]
    assert call(sandbox, "GET", "/v1/my/user").status_code == 200


def test_rate_limit_has_retry_after(sandbox):
    sandbox.fault("429", retry_after=3)
    response = call(sandbox, "GET", "/v4/oms/orders")
    assert response.status_code == 429 and response.headers["Retry-After"] == "3"
    sandbox.fault(429)
    assert call(sandbox, "GET", "/v4/oms/orders").headers["Retry-After"] == "1"


def test_slow_answer_times_the_client_out_then_answers(sandbox):
    sandbox.fault("slow", count=2, delay=0.3)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(sandbox.url + "/v1/my/user", timeout=0.05,
                     headers={"Authorization": f"Bearer {TOKEN}"})
    started = time.monotonic()
    assert call(sandbox, "GET", "/v1/my/user").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_dropped_connection(sandbox):
    sandbox.fault("drop")
    with pytest.raises(requests.exceptions.ConnectionError):
        call(sandbox, "GET", "/v1/my/user")
    assert [r.status for r in sandbox.requests] == [0]
    assert call(sandbox, "GET", "/v1/my/user").status_code == 200


def test_dropped_connection_does_not_apply_a_write(sandbox):
    order_id = new_order(sandbox)
    sandbox.fault("drop", path_contains="/change-status/")
    with pytest.raises(requests.exceptions.ConnectionError):
        move(sandbox, order_id, "confirmed_by_merchant")
    assert sandbox.store.orders[order_id]["statusCode"] == "new"
    assert [r.status for r in sandbox.writes()] == [0]


def test_drop_after_applies_the_write_then_drops_the_answer(sandbox):
    order_id = new_order(sandbox)
    sandbox.fault("drop_after", path_contains="/change-status/")
    with pytest.raises(requests.exceptions.ConnectionError):
        move(sandbox, order_id, "confirmed_by_merchant")
    assert sandbox.store.orders[order_id]["statusCode"] == "confirmed_by_merchant"
    assert [r.status for r in sandbox.writes()] == [0]
    assert move(sandbox, order_id, "confirmed").status_code == 202


def test_malformed_body(sandbox):
    sandbox.fault("malformed")
    response = call(sandbox, "GET", "/v4/oms/orders")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    assert response.content and get(sandbox, "/v4/oms/orders")["items"]


def test_malformed_answer_to_a_write_still_applies_it(sandbox):
    order_id = new_order(sandbox)
    sandbox.fault("malformed", path_contains="/change-status/")
    response = move(sandbox, order_id, "confirmed_by_merchant")
    assert response.status_code == 202
    with pytest.raises(ValueError):
        response.json()
    assert sandbox.store.orders[order_id]["statusCode"] == "confirmed_by_merchant"


def test_missing_field_leaves_a_field_out_of_one_answer(sandbox):
    order_id = new_order(sandbox)
    sandbox.fault("missing", field="statusCode", path_contains="/v6/")
    sandbox.fault("missing", field="address.shipment", path_contains="/v6/")
    first = get(sandbox, f"/v6/oms/orders/{order_id}")
    assert "statusCode" not in first and first["id"] == order_id
    second = get(sandbox, f"/v6/oms/orders/{order_id}")
    assert "shipment" not in second["address"] and second["statusCode"] == "new"
    assert get(sandbox, f"/v6/oms/orders/{order_id}")["address"]["shipment"]
    assert sandbox.store.orders[order_id]["statusCode"] == "new", "the stored order is untouched"
    with pytest.raises(ValueError):
        sandbox.fault("missing")


def test_faults_count_match_paths_and_clear(sandbox):
    order_id = live_orders(sandbox)[0]["id"]
    sandbox.fault("503", count=2, path_contains="/v6/")
    assert call(sandbox, "GET", "/v1/my/user").status_code == 200  # does not match
    assert [call(sandbox, "GET", f"/v6/oms/orders/{order_id}").status_code
            for _ in range(3)] == [503, 503, 200]
    sandbox.fault("500", count=5)
    sandbox.clear_faults()
    assert call(sandbox, "GET", "/v1/my/user").status_code == 200
    with pytest.raises(ValueError):
        sandbox.fault("418")


# ---------------------------------------------------------------- request log, control


def test_request_log(sandbox):
    order_id = new_order(sandbox)
    call(sandbox, "GET", "/v4/oms/orders", params={"filter[statusCode][]": ["new", "sent"],
                                                   "limit": 2})
    move(sandbox, order_id, "confirmed_by_merchant")
    move(sandbox, order_id, "canceled", {"reason_code": "x"})
    requests.get(sandbox.url + "/__sandbox__/requests", timeout=5)  # never recorded

    listing, confirm, cancel = sandbox.requests
    assert (listing.method, listing.path, listing.status, listing.json) == (
        "GET", "/v4/oms/orders", 200, None)
    assert listing.query == {"filter[statusCode][]": ["new", "sent"], "limit": ["2"]}
    assert listing.headers["Authorization"] == f"Bearer {TOKEN}"
    assert (confirm.method, confirm.status, confirm.json) == ("POST", 202, None)
    assert (cancel.status, cancel.json) == (400, {"reason_code": "x"})
    assert sandbox.writes() == [confirm, cancel]
    sandbox.clear_requests()
    assert sandbox.requests == [] and sandbox.writes() == []


def test_control_endpoints(sandbox):
    control = sandbox.url + "/__sandbox__"
    created = requests.post(control + "/orders", json={"statusCode": "confirmed"}, timeout=5)
    assert created.status_code == 201
    order_id = created.json()["id"]
    assert sandbox.store.orders[order_id]["statusCode"] == "confirmed"

    moved = requests.post(f"{control}/orders/{order_id}/status/canceled",
                          json={"reasonCode": "price_differs"}, timeout=5)
    assert moved.status_code == 200 and moved.json()["cancel"]["reasonCode"] == "price_differs"
    assert requests.post(f"{control}/orders/{order_id}/status/lost", timeout=5).status_code == 400

    assert requests.post(control + "/faults", json={"kind": "503", "count": 1},
                         timeout=5).status_code == 204
    assert call(sandbox, "GET", "/v1/my/user").status_code == 503
    log = requests.get(control + "/requests", timeout=5).json()
    assert [(r["path"], r["status"]) for r in log] == [("/v1/my/user", 503)]
    assert requests.delete(control + "/requests", timeout=5).status_code == 204
    assert sandbox.requests == []


def test_concurrent_clients(sandbox):
    def fetch(_):
        return call(sandbox, "GET", "/v4/oms/orders", params={"limit": 5}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(fetch, range(32))) == {200}
    assert len(sandbox.requests) == 32


# ---------------------------------------------------------------- generator


def make_orders(seed, count=300):
    sb = Sandbox(orders=count, seed=seed, now=lambda: FIXED_NOW)  # never started
    return sb, list(sb.store.orders.values())


def test_generation_is_deterministic():
    first, first_orders = make_orders(11, 80)
    second, second_orders = make_orders(11, 80)
    assert first_orders == second_orders
    assert first.store.add_order() == second.store.add_order()
    assert make_orders(12, 80)[1] != first_orders


def test_generated_orders_are_consistent():
    sb, orders = make_orders(1)
    numbers = [o["number"] for o in orders]
    assert len(set(numbers)) == len(orders) and all(re.fullmatch(r"\d{8}", n) for n in numbers)
    for order in orders:
        created, updated = order["createdAt"], order["updatedAt"]
        assert UTC_STAMP.fullmatch(created) and UTC_STAMP.fullmatch(updated)
        assert created <= updated <= FIXED_NOW.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        age = FIXED_NOW - datetime.fromisoformat(created)
        assert age <= timedelta(days=75)
        if order["statusCode"] == "new":
            assert age < timedelta(hours=2)  # Epicentr cancels unconfirmed orders after 2 h
        if age > timedelta(days=30):
            assert order["statusCode"] not in ("new", "confirmed_by_merchant", "confirmed",
                                               "sent")
        for item in order["items"]:
            assert item["subtotal"] == round(item["price"] * item["quantity"], 2)
        assert 1 <= len(order["items"]) <= 5
        assert order["subtotal"] == round(sum(i["subtotal"] for i in order["items"]), 2)
        assert (order["cancel"] is not None) == (order["statusCode"] in (
            "canceled", "canceled_by_merchant"))


TTN_FORMATS = {"nova_poshta": r"(20|59)\d{12}", "ukrposhta": r"05\d{11}",
               "meest": r"CV\d{9}UA", "cvz_epicentr": r"CV\d{9}UA",
               "parcel_box_epicentr": r"CV\d{9}UA"}


def test_generated_tracking_numbers_follow_the_carriers():
    _sb, orders = make_orders(1)
    for order in orders:
        shipment = order["address"]["shipment"]
        number, provider = shipment["number"], shipment["provider"]
        if order["statusCode"] in ("new", "confirmed_by_merchant", "confirmed", "canceled"):
            assert number is None
        elif order["statusCode"] in ("sent", "delivered", "completed", "closed"):
            assert (number is None) == (provider == "pickup")
        if number:
            assert re.fullmatch(TTN_FORMATS[provider], number), (provider, number)


def test_generated_orders_cover_the_awkward_cases():
    _sb, orders = make_orders(1)
    addresses = [o["address"] for o in orders]
    shipments = [a["shipment"] for a in addresses]
    names = {f"{a['firstName']} {a['lastName']}" for a in addresses}
    assert {"Мар'яна Григор'єва", "В'ячеслав Остап'юк", "Ольга Кузьмич"} <= names
    assert any(a["patronymic"] for a in addresses)

    phones = [a["phone"] for a in addresses if a["phone"]]
    styles = {re.sub(r"\d", "9", p) for p in phones}
    assert styles == {"999999999999", "+999 99 999 99 99", "999-999-99-99", "(999) 999 9999"}
    assert all(len(re.sub(r"\D", "", p)) in (10, 12) for p in phones)
    by_customer = defaultdict(set)
    for order in orders:
        if order["address"]["phone"]:
            by_customer[order["customerId"]].add(order["address"]["phone"])
    assert any(len(found) > 1 for found in by_customer.values())  # same buyer, other spelling

    alternates = [a for a in addresses if a["isAlternateRecipient"] and a["firstName"]]
    assert alternates and all(a["recipient"]["phone"] != re.sub(r"\D", "", a["phone"])
                              for a in alternates)
    assert any(a["email"] is None for a in addresses) and any(a["email"] for a in addresses)
    assert any(o["statusCode"] == "canceled" and o["address"]["firstName"] is None
               for o in orders)  # the empty address of some cancelled orders
    items = [i for o in orders for i in o["items"]]
    assert any(i["productExternalId"] is None for i in items)
    assert any(i["productExternalId"] not in (None, i["sku"]) for i in items)
    assert any("<b>" in o["comment"] for o in orders)
    assert any(o["skipCustomerContact"] for o in orders)
    assert set(Counter(s["provider"] for s in shipments)) == set(TTN_FORMATS) | {"pickup"}
    assert Counter(s["provider"] for s in shipments).most_common(1)[0][0] == "nova_poshta"
    assert {s["paymentProvider"] for s in shipments} == {
        "pay_on_delivery", "pay_on_pickup", "easypay", "monobank"}
    assert all(s["paymentStatus"] == "none" for s in shipments
               if s["paymentProvider"] in ("pay_on_delivery", "pay_on_pickup"))
    assert any(o["statusCode"] == "completed"
               and o["address"]["shipment"]["paymentStatus"] == "hold_unset" for o in orders)
    assert any(s["deliveryPrice"] > 0 and not s["isFree"] for s in shipments)
    titles = [o["office"]["title"] for o in orders]
    assert any(t.startswith("Відділення №") for t in titles)
    assert any(t.startswith("Поштомат №") for t in titles)
    assert Counter(o["statusCode"] for o in orders)["new"] > 0


# ---------------------------------------------------------------- process mode


def test_process_mode_serves_until_stopped():
    root = Path(__file__).resolve().parents[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "epicentr_sandbox", "--port", "0", "--orders", "5",
         "--seed", "1", "--token", "T", "--quiet"],
        cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        response = requests.get(url + "/v4/oms/orders/total", timeout=5,
                                headers={"Authorization": "Bearer T"})
        assert response.json() == {"total": 5}
    finally:
        process.terminate()
        process.wait(timeout=5)

"""The Epicentr sandbox's price/availability endpoints over real HTTP with plain `requests`:
POST /v1/offers and GET /v1/offers/update-results/{requestId}, the offers they change, the
asynchronous processing, validation, the rate limit, auth, faults, the request log and the
/__sandbox__/ offers controls.
"""
import re
import time
from datetime import datetime, timezone

import pytest
import requests

from epicentr_sandbox import Sandbox
from epicentr_sandbox.catalogue import CATALOGUE
from epicentr_sandbox.generator import product_id_of
from sandbox_helpers import TOKEN, Clock, call

OTHER = "other-company-token"
START = datetime(2026, 10, 10, 9, 30, tzinfo=timezone.utc)
SKU = "TT-1102003"  # Ключ комбінований TOPTUL 13 мм, 99.0 in the catalogue
PID = product_id_of(SKU)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def clock():
    return Clock(START)


@pytest.fixture
def sb(clock):
    """A small sandbox on a clock the test moves, with a second company's token."""
    with Sandbox(orders=5, seed=3, now=clock, other_tokens=(OTHER,)) as sandbox:
        yield sandbox


def post(sb, *items, token=TOKEN):
    """POST /v1/offers with these items; the answer's JSON (it must be a 200)."""
    response = call(sb, "POST", "/v1/offers", token, json={"items": list(items)})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    return response.json()


def results(sb, request_id, token=TOKEN):
    response = call(sb, "GET", f"/v1/offers/update-results/{request_id}", token)
    assert response.status_code == 200, response.text
    return response.json()


def outcome(answer):
    return [(item["status"], item["errors"]) for item in answer["items"]]


def settled(sb, clock, answer):
    """The results of `answer`'s batch once its delay (0.5 s by default) has passed."""
    clock.advance(seconds=0.5)
    return results(sb, answer["requestId"])


def expect_error(response, status, errors=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == status and body["message"]
    assert body.get("errors") == errors
    return body


def price_of(sb, product_id=PID):
    offer = sb.offers.offer(product_id)
    return offer["price"], offer["oldPrice"], offer["availability"]


ENQUEUED = ("enqueued", {})
PROCESSED = ("processed", {})


# ---------------------------------------------------------------- the seller's offers


def test_offers_are_seeded_from_the_catalogue_and_match_order_items(sb):
    offers = {offer["productId"]: offer for offer in sb.offers.offers()}
    assert len(offers) == len(CATALOGUE)
    assert offers[PID] == {"productId": PID, "sku": SKU, "price": 99.0, "oldPrice": None,
                           "availability": "in_stock", "inPromotion": False}
    for order in sb.store.orders.values():
        for item in order["items"]:
            assert offers[item["productId"]]["sku"] == item["sku"]


# ---------------------------------------------------------------- asynchronous processing


def test_post_by_product_id_is_enqueued_then_processed_after_the_delay(sb, clock):
    answer = post(sb, {"productId": PID, "prices": {"price": 105}})
    assert UUID.fullmatch(answer["requestId"])
    assert answer["total"] == 1
    assert answer["items"] == [{"id": PID, "idType": "product_id", "status": "enqueued",
                                "errors": {}, "sku": SKU}]
    clock.advance(seconds=0.4)
    assert outcome(results(sb, answer["requestId"])) == [ENQUEUED]
    assert price_of(sb) == (99.0, None, "in_stock")

    later = settled(sb, clock, answer)
    assert later["requestId"] == answer["requestId"] and later["total"] == 1
    assert later["items"] == [{**answer["items"][0], "status": "processed"}]
    assert price_of(sb) == (105, None, "in_stock")


def test_post_by_sku(sb, clock):
    answer = post(sb, {"sku": SKU, "availability": "under_the_order"})
    assert answer["items"] == [{"id": SKU, "idType": "sku", "status": "enqueued", "errors": {},
                                "sku": SKU}]
    assert outcome(settled(sb, clock, answer)) == [PROCESSED]
    assert price_of(sb) == (99.0, None, "under_the_order")


def test_product_id_wins_over_sku(sb, clock):
    answer = post(sb, {"productId": PID, "sku": "NO-SUCH", "availability": "not_available"},
                  {"productId": "1", "sku": SKU, "availability": "not_available"})
    first, second = answer["items"]
    assert (first["id"], first["idType"], first["status"], first["sku"]) == (
        PID, "product_id", "enqueued", SKU)
    assert (second["id"], second["idType"], second["status"], second["errors"]) == (
        "1", "product_id", "forbidden", {"productId": ["batch_update.item.not_found"]})
    assert outcome(settled(sb, clock, answer))[0] == PROCESSED
    assert price_of(sb)[2] == "not_available"


def test_a_shorter_delay_and_the_real_clock():
    with Sandbox(orders=1, seed=1, offers_delay=0.05) as sandbox:
        answer = post(sandbox, {"sku": SKU, "prices": {"price": 98.5}})
        deadline = time.monotonic() + 3
        while outcome(results(sandbox, answer["requestId"])) != [PROCESSED]:
            assert time.monotonic() < deadline, "never processed"
            time.sleep(0.02)
        assert price_of(sandbox)[0] == 98.5


def test_delay_is_configurable(sb, clock):
    sb.offers.set_delay(2)
    answer = post(sb, {"sku": SKU, "prices": {"price": 101}})
    clock.advance(seconds=1.9)
    assert outcome(results(sb, answer["requestId"])) == [ENQUEUED]
    clock.advance(seconds=0.1)
    assert outcome(results(sb, answer["requestId"])) == [PROCESSED]
    sb.offers.set_delay(0)
    answer = post(sb, {"sku": SKU, "prices": {"price": 102}})
    assert outcome(results(sb, answer["requestId"])) == [PROCESSED]  # at the next read


def test_batches_apply_in_request_order_and_a_current_value_is_a_noop(sb, clock):
    first = post(sb, {"productId": PID, "prices": {"price": 110}})
    second = post(sb, {"sku": SKU, "prices": {"price": 120}})
    third = post(sb, {"sku": SKU, "prices": {"price": 120}, "availability": "in_stock"})
    clock.advance(seconds=0.5)
    assert outcome(results(sb, first["requestId"])) == [PROCESSED]
    assert outcome(results(sb, second["requestId"])) == [PROCESSED]
    assert outcome(results(sb, third["requestId"])) == [
        ("skipped", {"item": ["batch_update.item.cache_noop"]})]
    assert price_of(sb) == (120, None, "in_stock")


def test_old_price_rules(sb, clock):
    def change(prices):
        return outcome(settled(sb, clock, post(sb, {"productId": PID, "prices": prices})))

    assert change({"price": 120, "oldPrice": 150}) == [PROCESSED]
    assert price_of(sb)[:2] == (120, 150)
    assert change({"price": 130}) == [PROCESSED]  # below the old price: it stays
    assert price_of(sb)[:2] == (130, 150)
    assert change({"price": 160}) == [PROCESSED]  # above it: the old price goes
    assert price_of(sb)[:2] == (160, None)
    assert change({"price": 100, "oldPrice": 140.5}) == [PROCESSED]
    assert change({"price": 100, "oldPrice": 100}) == [PROCESSED]  # equal: removes it
    assert price_of(sb)[:2] == (100, None)


def test_duplicates_in_one_list_only_the_last_counts(sb, clock):
    answer = post(sb, {"productId": PID, "prices": {"price": 100}},
                  {"sku": SKU, "prices": {"price": 101}},
                  {"productId": PID, "availability": "under_the_order"})
    duplicate = ("skipped", {"item": ["batch_update.item.duplicate"]})
    assert outcome(answer) == [duplicate, duplicate, ENQUEUED]
    assert outcome(settled(sb, clock, answer)) == [duplicate, duplicate, PROCESSED]
    assert price_of(sb) == (99.0, None, "under_the_order")


def test_a_promotion_refuses_price_changes(sb, clock):
    sb.offers.set_promotion(PID)
    answer = post(sb, {"productId": PID, "prices": {"price": 120}, "availability": "not_available"},
                  {"productId": product_id_of("TT-7734210"), "prices": {"price": 1600}})
    assert outcome(answer) == [ENQUEUED, ENQUEUED]  # known when processed
    assert outcome(settled(sb, clock, answer)) == [
        ("forbidden", {"price": ["batch_update.price.product_in_promotion"]}), PROCESSED]
    assert price_of(sb) == (99.0, None, "in_stock")  # the whole item was refused
    availability_only = post(sb, {"productId": PID, "availability": "not_available"})
    assert outcome(settled(sb, clock, availability_only)) == [PROCESSED]

    assert sb.offers.set_promotion(PID, on=False)["inPromotion"] is False
    assert outcome(settled(sb, clock, post(sb, {"sku": SKU, "prices": {"price": 120}}))) == [
        PROCESSED]
    assert price_of(sb) == (120, None, "not_available")


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize("item, ident, id_type, errors", [
    ({"prices": {"price": 10}}, None, None, {"item": ["validation.identifier.required"]}),
    ({"productId": PID}, PID, "product_id", {"item": ["validation.update_value.required"]}),
    ({"sku": SKU, "availability": "soon"}, SKU, "sku", {"availability": ["validation.type"]}),
    ({"sku": SKU, "prices": {"price": 0}}, SKU, "sku", {"price": ["validation.positive"]}),
    ({"sku": SKU, "prices": {"price": -5}}, SKU, "sku", {"price": ["validation.positive"]}),
    ({"sku": SKU, "prices": {"price": 10.555}}, SKU, "sku", {"price": ["validation.type"]}),
    ({"sku": SKU, "prices": {"price": "10"}}, SKU, "sku", {"price": ["validation.type"]}),
    ({"sku": SKU, "prices": {"price": 100, "oldPrice": 90}}, SKU, "sku",
     {"oldPrice": ["validation.too_low"]}),
    ({"sku": SKU, "prices": {"oldPrice": 150}}, SKU, "sku", {"price": ["validation.not_null"]}),
    ({"sku": SKU, "prices": 100}, SKU, "sku", {"prices": ["validation.type"]}),
    ({"productId": int(PID), "availability": "in_stock"}, int(PID), "product_id",
     {"productId": ["validation.type"]}),
    ("not an object", None, None, {"item": ["validation.type"]}),
])
def test_an_invalid_item_is_forbidden_at_once(sb, clock, item, ident, id_type, errors):
    answer = post(sb, item, {"sku": SKU, "availability": "not_available"})
    assert answer["items"][0] == {"id": ident, "idType": id_type, "status": "forbidden",
                                  "errors": errors, "sku": SKU if id_type == "sku" else None}
    assert outcome(settled(sb, clock, answer)) == [("forbidden", errors), PROCESSED]
    assert price_of(sb) == (99.0, None, "not_available")


def test_unknown_sku_or_product_id_is_forbidden(sb, clock):
    answer = post(sb, {"sku": "NO-SUCH", "availability": "in_stock"},
                  {"productId": "36799999", "prices": {"price": 10}})
    assert answer["items"] == [
        {"id": "NO-SUCH", "idType": "sku", "status": "forbidden", "sku": "NO-SUCH",
         "errors": {"sku": ["batch_update.item.not_found"]}},
        {"id": "36799999", "idType": "product_id", "status": "forbidden", "sku": None,
         "errors": {"productId": ["batch_update.item.not_found"]}}]
    assert settled(sb, clock, answer)["items"] == answer["items"]


def test_list_level_errors_are_422(sb):
    def send(body):
        return call(sb, "POST", "/v1/offers", json=body)

    # The status of these is undocumented: the sandbox answers 422.
    expect_error(send({"items": []}), 422, {"items": ["validation.count.min"]})
    too_many = [{"sku": SKU, "availability": "in_stock"}] * 201
    expect_error(send({"items": too_many}), 422, {"items": ["validation.count.max"]})
    expect_error(send({}), 422, {"items": ["validation.not_null"]})
    expect_error(send({"items": {"sku": SKU}}), 422, {"items": ["validation.type"]})
    assert sb.offers.batches() == []

    answer = send({"items": too_many[:200]}).json()
    assert answer["total"] == 200 and outcome(answer)[-1] == ENQUEUED
    assert [batch["requestId"] for batch in sb.offers.batches()] == [answer["requestId"]]


def test_invalid_json_is_400(sb):
    response = call(sb, "POST", "/v1/offers", data="{items:")
    expect_error(response, 400, {"body": ["The request body is not valid JSON."]})
    assert sb.offers.batches() == []


# ---------------------------------------------------------------- results, companies


def test_unknown_and_expired_request_ids_are_404(sb, clock):
    expect_error(call(sb, "GET", "/v1/offers/update-results/5b0f6c2e-0000-4000-8000-000000000000"),
                 404)
    answer = post(sb, {"sku": SKU, "availability": "in_stock"})
    clock.advance(days=14, seconds=-1)
    assert results(sb, answer["requestId"])["requestId"] == answer["requestId"]
    clock.advance(seconds=1)
    expect_error(call(sb, "GET", f"/v1/offers/update-results/{answer['requestId']}"), 404)
    assert sb.offers.batches() == []


def test_another_company_sees_none_of_our_offers_or_results(sb, clock):
    ours = post(sb, {"sku": SKU, "prices": {"price": 150}})
    theirs = post(sb, {"sku": SKU, "prices": {"price": 1}}, token=OTHER)
    assert outcome(theirs) == [("forbidden", {"sku": ["batch_update.item.not_found"]})]
    clock.advance(seconds=1)
    expect_error(call(sb, "GET", f"/v1/offers/update-results/{ours['requestId']}", OTHER), 403)
    expect_error(call(sb, "GET", f"/v1/offers/update-results/{theirs['requestId']}"), 403)
    assert results(sb, theirs["requestId"], OTHER)["items"] == theirs["items"]
    assert price_of(sb)[0] == 150
    expect_error(call(sb, "GET", "/v4/oms/orders", OTHER), 401)  # offers routes only


def test_auth(sb):
    expect_error(call(sb, "POST", "/v1/offers", token=None, json={"items": []}), 401)
    expect_error(call(sb, "POST", "/v1/offers", token="wrong", json={"items": []}), 401)
    expect_error(call(sb, "GET", "/v1/offers/update-results/x", token=None), 401)
    assert [record.status for record in sb.requests] == [401, 401, 401]
    assert sb.offers.batches() == []


# ---------------------------------------------------------------- rate limit


def test_rate_limit_is_a_sliding_window_per_token(clock):
    with Sandbox(orders=1, seed=1, now=clock, offers_rate=(3, 10),
                 other_tokens=(OTHER,)) as sandbox:
        answer = post(sandbox, {"sku": SKU, "availability": "in_stock"})
        clock.advance(seconds=4)
        results(sandbox, answer["requestId"])
        post(sandbox, {"sku": SKU, "availability": "in_stock"})
        refused = call(sandbox, "POST", "/v1/offers", json={"items": [{"sku": SKU}]})
        expect_error(refused, 429)
        assert refused.headers["Retry-After"] == "6"  # the first request leaves the window
        post(sandbox, {"sku": SKU, "availability": "in_stock"}, token=OTHER)  # its own window
        clock.advance(seconds=5)
        refused = call(sandbox, "GET", f"/v1/offers/update-results/{answer['requestId']}")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
        clock.advance(seconds=1)
        assert results(sandbox, answer["requestId"])["total"] == 1
        assert len(sandbox.offers.batches()) == 3  # the refused POST stored nothing


def test_the_default_rate_is_120_in_120_seconds(sb):
    assert sb.offers.settings() == {"delay": 0.5, "rate": [120, 120.0]}


# ---------------------------------------------------------------- faults, request log


def test_faults_apply_to_the_offers_routes(sb, clock):
    sb.fault("503", path_contains="/v1/offers")
    expect_error(call(sb, "POST", "/v1/offers", json={"items": [{"sku": SKU}]}), 503)
    assert sb.offers.batches() == []
    sb.fault("429", retry_after=7, path_contains="/update-results/")
    answer = post(sb, {"sku": SKU, "availability": "in_stock"})
    refused = call(sb, "GET", f"/v1/offers/update-results/{answer['requestId']}")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "7"


def test_drop_before_stores_nothing(sb):
    sb.fault("drop", path_contains="/v1/offers")
    with pytest.raises(requests.exceptions.ConnectionError):
        call(sb, "POST", "/v1/offers", json={"items": [{"sku": SKU, "prices": {"price": 1}}]})
    assert sb.offers.batches() == []


def test_drop_after_the_post_was_accepted_still_applies_the_batch(sb, clock):
    sb.fault("drop_after", path_contains="/v1/offers")
    with pytest.raises(requests.exceptions.ConnectionError):
        call(sb, "POST", "/v1/offers", json={"items": [{"sku": SKU, "prices": {"price": 77}}]})
    assert [record.status for record in sb.writes()] == [0]
    (batch,) = sb.offers.batches()
    assert batch["pending"] == 1 and outcome(batch) == [ENQUEUED]
    clock.advance(seconds=0.5)
    assert outcome(results(sb, batch["requestId"])) == [PROCESSED]
    assert price_of(sb)[0] == 77


def test_malformed_answer_to_a_post_still_stores_the_batch(sb, clock):
    sb.fault("malformed", path_contains="/v1/offers")
    response = call(sb, "POST", "/v1/offers", json={"items": [{"sku": SKU, "prices": {"price": 88}}]})
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    clock.advance(seconds=0.5)
    assert price_of(sb)[0] == 88


def test_request_log_records_the_offers_requests(sb):
    answer = post(sb, {"sku": SKU, "availability": "in_stock"})
    results(sb, answer["requestId"])
    requests.get(sb.url + "/__sandbox__/offers", timeout=5)  # never recorded
    posted, read = sb.requests
    assert (posted.method, posted.path, posted.status) == ("POST", "/v1/offers", 200)
    assert posted.json == {"items": [{"sku": SKU, "availability": "in_stock"}]}
    assert (read.method, read.path, read.status) == (
        "GET", f"/v1/offers/update-results/{answer['requestId']}", 200)
    assert sb.writes() == [posted]


# ---------------------------------------------------------------- Python and HTTP controls


def test_python_controls(sb, clock):
    added = sb.offers.add_offer("36712345", "MY-1", 10.5, availability="under_the_order",
                                in_promotion=True, old_price=12)
    assert added == {"productId": "36712345", "sku": "MY-1", "price": 10.5, "oldPrice": 12.0,
                     "availability": "under_the_order", "inPromotion": True}
    assert sb.offers.offer("36712345") == added
    with pytest.raises(ValueError):
        sb.offers.add_offer("36712346", "MY-1", 10)  # that sku is another product's
    with pytest.raises(ValueError):
        sb.offers.add_offer("36712346", "MY-2", 0)
    with pytest.raises(ValueError):
        sb.offers.add_offer("36712346", "MY-2", 10, availability="soon")
    answer = post(sb, {"sku": "MY-1", "availability": "in_stock"})
    (batch,) = sb.offers.batches()
    assert (batch["requestId"], batch["token"], batch["pending"]) == (
        answer["requestId"], TOKEN, 1)
    assert batch["accepted"] == "2026-10-10T09:30:00+00:00"
    clock.advance(seconds=0.5)
    assert sb.offers.offer("36712345")["availability"] == "in_stock"  # a read settles it
    assert sb.offers.batches()[0]["pending"] == 0


def test_control_api(sb, clock):
    control = sb.url + "/__sandbox__"
    offers = [{"productId": str(36_800_000 + n), "sku": f"BM-{n}", "price": 100 + n}
              for n in range(300)]
    offers[0].update(availability="not_available", oldPrice=150, inPromotion=True)
    created = requests.post(control + "/offers", json={"offers": offers}, timeout=5)
    assert created.status_code == 201
    assert created.json() == {"added": 300, "total": len(CATALOGUE) + 300}
    listing = requests.get(control + "/offers", timeout=5).json()
    assert listing["total"] == len(listing["items"]) == len(CATALOGUE) + 300
    first = requests.get(control + "/offers/36800000", timeout=5).json()
    assert first == {"productId": "36800000", "sku": "BM-0", "price": 100.0, "oldPrice": 150.0,
                     "availability": "not_available", "inPromotion": True}
    assert requests.get(control + "/offers/1", timeout=5).status_code == 404
    promotion = requests.post(control + "/offers/36800000/promotion", json={"on": False},
                              timeout=5)
    assert promotion.status_code == 200 and promotion.json()["inPromotion"] is False
    bad = requests.post(control + "/offers", json={"offers": [{"sku": "X", "price": 1}]},
                        timeout=5)
    assert bad.status_code == 400
    assert requests.post(control + "/offers", json={"offers": [{**offers[1], "price": -1}]},
                         timeout=5).status_code == 400

    settings = requests.post(control + "/offer-settings", json={"delay": 2, "rate": [5, 60]},
                             timeout=5)
    assert settings.json() == {"delay": 2.0, "rate": [5, 60.0]}
    assert requests.get(control + "/offer-settings", timeout=5).json() == settings.json()
    answer = post(sb, {"productId": "36800001", "prices": {"price": 99.99}})
    clock.advance(seconds=1)
    batches = requests.get(control + "/offer-batches", timeout=5).json()
    assert batches["total"] == 1 and batches["items"][0]["requestId"] == answer["requestId"]
    assert outcome(batches["items"][0]) == [ENQUEUED]
    clock.advance(seconds=1)
    assert requests.get(control + "/offers/36800001", timeout=5).json()["price"] == 99.99
    assert len(sb.requests) == 1  # control requests are not recorded

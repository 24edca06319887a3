"""EpicentrClient against the Epicentr sandbox over real HTTP (no mocks of requests).

The client package is loaded standalone as ``epicentr_api`` by conftest.py (the addon's
``__init__`` imports Odoo). Retry waits go to the ``sleeps`` recorder, never to time.sleep.
"""

import json
import logging
import math
import socket
import threading
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import epicentr_api
from epicentr_api import (
    EpicentrAuthError,
    EpicentrClient,
    EpicentrError,
    EpicentrNotFound,
    EpicentrProtocolError,
    EpicentrRateLimited,
    EpicentrTransientError,
    EpicentrValidationError,
)
from epicentr_sandbox import Sandbox

KYIV_SUMMER = timezone(timedelta(hours=3))


def fresh_order(sb, status="new"):
    """A new cash-on-delivery order (cancellable), set to ``status`` by the platform hook."""
    order = sb.store.add_order(
        address={
            "shipment": {
                "paymentProvider": "pay_on_delivery",
                "paymentStatus": "none",
                "number": None,
            }
        }
    )
    if status != "new":
        sb.store.platform_set_status(order["id"], status)
    return order["id"]


def visible_ids(sb):
    return {order["id"] for order in sb.store.visible_orders()}


def requests_to(sb, path_part, method=None):
    return [
        r for r in sb.requests if path_part in r.path and (method is None or r.method == method)
    ]


@pytest.fixture(autouse=True)
def _clean_sandbox(request):
    """Each test starts with an empty request log and no pending fault."""
    if "sandbox" in request.fixturenames:
        sandbox = request.getfixturevalue("sandbox")
        sandbox.clear_requests()
        sandbox.clear_faults()
    yield


@pytest.fixture
def small_sandbox():
    """A sandbox of its own, for tests that switch routes off."""
    sb = Sandbox(orders=5, seed=7, token="small-token")
    sb.start()
    yield sb
    sb.stop()


# ---------------------------------------------------------------- every endpoint


def test_get_user_sends_auth_and_content_headers(client, sandbox):
    user = client.get_user()

    assert isinstance(user, dict) and user
    [request] = sandbox.requests
    assert (request.method, request.path, request.status) == ("GET", "/v1/my/user", 200)
    headers = {name.lower(): value for name, value in request.headers.items()}
    assert headers["authorization"] == f"Bearer {sandbox.token}"
    assert headers["accept"] == "application/json"
    assert headers["accept-language"] == "uk"


def test_iter_orders_follows_next_to_the_end_each_order_once(client, sandbox):
    pages = list(client.iter_orders(limit=7))

    ids = [order["id"] for page in pages for order in page]
    assert len(ids) == len(set(ids))
    assert set(ids) == visible_ids(sandbox)
    assert len(pages) == math.ceil(len(ids) / 7) and all(len(page) <= 7 for page in pages)
    list_requests = requests_to(sandbox, "/oms/orders")
    assert [r.path for r in list_requests] == ["/v4/oms/orders"] * len(pages)
    assert "cursor" not in list_requests[0].query
    assert all(r.query["cursor"] for r in list_requests[1:])
    assert all(
        r.query["limit"] == ["7"] and r.query["sort[]"] == ["-createdAt"] for r in list_requests
    )


def test_iter_order_items_yields_single_orders(client, sandbox):
    orders = [o for page in client.iter_orders(limit=20) for o in page]
    assert len(orders) == len(visible_ids(sandbox))
    assert {o["id"] for o in orders} == visible_ids(sandbox)


def test_filters_are_sent_in_bracket_syntax_in_utc(client, sandbox):
    local_time = datetime(2026, 10, 5, 10, 42, 18, 123456, tzinfo=KYIV_SUMMER)
    naive_utc = datetime(2026, 10, 6, 0, 0, 0)

    list(
        client.iter_orders(
            updated_from=local_time,
            updated_to=naive_utc,
            created_from=datetime(2026, 1, 1),
            created_to=naive_utc,
            statuses=["new", "confirmed"],
            number="58231477",
            sort=("-updatedAt", "number"),
            limit=10,
        )
    )

    query = sandbox.requests[0].query
    assert query["filter[updatedAt][from]"] == ["2026-10-05T07:42:18+00:00"]
    assert query["filter[updatedAt][to]"] == ["2026-10-06T00:00:00+00:00"]
    assert query["filter[createdAt][from]"] == ["2026-01-01T00:00:00+00:00"]
    assert query["filter[createdAt][to]"] == ["2026-10-06T00:00:00+00:00"]
    assert query["filter[statusCode][]"] == ["new", "confirmed"]
    assert query["filter[number]"] == ["58231477"]
    assert query["sort[]"] == ["-updatedAt", "number"]
    assert query["limit"] == ["10"]


def test_status_filter_selects_orders_and_count_matches(client, sandbox):
    statuses = ["new", "confirmed"]
    expected = {o["id"] for o in sandbox.store.visible_orders() if o["statusCode"] in statuses}

    found = {o["id"] for page in client.iter_orders(statuses=statuses, limit=5) for o in page}
    total = client.count_orders(statuses=statuses)

    assert found == expected
    assert total == len(expected)
    [count_request] = requests_to(sandbox, "/total")
    assert count_request.path == "/v4/oms/orders/total"
    assert count_request.query["filter[statusCode][]"] == statuses


def test_updated_from_filter_selects_orders(client, sandbox):
    moments = sorted(datetime.fromisoformat(o["updatedAt"]) for o in sandbox.store.visible_orders())
    since = moments[len(moments) // 2]

    found = [o for page in client.iter_orders(updated_from=since.astimezone(KYIV_SUMMER), limit=100) for o in page]

    assert found and len(found) < len(moments)
    assert all(
        datetime.fromisoformat(o["updatedAt"]) >= since.replace(microsecond=0) for o in found
    )


def test_get_order_reads_the_v6_card(client, sandbox):
    order_id = next(iter(sandbox.store.orders))

    order = client.get_order(order_id)

    assert order["id"] == order_id
    assert [r.path for r in sandbox.requests] == [f"/v6/oms/orders/{order_id}"]


def test_status_walk_and_ttn(client, sandbox):
    order_id = fresh_order(sandbox, "new")

    allowed = client.get_allowed_statuses(order_id)
    assert {"code", "title"} <= set(allowed[0])
    assert {s["code"] for s in allowed} == {"confirmed_by_merchant", "canceled"}
    assert client.change_status(order_id, "confirmed_by_merchant") is None
    assert client.change_status(order_id, "confirmed") is None
    assert client.set_tracking_number(order_id, "20451234567890") is None
    assert client.get_order(order_id)["address"]["shipment"]["number"] == "20451234567890"
    assert client.delete_tracking_number(order_id) is None
    assert not client.get_order(order_id)["address"]["shipment"]["number"]

    writes = [(r.method, r.path.rsplit("/", 2)[-2:], r.json, r.status) for r in sandbox.writes()]
    assert writes == [
        ("POST", ["to", "confirmed_by_merchant"], None, 202),
        ("POST", ["to", "confirmed"], None, 202),
        ("PATCH", [order_id, "shipment-number"], {"number": "20451234567890"}, 202),
        ("DELETE", [order_id, "shipment-number"], None, 204),
    ]


def test_cancel_with_a_reason_from_the_list(client, sandbox):
    order_id = fresh_order(sandbox, "new")
    assert client.get_cancel_reasons()  # role "customer" by default
    reasons = client.get_cancel_reasons("merchant")
    assert reasons and all({"code", "title", "translationKey"} <= set(r) for r in reasons)
    assert [r.path for r in requests_to(sandbox, "cancel-reasons")] == [
        "/v2/oms/order-cancel-reasons/customer",
        "/v2/oms/order-cancel-reasons/merchant",
    ]
    reason = reasons[0]

    client.change_status(
        order_id,
        "canceled",
        reason_code=reason["code"],
        translation_key=reason["translationKey"],
        comment="немає в наявності",
    )

    assert sandbox.writes()[-1].json == {
        "reason_code": reason["code"],
        "translationKey": reason["translationKey"],
        "comment": "немає в наявності",
    }
    assert client.get_order(order_id)["statusCode"] == "canceled"


def test_sent_with_provider_and_number_body(client, sandbox):
    order_id = fresh_order(sandbox, "confirmed")
    client.change_status(order_id, "sent", provider="nova_poshta", number="20450000000001")
    assert sandbox.writes()[-1].json == {"provider": "nova_poshta", "number": "20450000000001"}


def test_change_status_refuses_mixed_bodies_and_bad_path_values(client, sandbox):
    order_id = fresh_order(sandbox, "new")
    with pytest.raises(ValueError):
        client.change_status(order_id, "canceled", reason_code="x", translation_key="y", number="1")
    with pytest.raises(ValueError):
        client.get_order("../../v1/my/user")
    with pytest.raises(ValueError):
        client.change_status(order_id, "sent?x=1")
    assert sandbox.requests == []


def test_get_comments_reads_every_page_of_the_thread(client, sandbox):
    order_id = fresh_order(sandbox, "confirmed_by_merchant")
    for n in range(130):
        sandbox.store.platform_add_comment(order_id, f"comment {n}")

    comments = client.get_comments(order_id)

    assert [c["content"] for c in comments] == [f"comment {n}" for n in range(130)]
    pages = requests_to(sandbox, "/comments", "GET")
    assert [r.query.get("offset") for r in pages] == [["0"], ["100"]]


def test_card_falls_back_to_v5_when_v6_route_is_missing(small_sandbox):
    small_sandbox.store.disable_route("/v6/")
    client = EpicentrClient(
        small_sandbox.url, "small-token", timeout=(2, 2), backoff=0.01, sleep=[].append
    )
    first, second = list(small_sandbox.store.orders)[:2]

    assert client.get_order(first)["id"] == first
    assert client.get_order(second)["id"] == second  # remembered: straight to v5

    assert [(r.path, r.status) for r in small_sandbox.requests] == [
        (f"/v6/oms/orders/{first}", 404),
        (f"/v5/oms/orders/{first}", 200),
        (f"/v5/oms/orders/{second}", 200),
    ]


def test_list_and_total_fall_back_to_v3_when_v4_route_is_missing(small_sandbox):
    small_sandbox.store.disable_route("/v4/")
    client = EpicentrClient(
        small_sandbox.url, "small-token", timeout=(2, 2), backoff=0.01, sleep=[].append
    )

    ids = [o["id"] for page in client.iter_orders(limit=2) for o in page]
    total = client.count_orders()

    assert sorted(ids) == sorted(small_sandbox.store.orders) and total == len(ids)
    paths = [r.path for r in small_sandbox.requests]
    assert paths[:2] == ["/v4/oms/orders", "/v3/oms/orders"]
    assert set(paths[2:-2]) == {"/v3/oms/orders"}  # the cursor walk stays on v3
    assert paths[-2:] == ["/v4/oms/orders/total", "/v3/oms/orders/total"]


def test_unknown_order_is_not_found_without_fall_back(client, sandbox):
    missing = str(uuid.uuid4())

    with pytest.raises(EpicentrNotFound) as caught:
        client.get_order(missing)

    error = caught.value
    assert (error.status, error.message, error.route_missing, error.gone) == (
        404,
        "entity.not_found",
        False,
        False,
    )
    assert [r.path for r in sandbox.requests] == [f"/v6/oms/orders/{missing}"]


def test_deleted_order_is_gone(client, sandbox):
    order_id = fresh_order(sandbox, "new")
    sandbox.store.delete(order_id)

    with pytest.raises(EpicentrNotFound) as caught:
        client.get_order(order_id)

    assert caught.value.status == 410 and caught.value.gone


# ---------------------------------------------------------------- error classes


def test_wrong_token_is_an_auth_error_without_retry(sandbox, sleeps):
    client = EpicentrClient(
        sandbox.url, "not-the-token", timeout=(2, 2), backoff=0.01, sleep=sleeps.append
    )

    with pytest.raises(EpicentrAuthError) as caught:
        client.get_user()

    assert caught.value.status == 401
    assert len(sandbox.requests) == 1 and sleeps == []


def test_validation_error_carries_epicentr_message_and_is_not_retried(client, sandbox, sleeps):
    order_id = fresh_order(sandbox, "new")  # a TTN is accepted only while `confirmed`

    with pytest.raises(EpicentrValidationError) as caught:
        client.set_tracking_number(order_id, "20451234567890")

    assert caught.value.status == 422 and caught.value.message
    assert caught.value.message in str(caught.value)
    assert len(sandbox.requests) == 1 and sleeps == []


def test_cancel_without_reason_is_refused(client, sandbox):
    order_id = fresh_order(sandbox, "new")
    with pytest.raises(EpicentrValidationError) as caught:
        client.change_status(order_id, "canceled")
    assert caught.value.status == 400 and "translationKey" in caught.value.errors


@pytest.mark.parametrize(
    "status, body, error_class, message",
    [
        (403, {"message": "access.denied", "code": 403}, EpicentrAuthError, "access.denied"),
        (409, {"message": "conflict", "code": 409}, EpicentrError, "conflict"),
        (
            422,
            {"message": ["number: too long"], "code": 422},
            EpicentrValidationError,
            "number: too long",
        ),
        (504, None, EpicentrTransientError, "Gateway Timeout"),  # may have been applied
    ],
)
def test_write_errors_are_typed_and_not_retried(
    scripted_server, status, body, error_class, message
):
    server = scripted_server(lambda handler: (status, {"Content-Type": "application/json"}, body))
    sleeps = []
    client = EpicentrClient(server.url, "token", backoff=0.01, sleep=sleeps.append)

    with pytest.raises(EpicentrError) as caught:
        client.change_status(str(uuid.uuid4()), "confirmed")

    assert type(caught.value) is error_class
    assert (caught.value.status, caught.value.message) == (status, message)
    assert len(server.seen) == 1 and sleeps == []


def test_every_error_class_is_an_epicentr_error():
    for cls in (
        EpicentrAuthError,
        EpicentrNotFound,
        EpicentrValidationError,
        EpicentrRateLimited,
        EpicentrTransientError,
        EpicentrProtocolError,
    ):
        assert issubclass(cls, EpicentrError)


# ---------------------------------------------------------------- retries


def test_read_retried_on_503_then_succeeds(client, sandbox, sleeps):
    order_id = next(iter(sandbox.store.orders))
    sandbox.fault("503", count=1, path_contains="/v6/")

    assert client.get_order(order_id)["id"] == order_id

    assert [r.status for r in sandbox.requests] == [503, 200]
    assert sleeps == [0.01]


def test_read_retried_on_500_with_growing_back_off(client, sandbox, sleeps):
    sandbox.fault("500", count=2, path_contains="/v1/my/user")

    client.get_user()

    assert [r.status for r in sandbox.requests] == [500, 500, 200]
    assert sleeps == [0.01, 0.02]


def test_429_waits_retry_after_then_succeeds(client, sandbox, sleeps):
    sandbox.fault("429", count=1, retry_after=7, path_contains="/v1/my/user")

    client.get_user()

    assert [r.status for r in sandbox.requests] == [429, 200]
    assert sleeps == [7]


def test_429_longer_than_max_wait_is_raised_at_once(client, sandbox, sleeps):
    sandbox.fault("429", count=1, retry_after=3600, path_contains="/v1/my/user")

    with pytest.raises(EpicentrRateLimited) as caught:
        client.get_user()

    assert caught.value.status == 429 and caught.value.retry_after == 3600
    assert len(sandbox.requests) == 1 and sleeps == []


def test_retries_are_bounded(client, sandbox, sleeps):
    sandbox.fault("502", count=client.retries + 1, path_contains="/v1/my/user")

    with pytest.raises(EpicentrTransientError) as caught:
        client.get_user()

    assert caught.value.status == 502
    assert len(sandbox.requests) == client.retries + 1
    assert sleeps == [0.01, 0.02, 0.04]


def test_write_not_retried_after_500(client, sandbox, sleeps):
    order_id = fresh_order(sandbox, "new")
    sandbox.fault("500", count=1, path_contains="/change-status/")

    with pytest.raises(EpicentrTransientError) as caught:
        client.change_status(order_id, "confirmed_by_merchant")

    assert caught.value.status == 500 and caught.value.request_sent
    assert len(sandbox.writes()) == 1 and sleeps == []


def test_write_retried_on_503(client, sandbox, sleeps):
    order_id = fresh_order(sandbox, "new")
    sandbox.fault("503", count=1, path_contains="/change-status/")

    client.change_status(order_id, "confirmed_by_merchant")

    assert [w.status for w in sandbox.writes()] == [503, 202]
    assert sleeps == [0.01]
    assert client.get_order(order_id)["statusCode"] == "confirmed_by_merchant"


def test_write_retried_on_429(client, sandbox, sleeps):
    order_id = fresh_order(sandbox, "new")
    sandbox.fault("429", count=1, retry_after=1, path_contains="/change-status/")

    client.change_status(order_id, "confirmed_by_merchant")

    assert [w.status for w in sandbox.writes()] == [429, 202] and sleeps == [1]


def test_other_4xx_not_retried(client, sandbox, sleeps):
    with pytest.raises(EpicentrNotFound):
        client.get_allowed_statuses(str(uuid.uuid4()))
    assert len(sandbox.requests) == 1 and sleeps == []


def test_read_timeout_is_transient_after_bounded_retries(sandbox, sleeps):
    client = EpicentrClient(
        sandbox.url, sandbox.token, timeout=(2, 0.5), retries=1, backoff=0.01, sleep=sleeps.append
    )
    sandbox.fault("slow", count=2, delay=1.5, path_contains="/v1/my/user")

    with pytest.raises(EpicentrTransientError) as caught:
        client.get_user()

    assert caught.value.status is None and caught.value.request_sent
    assert sleeps == [0.01]  # two attempts, one wait


def test_write_not_retried_after_read_timeout(sandbox, sleeps):
    client = EpicentrClient(
        sandbox.url, sandbox.token, timeout=(2, 0.5), backoff=0.01, sleep=sleeps.append
    )
    order_id = fresh_order(sandbox, "confirmed")
    sandbox.fault("slow", count=1, delay=1.5, path_contains="/shipment-number")

    with pytest.raises(EpicentrTransientError) as caught:
        client.set_tracking_number(order_id, "20451234567890")

    assert caught.value.request_sent and sleeps == []


def test_dropped_connection_is_retried_for_reads(client, sandbox, sleeps):
    sandbox.fault("drop", count=1, path_contains="/v1/my/user")
    assert client.get_user()
    assert sleeps == [0.01]


def test_dropped_connection_is_transient(client, sandbox, sleeps):
    sandbox.fault("drop", count=client.retries + 1, path_contains="/v1/my/user")
    with pytest.raises(EpicentrTransientError) as caught:
        client.get_user()
    assert caught.value.status is None
    assert len(sleeps) == client.retries


def test_dropped_connection_on_a_write_is_not_retried(client, sandbox, sleeps):
    order_id = fresh_order(sandbox, "new")
    sandbox.fault("drop", count=1, path_contains="/change-status/")
    with pytest.raises(EpicentrTransientError) as caught:
        client.change_status(order_id, "confirmed_by_merchant")
    assert caught.value.request_sent and sleeps == []


def test_refused_connection_write_is_retried_then_transient(sleeps):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = EpicentrClient(
        f"http://127.0.0.1:{port}", "t0k3n", timeout=(1, 1), backoff=0.01, sleep=sleeps.append
    )

    with pytest.raises(EpicentrTransientError) as caught:
        client.change_status(str(uuid.uuid4()), "confirmed")

    assert caught.value.request_sent is False
    assert sleeps == [0.01, 0.02, 0.04]


def test_malformed_answer_is_a_protocol_error(client, sandbox, sleeps):
    sandbox.fault("malformed", count=1, path_contains="/v1/my/user")
    with pytest.raises(EpicentrProtocolError) as caught:
        client.get_user()
    assert caught.value.status == 200
    assert len(sandbox.requests) == 1 and sleeps == []


# ---------------------------------------------------------------- the token stays secret


def test_token_never_in_logs_errors_or_repr(sandbox, caplog):
    token = sandbox.token
    client = EpicentrClient(
        sandbox.url, token, timeout=(2, 2), retries=1, backoff=0.01, sleep=[].append
    )
    wrong_client = EpicentrClient(
        sandbox.url, "wrong-secret-token", timeout=(2, 2), sleep=[].append
    )
    errors = []
    with caplog.at_level(logging.DEBUG):
        client.get_user()
        list(client.iter_orders(limit=25))
        sandbox.fault("503", count=2, path_contains="/v1/my/user")
        sandbox.fault("malformed", count=1, path_contains="/allowed-statuses")
        for call in (
            client.get_user,
            lambda: client.get_order(str(uuid.uuid4())),
            lambda: client.get_allowed_statuses(next(iter(sandbox.store.orders))),
            wrong_client.get_user,
        ):
            with pytest.raises(EpicentrError) as caught:
                call()
            errors.append(caught.value)

    assert any("/v1/my/user" in r.getMessage() for r in caplog.records)  # something was logged
    assert all(
        r.levelno <= logging.DEBUG for r in caplog.records if r.name.startswith("epicentr_api")
    )
    texts = [caplog.text, repr(client), repr(wrong_client), str(vars(client))]
    texts += [str(e) for e in errors] + [repr(e) for e in errors]
    for secret in (token, "wrong-secret-token"):
        assert not any(secret in text for text in texts)


def test_token_echoed_by_the_server_is_redacted(scripted_server):
    def answer(handler):
        auth = handler.headers["Authorization"]
        return (
            400,
            {"Content-Type": "application/json"},
            {"message": f"bad header {auth}", "code": 400},
        )

    server = scripted_server(answer)
    client = EpicentrClient(server.url, "s3cret-token", sleep=[].append)

    with pytest.raises(EpicentrValidationError) as caught:
        client.get_user()

    assert "s3cret-token" not in str(caught.value) and "s3cret-token" not in repr(caught.value)
    assert caught.value.message == "bad header Bearer ***"


def test_invalid_token_characters_refused_without_echo():
    with pytest.raises(ValueError) as caught:
        EpicentrClient("https://merchant-api.epicentrm.com.ua", "abc\r\nX-Evil: 1")
    assert "abc" not in str(caught.value)


# ---------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    "base_url",
    [
        "http://merchant-api.epicentrm.com.ua",
        "http://10.0.0.5:8080",
        "ftp://127.0.0.1",
        "https://user:pw@merchant-api.epicentrm.com.ua",
        "https://merchant-api.epicentrm.com.ua/?a=1",
        "",
        None,
    ],
)
def test_unsafe_base_urls_are_refused(base_url):
    with pytest.raises(ValueError):
        EpicentrClient(base_url, "token")


@pytest.mark.parametrize(
    "base_url",
    [
        "https://merchant-api.epicentrm.com.ua",
        "https://merchant-api.epicentrm.com.ua/",
        "http://127.0.0.1:8069",
        "http://127.3.2.1",
        "http://localhost:1234",
        "http://[::1]:99",
    ],
)
def test_https_and_loopback_base_urls_are_accepted(base_url):
    client = EpicentrClient(base_url, "token")
    assert not client.base_url.endswith("/")
    assert repr(client) == f"EpicentrClient({client.base_url!r})"


def test_redirect_is_not_followed(scripted_server):
    elsewhere = scripted_server(
        lambda handler: (200, {"Content-Type": "application/json"}, {"stolen": True})
    )
    redirecting = scripted_server(
        lambda handler: (302, {"Location": elsewhere.url + "/v1/my/user"}, None)
    )
    client = EpicentrClient(redirecting.url, "s3cret-token", sleep=[].append)

    with pytest.raises(EpicentrProtocolError) as caught:
        client.get_user()

    assert caught.value.status == 302
    assert len(redirecting.seen) == 1 and elsewhere.seen == []


def test_list_page_without_items_is_a_protocol_error(scripted_server):
    server = scripted_server(
        lambda handler: (200, {"Content-Type": "application/json"}, {"data": []})
    )
    client = EpicentrClient(server.url, "token", sleep=[].append)
    with pytest.raises(EpicentrProtocolError):
        list(client.iter_orders())


def test_repeated_cursor_is_a_protocol_error(scripted_server):
    page = {"items": [{"id": "a"}], "next": "same-cursor"}
    server = scripted_server(lambda handler: (200, {"Content-Type": "application/json"}, page))
    client = EpicentrClient(server.url, "token", sleep=[].append)

    with pytest.raises(EpicentrProtocolError):
        list(client.iter_orders())

    assert len(server.seen) == 2
    assert all(path.startswith("/v4/oms/orders") for _, path in server.seen)


def test_retry_after_as_http_date():
    in_30_s = datetime.now(timezone.utc) + timedelta(seconds=30)
    http_date = in_30_s.strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 28 <= epicentr_api.wire.retry_after_seconds(http_date) <= 30
    assert epicentr_api.wire.retry_after_seconds("12") == 12
    assert epicentr_api.wire.retry_after_seconds("soon") is None


# ---------------------------------------------------------------- a scripted local server


class _ScriptedHandler(BaseHTTPRequestHandler):
    def _answer(self):
        self.server.seen.append((self.command, self.path))
        status, headers, body = self.server.answer(self)
        payload = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def scripted_server():
    """Start tiny servers on 127.0.0.1 that answer every request with answer(handler)."""
    servers = []

    def start(answer):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _ScriptedHandler)
        server.answer, server.seen = answer, []
        server.url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- waybills through Epicentr


def waybill_body(client, provider, order, **overrides):
    """A waybill of ``order`` sent from the first branch of Kyiv, from Epicentr's dictionaries."""
    [settlement] = client.get_places(provider, title="Київ", limit=1)["items"]
    [office] = client.get_places(provider, settlement["id"], limit=1)["items"]
    shipment = order["address"]["shipment"]
    owed = round(order["subtotal"] + (0 if shipment["isFree"] else shipment["deliveryPrice"] or 0), 2)
    return {"sender": {"name": "Іван", "lastName": "Петренко", "settlementId": settlement["id"],
                       "officeId": office["id"], "phone": "380661112233", "provider": provider},
            "items": [{"width": 30, "height": 20, "length": 40, "weight": 2.5}],
            "deliveryPayer": "client", "isPostPayment": True, "codAmount": owed, **overrides}


def test_waybill_is_made_read_on_the_card_and_printed(client, sandbox):
    order = sandbox.store.orders[fresh_order(sandbox, "confirmed")]
    provider = order["address"]["shipment"]["provider"]
    if provider not in ("ukrposhta", "meest", "cvz_epicentr", "parcel_box_epicentr"):
        order["address"]["shipment"]["provider"] = provider = "meest"
    page = client.get_places(provider, title="Київ")
    assert page["total"] >= 1 and all("Київ" in item["title"] for item in page["items"])
    assert client.create_shipment(order["id"], provider, waybill_body(client, provider, order)) is None
    card = client.get_order(order["id"])
    number = card["address"]["shipment"]["number"]
    assert card["statusCode"] == "sent" and number
    pdf = client.get_waybill_file(provider, sandbox.store.company_id, number)
    assert pdf.startswith(b"%PDF-") and number.encode() in pdf
    assert [r.method for r in requests_to(sandbox, "/shipping/")] == ["POST"]


def test_waybill_refusals_are_typed_and_never_repeated(client, sandbox, sleeps):
    order = sandbox.store.orders[fresh_order(sandbox, "confirmed")]
    order["address"]["shipment"]["provider"] = "meest"
    body = waybill_body(client, "meest", order, items=[{"width": 30, "height": 20, "length": 40, "weight": 45}])
    with pytest.raises(EpicentrValidationError) as caught:
        client.create_shipment(order["id"], "meest", body)
    assert caught.value.status == 422 and "items.weight" in caught.value.errors
    sandbox.fault("500", count=1, path_contains="/shipping/")
    with pytest.raises(EpicentrError):
        client.create_shipment(order["id"], "meest", waybill_body(client, "meest", order))
    assert len(requests_to(sandbox, "/shipping/")) == 2, "a write is never repeated by the client"
    assert sleeps == []
    with pytest.raises(ValueError):
        client.get_waybill_file("meest", sandbox.store.company_id, "../x")

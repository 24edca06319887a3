"""The sandbox against Epicentr's OpenAPI description (merchant_api_swagger.yaml), with
openapi-core: every response it gives and every request it receives must fit the spec.

The spec is older than the live API: v4 list and v6 card paths are validated as v3/v5, and
the merchant cancel reasons as the customer ones (same shape). Where the spec contradicts
itself or the platform rules, `correct_spec` changes it, each change with its reason; the
sandbox follows the spec everywhere else.
"""
import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIResponse
from openapi_core.datatypes import RequestParameters
from openapi_core.exceptions import OpenAPIError
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_schema_validator import OAS30Validator
from werkzeug.datastructures import Headers, ImmutableMultiDict

from epicentr_sandbox.pages import SORT_FIELDS
from epicentr_sandbox.pim import PIM
from epicentr_sandbox.generator import ORDER_REASON_CODES
from epicentr_sandbox.store import CANCEL_REASONS, SHIPMENT_PROVIDERS, STATUS_TITLES

SPEC_PATH = Path(__file__).resolve().parent / "openapi" / "merchant_api_swagger.yaml"  # openapi/SOURCE.md
TOKEN = "sandbox-token"

# Routes newer than the spec, validated as the spec's version of the same call.
SPEC_ALIASES = (
    (re.compile(r"^/v4/oms/orders"), "/v3/oms/orders"),
    (re.compile(r"^/v6/oms/orders/"), "/v5/oms/orders/"),
    (re.compile(r"^/v2/oms/order-cancel-reasons/merchant$"),
     "/v2/oms/order-cancel-reasons/customer"),
)
PERSON_FIELDS = ("firstName", "lastName", "patronymic", "email", "phone")


def _or_null(schema):
    return {"anyOf": [schema, {"nullable": True, "enum": [None]}]}


def _honour_nullable_refs(node):
    """`nullable: true` beside a `$ref` is ignored by OpenAPI 3.0 (siblings of $ref do not
    count), yet the spec clearly means those fields nullable (callStatus, company,
    settlement, office …): turn each into "the ref or null"."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in list(items):
        if isinstance(value, dict) and "$ref" in value and value.get("nullable"):
            node[key] = _or_null({"$ref": value["$ref"]})
        elif isinstance(value, (dict, list)):
            _honour_nullable_refs(value)


def correct_spec(spec):
    """The spec's self-contradictions, resolved the way the rest of the spec reads."""
    _honour_nullable_refs(spec)
    schemas = spec["components"]["schemas"]
    # Their oneOf variants overlap (the ones without `required` match any object), so no
    # object could be "exactly one" of them: anyOf is what is meant.
    for name in ("DeliverySettlement", "DeliveryOffice"):
        schemas[name]["anyOf"] = schemas[name].pop("oneOf")
    # The spec's own deliveryProvider path enum and OrderSentWriteModel list the two Meest
    # network providers that its DeliveryProvider enum lacks.
    schemas["DeliveryProvider"]["enum"] += ["cvz_epicentr", "parcel_box_epicentr"]
    # monobank is a payment method in the spec's delivery-data enum, not in OrderShipment's.
    schemas["OrderShipment"]["properties"]["paymentProvider"]["enum"].append("monobank")
    # Buyer and recipient are hidden (null) while the order is `new`, the e-mail may be
    # missing, cancelled orders may come back without contact data.
    card = spec["paths"]["/v5/oms/orders/{orderId}"]["get"]["responses"]["200"]
    for properties in (schemas["OrderAddress"]["properties"],
                       schemas["OrderAddressV3"]["properties"],
                       schemas["OrderAddressV3"]["properties"]["recipient"]["properties"],
                       card["content"]["application/json"]["schema"]["properties"]["address"]
                       ["properties"]):
        for field in PERSON_FIELDS:
            if field in properties:
                properties[field] = _or_null(properties[field])
    # OrderItemV3 declares productExternalId nullable (cards not from the seller's feed);
    # OrderProductsItem, the same item in the order, forgot to.
    item = schemas["OrderProductsItem"]["properties"]
    item["productExternalId"] = _or_null(item["productExternalId"])
    return spec


@pytest.fixture(scope="module")
def raw_spec():
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def openapi(raw_spec):
    return OpenAPI.from_dict(correct_spec(copy.deepcopy(raw_spec)))


@dataclass
class SpecRequest:
    """An openapi-core request built from what went over the wire."""
    method: str
    path: str
    parameters: RequestParameters
    body: bytes
    content_type: str
    host_url: str = "http://127.0.0.1"

    @classmethod
    def make(cls, method, path, query, headers, body):
        for pattern, spec_path in SPEC_ALIASES:
            path = pattern.sub(spec_path, path)
        headers = Headers(list(dict(headers).items()))
        return cls(method.lower(), path,
                   RequestParameters(query=ImmutableMultiDict(query), header=headers),
                   body or b"", headers.get("Content-Type", "application/octet-stream"))

    @classmethod
    def sent(cls, prepared):
        url = urlsplit(prepared.url)
        body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
        return cls.make(prepared.method, url.path, parse_qs(url.query, keep_blank_values=True),
                        prepared.headers, body)

    @classmethod
    def recorded(cls, record):
        body = json.dumps(record.json).encode() if record.json is not None else b""
        return cls.make(record.method, record.path, record.query, record.headers, body)


def check_response(openapi, response):
    """Validate against the spec's answer for that status, or the generic error shape when
    the spec does not list the status (e.g. its change-status call has no 400/422)."""
    request = SpecRequest.sent(response.request)
    try:
        openapi.validate_response(request, RequestsOpenAPIResponse(response))
    except ResponseNotFound:
        assert response.status_code >= 400
        body = response.json()
        with (openapi.spec / "components" / "schemas" / "ErrorResponse").open() as schema:
            OAS30Validator(dict(schema)).validate(body)
        assert set(body) <= {"message", "code", "errors"} and body["code"] == response.status_code
    return response


def call(sandbox, openapi, method, path, token=TOKEN, **kwargs):
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = requests.request(method, sandbox.url + path, headers=headers, timeout=5,
                                **kwargs)
    return check_response(openapi, response)


def check_recorded_requests(openapi, sandbox):
    """The requests the sandbox received fit the spec, except the ones it refused as invalid
    (400) and those without a token: exactly those the spec refuses too."""
    for record in sandbox.requests:
        request = SpecRequest.recorded(record)
        if record.status == 400 or "Authorization" not in record.headers:
            with pytest.raises(OpenAPIError):
                openapi.validate_request(request)
        else:
            openapi.validate_request(request)


@pytest.fixture(autouse=True)
def fresh_log(sandbox):
    sandbox.clear_requests()
    sandbox.clear_faults()


# ---------------------------------------------------------------- the sandbox's vocabulary


def test_sandbox_vocabulary_is_the_spec_vocabulary(raw_spec):
    schemas = raw_spec["components"]["schemas"]
    parameters = raw_spec["components"]["parameters"]
    assert list(STATUS_TITLES) == schemas["OrderStatus"]["enum"]
    assert set(CANCEL_REASONS) == set(
        schemas["OrderCancelWriteModel"]["properties"]["translationKey"]["enum"])
    assert ORDER_REASON_CODES == tuple(schemas["ReasonCode"]["enum"])
    assert SHIPMENT_PROVIDERS == tuple(parameters["deliveryProvider"]["schema"]["enum"])
    sort_values = set(parameters["omsSort"]["schema"]["items"]["enum"])
    assert {f"-{name}" for name in SORT_FIELDS} <= sort_values


# ---------------------------------------------------------------- reads


@pytest.mark.parametrize("version", ["3", "4"])
def test_list_pages_and_total_conform(sandbox, openapi, version):
    params = {"limit": 20, "sort[]": ["-updatedAt", "number"],
              "filter[statusCode][]": ["new", "confirmed", "sent", "completed", "closed",
                                       "canceled"],
              "filter[createdAt][from]": "2020-01-01"}
    pages = 0
    while True:
        page = call(sandbox, openapi, "GET", f"/v{version}/oms/orders", params=params).json()
        pages += 1
        if "next" not in page:
            break
        params["cursor"] = page["next"]
    assert pages > 1
    call(sandbox, openapi, "GET", f"/v{version}/oms/orders/total",
         params={"filter[statusCode][]": "new", "filter[updatedAt][to]": "2030-01-01"})
    check_recorded_requests(openapi, sandbox)


@pytest.mark.parametrize("version", ["5", "6"])
def test_every_card_conforms(sandbox, openapi, version):
    statuses = set()
    for order_id, order in list(sandbox.store.orders.items()):
        if order_id not in sandbox.store.deleted:
            call(sandbox, openapi, "GET", f"/v{version}/oms/orders/{order_id}")
            call(sandbox, openapi, "GET", f"/v2/oms/orders/{order_id}/allowed-statuses")
            statuses.add(order["statusCode"])
    assert {"new", "confirmed", "sent", "closed", "canceled"} <= statuses
    check_recorded_requests(openapi, sandbox)


def test_joined_objects_are_the_delivery_service_variants(sandbox, raw_spec):
    """Of the overlapping variants, the card's objects are the ones with required fields."""
    schemas = raw_spec["components"]["schemas"]
    settlement_schema, office_schema = (
        next(v for v in schemas[name]["oneOf"] if "required" in v)
        for name in ("DeliverySettlement", "DeliveryOffice"))
    for order in sandbox.store.orders.values():
        OAS30Validator(settlement_schema).validate(order["settlement"])
        OAS30Validator(office_schema).validate(order["office"])


def test_cancel_reasons_conform(sandbox, openapi):
    for role in ("customer", "merchant"):
        call(sandbox, openapi, "GET", f"/v2/oms/order-cancel-reasons/{role}")
    check_recorded_requests(openapi, sandbox)


def test_pim_reads_conform(sandbox, openapi):
    """The three PIM reads, every page of them, and the options of every attribute of every set."""
    for path, params in (("/v2/pim/categories", {}),
                         ("/v2/pim/categories", {"filter[hasChild]": "false"}),
                         ("/v2/pim/attribute-sets", {}),
                         ("/v2/pim/attribute-sets", {"filter[codes][]": ["drill_driver", "lamp"]})):
        page, pages = 1, 1
        while page <= pages:
            pages = call(sandbox, openapi, "GET", path, params={**params, "page": page}).json()["pages"]
            page += 1
    for set_code, attribute_code in PIM.options:
        path = f"/v2/pim/attribute-sets/{set_code}/attributes/{attribute_code}/options"
        assert call(sandbox, openapi, "GET", path).status_code == 200
    assert call(sandbox, openapi, "GET", "/v2/pim/attribute-sets/drill_driver/attributes/color/options",
                params={"page": 2}).json()["items"]
    assert call(sandbox, openapi, "GET",
                "/v2/pim/attribute-sets/no_such_set/attributes/color/options").status_code == 404
    assert call(sandbox, openapi, "GET", "/v2/pim/categories", token=None).status_code == 401
    assert call(sandbox, openapi, "GET", "/v2/pim/categories",
                params={"filter[hasChild]": "maybe"}).status_code == 400
    check_recorded_requests(openapi, sandbox)


# ---------------------------------------------------------------- writes and errors


def test_order_processing_conforms(sandbox, openapi):
    def order_in(status, provider="nova_poshta"):
        return sandbox.store.add_order(statusCode=status, address={
            "shipment": {"provider": provider, "number": None}})["id"]

    def status_of(method, path, body=None):
        return call(sandbox, openapi, method, path, json=body).status_code

    def to(order_id, status, body=None):
        return status_of("POST", f"/v2/oms/orders/{order_id}/change-status/to/{status}", body)

    order_id = order_in("new")
    ttn = f"/v1/oms/orders/{order_id}/shipment-number"
    comments = f"/v2/oms/orders/{order_id}/comments"
    assert status_of("PATCH", ttn, {"number": "20450000000001"}) == 422
    assert to(order_id, "confirmed_by_merchant") == 202
    assert to(order_id, "confirmed") == 202
    assert to(order_id, "sent") == 422
    assert status_of("PATCH", ttn, {"number": "20450000000001"}) == 202
    assert status_of("DELETE", ttn) == 204
    assert to(order_id, "sent", {"provider": "nova_poshta", "number": "20450000000002"}) == 202
    assert status_of("POST", comments, {"content": "Відправлено"}) == 204
    assert status_of("GET", comments) == 200
    assert to(order_id, "canceled", {"reason_code": "product_not_available",
                                     "translationKey": "order.cancel_reason.product_not_available",
                                     "comment": "Немає на складі"}) == 202
    assert status_of("GET", f"/v5/oms/orders/{order_id}") == 200  # with its cancel object

    pickup = order_in("confirmed", "pickup")
    assert [to(pickup, status) for status in ("sent", "delivered")] == [202, 202]
    assert to(order_in("new"), "canceled", {"reason_code": "x"}) == 400
    check_recorded_requests(openapi, sandbox)


def test_error_answers_conform(sandbox, openapi):
    missing = "9f0c5a52-0000-4000-8000-000000000000"
    assert call(sandbox, openapi, "GET", f"/v5/oms/orders/{missing}").status_code == 404
    assert call(sandbox, openapi, "GET", "/v3/oms/orders",
                params={"limit": "0"}).status_code == 400
    deleted = sandbox.store.add_order()["id"]
    sandbox.store.delete(deleted)
    assert call(sandbox, openapi, "GET", f"/v6/oms/orders/{deleted}").status_code == 410
    for token in ("not-the-token", None):
        assert call(sandbox, openapi, "GET", "/v3/oms/orders", token=token).status_code == 401
    check_recorded_requests(openapi, sandbox)


def test_the_validator_is_not_blind(sandbox, openapi):
    """A card without its items or with an unknown status must fail validation."""
    order_id = next(iter(sandbox.store.orders))
    response = requests.get(f"{sandbox.url}/v5/oms/orders/{order_id}", timeout=5,
                            headers={"Authorization": f"Bearer {TOKEN}"})
    for breakage in ({"items": None}, {"statusCode": "lost"}):
        response._content = json.dumps({**response.json(), **breakage}).encode()
        with pytest.raises(Exception, match="InvalidData|not valid"):
            check_response(openapi, response)


def test_every_request_the_client_sends_conforms(sandbox, openapi, client):
    """Drive EpicentrClient through each of its calls; what reached the sandbox fits the spec."""
    order = sandbox.store.add_order(statusCode="new", address={"shipment": {"provider": "nova_poshta"}})
    since = datetime.now(timezone.utc) - timedelta(days=3)
    list(client.iter_orders(updated_from=since, created_from=since, statuses=["new"], limit=5))
    client.count_orders(updated_from=since, statuses=["new", "confirmed"])
    client.get_order(order["id"])
    client.get_allowed_statuses(order["id"])
    client.get_cancel_reasons()
    client.change_status(order["id"], "confirmed_by_merchant")
    client.change_status(order["id"], "confirmed")
    client.set_tracking_number(order["id"], "20450000000003")
    client.delete_tracking_number(order["id"])
    client.change_status(order["id"], "sent", provider="nova_poshta", number="20450000000004")
    other = sandbox.store.add_order(statusCode="new")
    client.change_status(other["id"], "canceled", reason_code="product_not_available",
                         translation_key="order.cancel_reason.product_not_available")
    spec_paths = {record.path for record in sandbox.requests if record.path.startswith("/v")}
    assert len(spec_paths) >= 8 and all(r.status < 400 for r in sandbox.requests)
    check_recorded_requests(openapi, sandbox)

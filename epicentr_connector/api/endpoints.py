"""Every Epicentr Merchant API path the connector calls, with its version.

Epicentr versions each endpoint separately. Where a newer version is
preferred but may be missing on a gateway, the older one is its ``fallback``: the client
switches to it only when the newer route itself does not exist ("No route configured"),
never when the route answers that an order does not exist.

Path templates take ``{order_id}`` (an order UUID), ``{status}`` (a status code) and
``{role}`` (a cancel-reason role), ``{request_id}`` (an offers update), ``{offer_id}`` (an
order item's offer), ``{provider}``, ``{participant}``, ``{settlement_id}``, ``{company_id}`` and
``{number}`` (a waybill's), ``{set_code}`` and ``{attribute_code}`` (Epicentr's catalogue
vocabulary); the client fills them in after checking each value.
"""

from typing import NamedTuple


class Endpoint(NamedTuple):
    path: str
    fallback: str | None = None


USER = Endpoint("/v1/my/user")

ORDER_LIST = Endpoint("/v4/oms/orders", fallback="/v3/oms/orders")
ORDER_TOTAL = Endpoint("/v4/oms/orders/total", fallback="/v3/oms/orders/total")
ORDER_CARD = Endpoint("/v6/oms/orders/{order_id}", fallback="/v5/oms/orders/{order_id}")

ALLOWED_STATUSES = Endpoint("/v2/oms/orders/{order_id}/allowed-statuses")
CHANGE_STATUS = Endpoint("/v2/oms/orders/{order_id}/change-status/to/{status}")
SHIPMENT_NUMBER = Endpoint("/v1/oms/orders/{order_id}/shipment-number")
CANCEL_REASONS = Endpoint("/v2/oms/order-cancel-reasons/{role}")
CALL_STATUS = Endpoint("/v2/oms/orders/{order_id}/call-status")
COMMENTS = Endpoint("/v2/oms/orders/{order_id}/comments")
ITEM_QUANTITY = Endpoint("/v3/oms/orders/{order_id}/items/{offer_id}")
ITEM = Endpoint("/v2/oms/orders/{order_id}/items/{offer_id}")

# Prices and availability of the seller's offers: asynchronous, results by request id (kept 14 days).
OFFERS = Endpoint("/v1/offers")
OFFER_RESULTS = Endpoint("/v1/offers/update-results/{request_id}")

# Waybills made through Epicentr, the delivery dictionaries they name, the printable waybill.
SHIPPING = Endpoint("/v3/oms/orders/{order_id}/shipping/{provider}")
SETTLEMENTS = Endpoint("/v3/deliveries/providers/{provider}/participants/{participant}/settlements")
OFFICES = Endpoint("/v3/deliveries/providers/{provider}/participants/{participant}/settlements/{settlement_id}/offices")
WAYBILL_FILE = Endpoint("/v3/deliveries/{provider}/companies/{company_id}/invoice/{number}")

# Epicentr's catalogue vocabulary (PIM): the codes a catalogue feed's offers use. Paged {page, pages, items}.
PIM_CATEGORIES = Endpoint("/v2/pim/categories")
PIM_ATTRIBUTE_SETS = Endpoint("/v2/pim/attribute-sets")
PIM_OPTIONS = Endpoint("/v2/pim/attribute-sets/{set_code}/attributes/{attribute_code}/options")

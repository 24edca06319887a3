"""Epicentr vocabulary the addon relies on: statuses, carriers, payments."""

from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate("epicentr_connector")

# Epicentr's order statuses in words (translated: the Ukrainian ones are the cabinet's names). A
# code not listed here is still stored and shown as received; the order is flagged "unknown status".
STATUS_TITLES = {
    "new": _lt("New"),
    "confirmed_by_merchant": _lt("Confirmed by the seller"),
    "confirmed": _lt("Confirmed"),
    "sent": _lt("Shipped"),
    "delivered": _lt("Ready for pickup"),
    "completed": _lt("Completed"),
    "closed": _lt("Closed"),
    "canceled": _lt("Cancelled"),
    "canceled_by_merchant": _lt("Cancelled by the seller"),
    "return_requested": _lt("Return requested"),
    "returned": _lt("Returned"),
    "completed_merchant_rejection": _lt("Completed (the seller's refusal)"),
    "closed_merchant_rejection": _lt("Closed (the seller's refusal)"),
}


def status_title(env, code):
    """Epicentr's status ``code`` in words, in ``env``'s language (the code itself when unknown)."""
    title = STATUS_TITLES.get(code)
    return title._translate(env.lang) if title else code
# The colour of Epicentr's status badge: waiting for the seller, on its way, done, or ended badly.
STATUS_TONES = {
    "new": "warning",
    **dict.fromkeys(("confirmed_by_merchant", "confirmed", "sent", "delivered"), "info"),
    **dict.fromkeys(("completed", "closed"), "success"),
    **dict.fromkeys(("canceled", "canceled_by_merchant", "return_requested", "returned",
                     "completed_merchant_rejection", "closed_merchant_rejection"), "danger"),
}
# The buyer has the goods: imported as a confirmed, locked order without stock moves.
DONE_STATUSES = frozenset({"completed", "closed"})
# Cancelled or returned: the Odoo order is cancelled.
CANCELLED_STATUSES = frozenset({
    "canceled", "canceled_by_merchant", "returned",
    "completed_merchant_rejection", "closed_merchant_rejection",
})
# Epicentr hides the buyer while the order is "new", and cancels it if the seller does not
# confirm within this many minutes.
CONFIRM_DEADLINE_MINUTES = 120
# A new order with less time than this left to confirm it is "at risk" (a filter of the order list).
AT_RISK_MINUTES = 30

CARRIERS = [
    ("nova_poshta", "Nova Poshta"),
    ("ukrposhta", "Ukrposhta"),
    ("meest", "Meest"),
    ("pickup", "Self-pickup"),
    ("cvz_epicentr", "Epicentr pickup point (Meest)"),
    ("parcel_box_epicentr", "Epicentr parcel locker (Meest)"),
    ("courier_delivery", "Courier"),
    ("other", "Other"),
]
# The services Epicentr makes waybills for (POST /v3/oms/orders/{id}/shipping/{provider}), and
# those whose printable waybill Epicentr gives (Nova Poshta's label comes from Nova Poshta).
WAYBILL_PROVIDERS = ("nova_poshta", "ukrposhta", "meest", "cvz_epicentr", "parcel_box_epicentr")
LABEL_PROVIDERS = ("ukrposhta", "meest", "cvz_epicentr", "parcel_box_epicentr")
PAYMENT_METHODS = [
    ("pay_on_delivery", "Cash on delivery"),
    ("pay_on_pickup", "Pay on pickup"),
    ("easypay", "Card on the site (EasyPay)"),
    ("monobank", "monobank"),
    ("invoice", "Invoice"),
    ("prepayment", "Prepayment"),
    ("credit_pravexbank", "Credit (Pravex Bank)"),
    ("other", "Other"),
]
PAYMENT_STATUSES = [
    ("none", "Not paid (cash on delivery)"),
    ("payment_waiting", "Waiting for payment"),
    ("payment_canceled", "Payment cancelled"),
    ("hold_set", "Paid (money on hold)"),
    ("hold_unset", "Hold released"),
    ("hold_canceled", "Hold cancelled"),
    ("other", "Other"),
]

CABINET_ORDER_URL = "https://admin.epicentrm.com.ua/oms/orders/{uuid}"

# The Odoo events a status rule (and the tracking number switch) can react to.
ODOO_EVENTS = [
    ("order_confirmed", "Quotation confirmed"),
    ("order_cancelled", "Order cancelled"),
    ("delivery_done", "Delivery validated"),
    ("tracking_set", "Tracking number entered"),
]
# The statuses a seller may set; the others are the platform's.
SELLER_STATUSES = [
    ("confirmed_by_merchant", "Confirmed by the seller (Підтверджено продавцем)"),
    ("confirmed", "Confirmed (Підтверджено)"),
    ("sent", "Sent (Відправлено)"),
    ("delivered", "Ready for pickup (Готове до видачі), self-pickup orders"),
    ("canceled", "Cancelled (Скасовано)"),
]
# Who cancelled an order, as Epicentr's cancel.initiatorCode says.
CANCEL_INITIATORS = [
    ("customer", "The buyer"),
    ("call_center", "Epicentr's call centre"),
    ("merchant", "The seller"),
    ("other", "Someone else"),
]
# The reasons a seller may give when cancelling, used when Epicentr's list cannot be read
# (the swagger's OrderCancelWriteModel keys of the merchant and generic families).
FALLBACK_CANCEL_REASONS = [
    ("order.cancel_reason.product_not_available", "Товару немає в наявності"),
    ("order.cancel_reason.price_differs", "Ціна в замовленні не відповідає актуальній"),
    ("order.cancel_reason.delivery_not_available", "Продавець не доставляє в регіон покупця"),
    ("order.cancel_reason.order_not_actual", "Замовлення вже не актуальне для покупця"),
    ("order.merchant_cancel_reason.merchant_product_is_not_available", "Товар відсутній"),
    ("order.merchant_cancel_reason.merchant_price_obsoleted", "Ціна застаріла"),
    ("order.merchant_cancel_reason.merchant_product_is_defective", "Товар має дефект"),
]

# What one call of a scheduled action (sync, outbox) may spend before it hands over to a next
# call, woken at once by a trigger: Odoo kills a cron worker whose pass over the due jobs outlives
# --limit-time-real (120 s by default) or --limit-time-cpu (60 s). A long history import or a big
# outbox is so done in passes of about this many seconds, each resuming from the last commit.
CRON_CALL_SECONDS = 20
# A call past its budget still finishes a page whose cursor did not move (many orders changed in
# one second); past this many seconds more it stops all the same, before Odoo's time limits.
CRON_CALL_OVERRUN_SECONDS = 60
# At most this many requests of one sync in flight at once (epicentr.source.parallel_reads):
# the card reads of a page and the next list page, while the previous page is imported.
MAX_PARALLEL_READS = 4


# --- prices and availability of the seller's offers (/v1/offers) ---
# (selection labels are translated as the fields' own terms)
OFFER_AVAILABILITY = [
    ("in_stock", "In stock"),
    ("under_the_order", "Under the order"),
    ("not_available", "Not available"),
]
OFFER_STATES = [
    ("new", "Not sent yet"),
    ("queued", "Waiting for Epicentr"),
    ("done", "On Epicentr"),
    ("refused", "Refused by Epicentr"),
    ("retry", "Will be sent again"),
]
# At most this many offers in one POST /v1/offers (the help page says 1000, its own error table 200).
OFFER_BATCH = 200
# Epicentr's limit on the offers endpoints: this many requests in this many seconds.
OFFER_RATE = (120, 120)
# Epicentr's answers per offer, in words (an unknown key is shown as received).
OFFER_ERRORS = {
    "batch_update.price.product_in_promotion": _lt("price not changed: the product is in a promotion"),
    "batch_update.item.cache_noop": _lt("Epicentr already has this value"),
    "batch_update.item.duplicate": _lt("the product was named twice in one request"),
    "batch_update.item.not_found": _lt("Epicentr has no such product for this account"),
    "validation.identifier.required": _lt("neither an Epicentr product id nor an SKU"),
    "validation.update_value.required": _lt("neither a price nor an availability"),
    "validation.type": _lt("a value of the wrong type"),
    "validation.positive": _lt("the price must be above zero"),
    "validation.too_low": _lt("the old price must be above the price"),
    "validation.not_null": _lt("an old price needs a price"),
}

# The outcome of the seller's call to the buyer, as Epicentr records it (callStatus).
CALL_STATUSES = [
    ("success", "Reached"),
    ("first_fail", "No answer (1st call)"),
    ("second_fail", "No answer (2nd call)"),
    ("email_sent", "E-mail sent"),
]

# Epicentr's catalogue vocabulary: the types of an attribute's values (PIM attribute sets)
PIM_VALUE_TYPES = [
    ("select", "One option"), ("multiselect", "Several options"), ("string", "Text"), ("text", "Long text"),
    ("integer", "Whole number"), ("float", "Number"),
]
SELECT_TYPES = ("select", "multiselect")

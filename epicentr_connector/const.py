"""Epicentr vocabulary the addon relies on (API-NOTES §3–§4): statuses, carriers, payments."""

# Epicentr's order statuses with the cabinet's Ukrainian names. A code not listed here is
# still stored and shown as received; the order is flagged "unknown status".
STATUS_TITLES = {
    "new": "Нове",
    "confirmed_by_merchant": "Підтверджено продавцем",
    "confirmed": "Підтверджено",
    "sent": "Відправлено",
    "delivered": "Готове до видачі",
    "completed": "Завершено",
    "closed": "Закрито",
    "canceled": "Скасовано",
    "canceled_by_merchant": "Скасовано продавцем",
    "return_requested": "Запит на повернення",
    "returned": "Повернено",
    "completed_merchant_rejection": "Завершено (Відмова продавця)",
    "closed_merchant_rejection": "Закрито (Відмова продавця)",
}
# The buyer has the goods: imported as a confirmed, locked order without stock moves.
DONE_STATUSES = frozenset({"completed", "closed"})
# Cancelled or returned: the Odoo order is cancelled.
CANCELLED_STATUSES = frozenset({
    "canceled", "canceled_by_merchant", "returned",
    "completed_merchant_rejection", "closed_merchant_rejection",
})
# Epicentr hides the buyer while the order is new, and cancels it if the seller does not
# confirm within this many minutes (API-NOTES §4).
HIDDEN_BUYER_STATUS = "new"
CONFIRM_DEADLINE_MINUTES = 120

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

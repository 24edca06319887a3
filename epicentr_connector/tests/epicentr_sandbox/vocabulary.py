"""Epicentr's words as the sandbox speaks them: statuses, the moves a seller and the platform
make, cancel reasons, carriers, the token's user."""

# Epicentr's OrderStatus enum with the cabinet's Ukrainian names.
STATUS_TITLES = {
    "new": "Нове",
    "confirmed_by_merchant": "Підтверджено продавцем",
    "confirmed": "Підтверджено",
    "sent": "Відправлено",
    "delivered": "Готове до видачі",
    "completed": "Завершено",
    "closed": "Закрито",
    "canceled": "Скасовано",
    "returned": "Повернено",
    "return_requested": "Запит на повернення",
    "canceled_by_merchant": "Скасовано продавцем",
    "completed_merchant_rejection": "Завершено (Відмова продавця)",
    "closed_merchant_rejection": "Закрито (Відмова продавця)",
}

# The moves a merchant may make; everything else is the platform's (see merchant_moves()).
MERCHANT_MOVES = {
    "new": ("confirmed_by_merchant", "canceled"),
    "confirmed_by_merchant": ("confirmed", "canceled"),
    "confirmed": ("sent", "canceled"),
    "sent": ("delivered", "canceled"),
}

# What the platform does by itself in live mode: a buyer cancels, a parcel arrives, …
PLATFORM_STEPS = {"new": "canceled", "confirmed_by_merchant": "canceled", "sent": "delivered",
                  "delivered": "completed", "completed": "closed", "return_requested": "returned"}
# … and now and then instead: a parcel refused at the post office (the order is cancelled after it
# was shipped), a buyer asking to return what they received. {status: (step, chance)}
PLATFORM_DETOURS = {"sent": ("canceled", 0.15), "completed": ("return_requested", 0.1)}
REFUSED_AT_OFFICE = "customer_refused_at_office"
# A return Epicentr confirms is of part of the goods this often: the card then holds what the buyer
# keeps (an item removed, a quantity lowered), as it always holds what the buyer pays for.
PARTIAL_RETURN_CHANCE = 0.4

# The swagger's OrderCancelWriteModel.translationKey enum with Ukrainian titles; the reason
# code is the key's last part. {role} of /v2/oms/order-cancel-reasons/{role} is who caused
# the cancellation: the customer_cancel_reason family and the two buyer-side generic reasons
# (the spec's example for /customer is order_not_actual) are "customer", the rest "merchant".
CANCEL_REASONS = {
    "order.cancel_reason.order_not_actual": "Замовлення вже не актуальне для покупця",
    "order.cancel_reason.customer_refused_at_office": "Покупець відмовився у відділенні",
    "order.cancel_reason.product_not_available": "Товару немає в наявності",
    "order.cancel_reason.price_differs": "Ціна в замовленні не відповідає актуальній",
    "order.cancel_reason.delivery_not_available": "Продавець не доставляє в регіон покупця",
    "order.cancel_reason.product_not_available_from_seller": "Товару немає у продавця",
    "order.merchant_cancel_reason.merchant_product_is_not_available": "Товар відсутній",
    "order.merchant_cancel_reason.merchant_price_obsoleted": "Ціна застаріла",
    "order.merchant_cancel_reason.merchant_product_is_defective": "Товар має дефект",
    **{f"order.customer_cancel_reason.customer_{code}": title for code, title in (
        ("failed_to_contact", "Не вдалося зв'язатися з покупцем"),
        ("failed_to_contact_merchant", "Покупець не зміг зв'язатися з продавцем"),
        ("price_obsoleted", "Ціна неактуальна"),
        ("found_cheaper", "Знайшов дешевше"),
        ("shop_pickup_preferred_delivery_price_too_high",
         "Дорога доставка, зручніше самовивіз з магазину"),
        ("delivery_speed_too_slow", "Задовгий термін доставки"),
        ("delivery_type_is_not_suitable", "Не влаштовує спосіб доставки"),
        ("product_characteristics_are_not_suitable", "Не підходять характеристики товару"),
        ("several_packages_delivery_payment_is_not_suitable",
         "Не влаштовує оплата доставки кількох посилок"),
        ("credit_card_payment_is_preferred", "Хоче оплатити карткою"),
        ("get_loan_is_preferred_payment_type", "Хоче оформити кредит"),
        ("account_payment_with_vat_is_preferred", "Потрібна оплата за рахунком з ПДВ"),
        ("account_payment_without_vat_is_preferred", "Потрібна оплата за рахунком без ПДВ"),
        ("order_duplicate", "Дублікат замовлення"),
        ("epic_warranty_is_preferred", "Хоче гарантію Епіцентру"),
        ("changed_mind", "Покупець передумав"),
        ("canceled_at_delivery_office", "Скасував у відділенні доставки"),
        ("no_payment", "Замовлення не оплачене"),
        ("prepayment_required", "Продавець вимагає передоплату"),
        ("long_cc_confirmation", "Довге підтвердження кол-центром"),
        ("long_merchant_confirmation", "Довге підтвердження продавцем"),
        ("dissatisfied_with_the_shipping_cost", "Не влаштовує вартість доставки"),
        ("test", "Тестове замовлення"),
        ("bought_elsewhere_as_a_gift", "Купив деінде або отримав у подарунок"),
        ("not_timely_confirmation_of_the_availability_of_goods",
         "Несвоєчасне підтвердження наявності товару"),
        ("requires_advance_payment_which_is_not_indicated_on_the_website",
         "Вимагають передоплату, не зазначену на сайті"),
        ("wanted_to_check_product", "Хотів оглянути товар"),
        ("shop_pickup_preferred_delivery_speed_too_slow",
         "Довга доставка, зручніше самовивіз з магазину"),
        ("other_reason", "Інша причина"),
        ("not_completed_within_the_specified_time", "Не виконано у встановлений термін"),
        ("too_late_contact", "Зв'язалися занадто пізно"),
    )},
}
_CUSTOMER_GENERIC_REASONS = ("order.cancel_reason.order_not_actual",
                             "order.cancel_reason.customer_refused_at_office")
SHIPMENT_PROVIDERS = ("nova_poshta", "ukrposhta", "pickup", "meest", "cvz_epicentr",
                      "parcel_box_epicentr")

# The token's user for GET /v1/my/user.
USER = {"id": 4127, "firstName": "Ірина", "lastName": "Бондар",
        "email": "iryna.bondar@example.com"}

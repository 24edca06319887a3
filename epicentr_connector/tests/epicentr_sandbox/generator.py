"""Deterministic generator of realistic Epicentr K orders (Ukrainian buyers, goods, carriers).

Everything comes from one ``random.Random(seed)``: the same seed, the same clock reading and
the same sequence of calls give identical orders. An order is generated as the full v6 card
(the superset of all shapes); ``store.py`` derives the list and card views from it.

Tracking numbers (TTN) follow the carriers' public formats:
  nova_poshta    14 digits starting with 20 or 59, e.g. 20450123456789
  ukrposhta      13-digit domestic barcode starting with 05, e.g. 0500012345678
  meest, cvz_epicentr, parcel_box_epicentr (the Meest network): CV + 9 digits + UA,
                 e.g. CV123456789UA
  pickup         none (the seller hands the goods over himself)
"""
import random
import uuid
from datetime import timedelta, timezone

from .catalogue import (
    BUYER_COMMENTS,
    CANCELED,
    CASH_PAYMENTS,
    CATALOGUE,
    CITIES,
    COMPANY_NAMES,
    EMAIL_DOMAINS,
    FEMALE_NAMES,
    HOURS_TO_REACH,
    LAST_NAMES,
    MALE_NAMES,
    MEEST_NETWORK,
    OPERATOR_CODES,
    ORDER_REASON_CODES,
    PATRONYMICS,
    PROVIDERS,
    SETTLED,
    SHIPPED,
    SHOWCASE,
    STATUS_BY_AGE,
    STREETS,
    _TRANSLIT,
)

# A fixed namespace so dictionary ids (settlements, offices, offers) are the same in every sandbox.
_NAMESPACE = uuid.UUID("6f1d8a52-3c5e-4b7a-9d41-0e2b7c9a4f10")

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S+00:00"

# How many points a carrier has in one city, (provider, locker): the branches a buyer picks among.
_BRANCHES = {("nova_poshta", False): 250, ("nova_poshta", True): 400, ("ukrposhta", False): 300,
             ("meest", False): 120, ("cvz_epicentr", False): 3, ("parcel_box_epicentr", False): 20,
             ("pickup", False): 2}


def place(provider, city_row, locker, number):
    """The `settlement` and `office` of the delivery dictionary: branch (or locker) ``number`` of
    ``provider`` in the city of CITIES ``city_row``. All about a branch (address, coordinates)
    follows from its number, so one office id always has one title."""
    city, region, district, lat, lon = city_row
    settlement_id = stable_uuid(f"settlement/{provider}/{city}")
    title = city if region is None else f"{city} - {region} обл."
    if district:
        title += f" - {district} р-н"
    # The spec names the carrier's city reference `external_Id` (capital I); one live
    # client saw `external_id`. We follow the spec.
    settlement = {"id": settlement_id, "external_Id": stable_uuid(f"np-city/{city}"),
                  "title": title, "city": city, "region": region or city}
    if district:
        settlement["district"] = district
    branch = random.Random(f"{provider}/{city}/{locker}/{number}")
    street = f"{branch.choice(STREETS)}, {branch.randint(1, 120)}"
    if provider == "nova_poshta":
        office_title = (f"Поштомат №{20000 + number}: {street}" if locker else
                        f"Відділення №{number} (до 30 кг на одне місце): {street}")
    elif provider == "ukrposhta":
        office_title = f"Відділення {CITIES.index((city, region, district, lat, lon)) * 1000 + number:05d}: {street}"
    elif provider == "meest":
        office_title = f"Відділення №{number} Meest: {street}"
    elif provider == "cvz_epicentr":
        office_title = f"Пункт видачі Meest в ТЦ «Епіцентр К» №{number}: {street}"
    elif provider == "parcel_box_epicentr":
        office_title = f"Поштомат №{1000 + number} (ТЦ «Епіцентр К»): {street}"
    else:
        office_title = f"Самовивіз зі складу продавця: {street}"
    office_id = stable_uuid(f"office/{provider}/{city}/{office_title}")
    office = {"id": office_id, "settlement_id": settlement_id,
              "externalId": stable_uuid("np-office/" + office_id), "title": office_title,
              "address": f"{city}, {street.split('. ', 1)[1]}",
              "latitude": round(lat + branch.uniform(-0.03, 0.03), 6),
              "longitude": round(lon + branch.uniform(-0.03, 0.03), 6)}
    return settlement, office


def format_time(moment):
    """UTC ISO 8601 with an explicit offset, as the API writes it: 2026-10-05T07:42:18+00:00."""
    return moment.astimezone(timezone.utc).strftime(TIME_FORMAT)


def stable_uuid(name):
    return str(uuid.uuid5(_NAMESPACE, name))


def product_id_of(sku):
    """Epicentr's productId of a catalogue sku (the order items and the offers agree on it)."""
    return str(36_700_000 + int(sku[3:]) % 99_991)


def transliterate(text):
    return "".join(_TRANSLIT.get(char, char) for char in text.lower())


def format_phone(digits, style):
    """digits: '380671234567'. The API returns 380…, but buyers' data also comes in other shapes."""
    code, a, b, c = digits[3:5], digits[5:8], digits[8:10], digits[10:12]
    return (digits,
            f"+380 {code} {a} {b} {c}",
            f"0{code}-{a}-{b}-{c}",
            f"(0{code}) {a} {b}{c}")[style]


def payment_status(payment_provider, status, waiting=False):
    """Epicentr's paymentStatus for a payment method at an order status.

    Cash on delivery/pickup is `none`; a card payment is held (`hold_set`) while the order
    is in work, released (`hold_unset`) once settled and cancelled with the order.
    """
    if payment_provider in CASH_PAYMENTS:
        return "none"
    if status in CANCELED:
        return "hold_canceled"
    if status in SETTLED:
        return "hold_unset"
    return "payment_waiting" if status == "new" and waiting else "hold_set"


class OrderFactory:
    """Makes orders; keeps the random state, the buyer pool and the order number sequence."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.company_id = self.uuid()
        self._buyers = []
        self._next_number = self.rng.randint(58_100_000, 58_900_000)

    def uuid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _pick(self, weights):
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def _digits(self, count):
        return "".join(self.rng.choice("0123456789") for _ in range(count))

    # -- history ---------------------------------------------------------------------------

    def history(self, count, days, now):
        """`count` orders created over the last `days` days before `now`, oldest first."""
        window = timedelta(days=days)
        ages = []
        for _ in range(count):
            draw = self.rng.random()
            if draw < 0.08:     # a few fresh ones, still `new`
                age = timedelta(hours=self.rng.uniform(0, 2))
            elif draw < 0.25:   # the last few days: in work
                age = timedelta(hours=self.rng.uniform(2, 96))
            else:
                age = window * self.rng.random()
            ages.append(min(age, window - timedelta(seconds=1)))  # stays inside the window
        ages.sort(reverse=True)
        orders = []
        for index, age in enumerate(ages):
            created_at = (now - age).replace(microsecond=0)
            hours = (now - created_at).total_seconds() / 3600
            status = self._pick(next(w for limit, w in STATUS_BY_AGE if hours < limit))
            traits = SHOWCASE[index] if index < len(SHOWCASE) else {}
            orders.append(self.order(created_at, status, now, **traits))
        return orders

    # -- one order ---------------------------------------------------------------------------

    def order(self, created_at, status, now, **traits):
        """A full order card. `traits` force the showcase features (see SHOWCASE)."""
        rng = self.rng
        created_at, updated_at = self._times(created_at, status, now)
        items = self._items()
        subtotal, provider = round(sum(item["subtotal"] for item in items), 2), self._pick(PROVIDERS)
        settlement, office = self._place(provider)
        buyer = self._buyer(traits)
        address = self._address(buyer, traits, provider, settlement, office, status, subtotal)
        comment_index = traits.get("comment")
        if comment_index is None and rng.random() < 0.25:
            comment_index = rng.randrange(len(BUYER_COMMENTS))
        contractor = self._contractor(address, traits)
        self._next_number += rng.randint(1, 400)
        order = {
            "id": self.uuid(),
            "externalId": None,
            "number": str(self._next_number),
            "companyId": self.company_id,
            "legalEntityId": 2,
            "trustedCompany": True,
            "customerId": buyer["customerId"],
            # The spec types `comment` as a (non-nullable) string: "" when the buyer wrote none.
            "comment": BUYER_COMMENTS[comment_index] if comment_index is not None else "",
            "commentsCount": 0,
            "createdAt": format_time(created_at),
            "updatedAt": format_time(updated_at),
            "statusCode": status,
            "callStatus": "success" if status != "new" and rng.random() < 0.3 else None,
            "subtotal": subtotal,
            # Live clients report `payed` false even on completed prepaid orders.
            "payed": False,
            "skipCustomerContact": traits.get("skip_contact", rng.random() < 0.15),
            "items": items,
            "address": address,
            "cancel": self._cancel(status, updated_at, address["shipment"]),
            "company": None,
            "company_shipments": None,
            "company_payments": None,
            "settlement": settlement,
            "office": office,
            "hasFeedback": status in ("completed", "closed") and rng.random() < 0.3,
            "contractor": contractor,
            "hasPreOrderItems": rng.random() < 0.05,
        }
        # The API may answer a cancelled order with an empty address; not when traits are
        # forced (the showcase, add_order()), so those stay predictable.
        if status in CANCELED and rng.random() < 0.3 and not traits:
            clear_contact(address)
        return order

    def _times(self, created_at, status, now):
        """(created, last changed) of an order that reached ``status`` by ``now``."""
        created_at = created_at.replace(microsecond=0)
        updated_at = created_at + timedelta(hours=HOURS_TO_REACH[status] * self.rng.uniform(0.5, 1.5))
        if updated_at > now:  # reached "early": somewhere between creation and now, not all at now
            updated_at = created_at + (max(now, created_at) - created_at) * self.rng.random()
        return created_at, updated_at.replace(microsecond=0)

    def _contractor(self, address, traits):
        """The contractor block; a company buys: payer and contractor data (add_order() asks for
        none, to stay predictable)."""
        if not traits.get("company", self.rng.random() < 0.05):
            return {"iban": None, "govNumber": None, "isVatpayer": None, "name": None}
        name, gov_number = self.rng.choice(COMPANY_NAMES), self._digits(8)
        address.update(payerName=name, govNumber=gov_number)
        return {"iban": "UA" + self._digits(27), "govNumber": gov_number, "isVatpayer": True, "name": name}

    def _items(self):
        return self.items(self.rng.choices((1, 2, 3, 4, 5), weights=(45, 25, 15, 10, 5))[0])

    def items(self, count):
        """``count`` different catalogue items with their quantities and subtotals."""
        items = []
        for title, sku, external_id, price, measure in self.rng.sample(CATALOGUE, count):
            cheap = price < 300 or measure != "шт."
            quantity = self.rng.randint(1, 8) if cheap else self.rng.choice((1, 1, 1, 2))
            product_id = product_id_of(sku)
            items.append({
                "offerId": stable_uuid("offer/" + sku),
                "productId": product_id,
                "productExternalId": external_id,
                "sku": sku,
                "title": title,
                "image": f"https://cdn.epicentrk.ua/products/{product_id}/main.jpg",
                "url": f"https://epicentrk.ua/ua/shop/{sku.lower()}-{product_id}.html",
                "price": price,
                "quantity": quantity,
                "subtotal": round(price * quantity, 2),
                "measure": measure,
                "ratio": 1,
            })
        return items

    def _place(self, provider):
        """The joined `settlement` and `office` objects of the card (delivery dictionary).

        A shop's buyers gather at the same branches, as on the live platform: the branch of a city
        is drawn with a weight of about 1/rank (the busy central branches first) among as many as
        the carrier has there (place())."""
        rng = self.rng
        city = rng.choice(CITIES)
        locker = provider == "nova_poshta" and rng.random() < 0.15
        number = int((_BRANCHES[provider, locker] + 1) ** rng.random())  # 1 .. count, weight ~ 1/number
        return place(provider, city, locker, number)

    def _person(self):
        rng = self.rng
        female = rng.random() < 0.55
        first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
        last = rng.choice(LAST_NAMES)[1 if female else 0]
        patronymic = rng.choice(PATRONYMICS)[1 if female else 0] if rng.random() < 0.8 else None
        return first, last, patronymic

    def _phone_digits(self):
        return "380" + self.rng.choice(OPERATOR_CODES) + self._digits(7)

    def _buyer(self, traits):
        rng = self.rng
        forced = traits.get("buyer")
        if forced:
            for buyer in self._buyers:  # a showcase buyer who orders again
                if (buyer["firstName"], buyer["lastName"]) == forced[:2]:
                    return buyer
        elif self._buyers and rng.random() < 0.2:
            return rng.choice(self._buyers)
        first, last, patronymic = forced or self._person()
        email = None
        if traits.get("email", rng.random() < 0.75):
            email = (f"{transliterate(first)}.{transliterate(last)}{rng.randint(1, 99)}"
                     f"@{rng.choice(EMAIL_DOMAINS)}")
        buyer = {"firstName": first, "lastName": last, "patronymic": patronymic, "email": email,
                 "phone": self._phone_digits(), "customerId": self.uuid()}
        self._buyers.append(buyer)
        return buyer

    def _address(self, buyer, traits, provider, settlement, office, status, subtotal):
        rng = self.rng
        phone_style = traits.get("phone_style")
        if phone_style is None:
            phone_style = 0 if rng.random() < 0.6 else rng.randint(1, 3)
        alternate = traits.get("alternate_recipient", rng.random() < 0.12)
        if alternate:
            first, last, patronymic = self._person()
            recipient = {"firstName": first, "lastName": last, "patronymic": patronymic,
                         "phone": self._phone_digits()}
        else:
            recipient = {key: buyer[key] for key in ("firstName", "lastName", "patronymic")}
            recipient["phone"] = buyer["phone"]
        if provider == "pickup":
            payment_provider = self._pick({"pay_on_pickup": 70, "easypay": 30})
        else:
            payment_provider = self._pick({"pay_on_delivery": 55, "easypay": 25, "monobank": 20})
        # A card payment not made yet (it only matters while the order is new).
        waiting = traits.get("payment_waiting", rng.random() < 0.3)
        is_free = provider in ("pickup", "cvz_epicentr") or subtotal >= 3000 or rng.random() < 0.3
        shipped = status in SHIPPED or (status == "canceled_by_merchant" and rng.random() < 0.5)
        return {
            "firstName": buyer["firstName"],
            "lastName": buyer["lastName"],
            "patronymic": buyer["patronymic"],
            "email": buyer["email"],
            "phone": format_phone(buyer["phone"], phone_style),
            "isAlternateRecipient": alternate,
            "recipient": recipient,
            "payerName": None,
            "govNumber": None,
            "shipment": {
                "provider": provider,
                "paymentProvider": payment_provider,
                "paymentStatus": payment_status(payment_provider, status, waiting),
                "settlementId": settlement["id"],
                "officeId": office["id"],
                "number": self.ttn(provider) if shipped else None,
                "isFree": is_free,
                "autogenerated": shipped and provider in ("cvz_epicentr", "parcel_box_epicentr"),
                "deliveryPrice": 0 if is_free else rng.choice((55, 70, 85.5, 120, 145)),
            },
        }

    def _cancel(self, status, when, shipment):
        """The cancel object of a cancelled order (None for the others)."""
        if status not in CANCELED:
            return None
        rng = self.rng
        reason = rng.choice(ORDER_REASON_CODES)
        initiator = ("merchant" if status == "canceled_by_merchant"
                     else self._pick({"customer": 50, "merchant": 25, "call_center": 25}))
        previous = ("sent" if shipment["number"]
                    else rng.choice(("new", "confirmed_by_merchant", "confirmed")))
        return {"previousStatusCode": previous,
                "initiatorCode": initiator, "reasonCode": reason, "comment": "",
                "reasonTranslationKey": f"order.cancel_reason.{reason}",
                "createdAt": format_time(when)}

    def ttn(self, provider):
        """A tracking number in the carrier's format (see the module docstring)."""
        if provider == "nova_poshta":
            return self.rng.choice(("20", "59")) + self._digits(12)
        if provider == "ukrposhta":
            return "05" + self._digits(11)
        if provider in MEEST_NETWORK:
            return "CV" + self._digits(9) + "UA"
        return None


def clear_contact(address):
    """Blank the buyer and recipient data in place (what a cancelled order may come back with)."""
    for key in ("firstName", "lastName", "patronymic", "email", "phone", "payerName",
                "govNumber"):
        address[key] = None
    address["isAlternateRecipient"] = False
    address["recipient"] = dict.fromkeys(("firstName", "lastName", "patronymic", "phone"))

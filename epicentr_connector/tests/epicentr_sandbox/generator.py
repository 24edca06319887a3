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

# A fixed namespace so dictionary ids (settlements, offices, offers) are the same in every sandbox.
_NAMESPACE = uuid.UUID("6f1d8a52-3c5e-4b7a-9d41-0e2b7c9a4f10")

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S+00:00"


def format_time(moment):
    """UTC ISO 8601 with an explicit offset, as the API writes it: 2026-10-05T07:42:18+00:00."""
    return moment.astimezone(timezone.utc).strftime(TIME_FORMAT)


def stable_uuid(name):
    return str(uuid.uuid5(_NAMESPACE, name))


# --- people -------------------------------------------------------------------------------

FEMALE_NAMES = ("Олена", "Мар'яна", "Ольга", "Дар'я", "Ірина", "Наталія", "Тетяна", "Юлія",
                "Софія", "Оксана", "Анастасія", "Галина", "Катерина", "Христина")
MALE_NAMES = ("В'ячеслав", "Андрій", "Олександр", "Дмитро", "Сергій", "Тарас", "Богдан",
              "Юрій", "Ігор", "Василь", "Микола", "Назар", "Ілля", "Остап")
# (male form, female form)
PATRONYMICS = (("Петрович", "Петрівна"), ("Іванович", "Іванівна"),
               ("Олександрович", "Олександрівна"), ("В'ячеславович", "В'ячеславівна"),
               ("Миколайович", "Миколаївна"), ("Васильович", "Василівна"),
               ("Юрійович", "Юріївна"), ("Степанович", "Степанівна"),
               ("Богданович", "Богданівна"), ("Григорович", "Григорівна"))
LAST_NAMES = (("Коваленко", "Коваленко"), ("Григор'єв", "Григор'єва"), ("Кузьмич", "Кузьмич"),
              ("Шевченко", "Шевченко"), ("Бондаренко", "Бондаренко"), ("Ткачук", "Ткачук"),
              ("Мельник", "Мельник"), ("Олійник", "Олійник"), ("Кравець", "Кравець"),
              ("Лисенко", "Лисенко"), ("Ковальчук", "Ковальчук"), ("Дем'яненко", "Дем'яненко"),
              ("Руденко", "Руденко"), ("Соловйов", "Соловйова"), ("Поліщук", "Поліщук"),
              ("Остап'юк", "Остап'юк"), ("Яковлєв", "Яковлєва"), ("Білоус", "Білоус"),
              ("Мазур", "Мазур"), ("Бойко", "Бойко"), ("Гнатюк", "Гнатюк"), ("Вовк", "Вовк"))
OPERATOR_CODES = ("50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99")
EMAIL_DOMAINS = ("gmail.com", "ukr.net", "i.ua", "meta.ua")
COMPANY_NAMES = ("ТОВ «Будмайстер-Захід»", "ФОП Литвин Р. С.", "ТОВ «Агроцентр Поділля»")

_TRANSLIT = dict(zip(
    "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя'",
    ("a", "b", "v", "h", "g", "d", "e", "ie", "zh", "z", "y", "i", "i", "i", "k", "l", "m",
     "n", "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "iu", "ia", "")))


def transliterate(text):
    return "".join(_TRANSLIT.get(char, char) for char in text.lower())


def format_phone(digits, style):
    """digits: '380671234567'. The API returns 380…, but buyers' data also comes in other shapes."""
    code, a, b, c = digits[3:5], digits[5:8], digits[8:10], digits[10:12]
    return (digits,
            f"+380 {code} {a} {b} {c}",
            f"0{code}-{a}-{b}-{c}",
            f"(0{code}) {a} {b}{c}")[style]


# --- goods --------------------------------------------------------------------------------

# (title, sku, productExternalId, price, measure). productExternalId is the seller's feed code:
# usually equal to the sku, sometimes a different feed id, and None for cards not from a feed.
CATALOGUE = (
    ('Набір головок TOPTUL 1/2" 24 шт. GCAD2402', "TT-7734210", "TT-7734210", 1649.0, "шт."),
    ("Ключ комбінований TOPTUL 13 мм", "TT-1102003", "TT-1102003", 99.0, "шт."),
    ("Набір викруток TOPTUL 6 шт. GAAE0601", "TT-4512060", "TT-4512060", 529.0, "шт."),
    ("Дриль-шурупокрут акумуляторний Makita DF333DWYE 12 В", "MK-3330127", "40112", 4299.0, "шт."),
    ("Болгарка (КШМ) Bosch GWS 750-125", "BS-6013940", "BS-6013940", 2899.0, "шт."),
    ("Перфоратор DeWALT D25133K", "DW-2513300", "DW-2513300", 6499.0, "шт."),
    ("Фарба інтер'єрна Sniezka Eco біла 10 л", "SN-1001010", "SN-1001010", 1125.5, "шт."),
    ("Ґрунтовка глибокого проникнення Ceresit CT 17 10 л", "CR-1710010", "CR-1710010", 689.0,
     "шт."),
    ("Клей для плитки Ceresit CM 11 25 кг", "CR-1125025", "CR-1125025", 329.0, "шт."),
    ("Цемент ПЦ ІІ/А-Ш-500 Dyckerhoff 25 кг", "DY-5000025", "DY-5000025", 219.0, "шт."),
    ("Ламінат Kronopol Parfe Floor 4V дуб Ріміні 8 мм", "KP-4410821", "KP-4410821", 389.9, "м²"),
    ("Шпалери флізелінові Marburg 1,06×10,05 м", "MB-3104800", "MB-3104800", 1399.0, "шт."),
    ("Змішувач для кухні Grohe Eurosmart 33281003", "GR-3328100", "GR-3328100", 3899.0, "шт."),
    ("Унітаз-компакт Cersanit Carina з сидінням", "CS-3104400", "CS-3104400", 4599.0, "шт."),
    ("Лампа світлодіодна Philips A60 10 Вт E27", "PH-6010270", "PH-6010270", 79.9, "шт."),
    ("Подовжувач Legrand 3 гнізда 3 м", "LG-6945560", "LG-6945560", 449.0, "шт."),
    ('Шланг поливальний Cellfast Green ATS2 1/2" 25 м', "CF-1512025", "CF-1512025", 899.0, "шт."),
    ("Газонокосарка електрична Einhell GC-EM 1032", "EH-3400257", "EH-3400257", 3999.0, "шт."),
    ("Секатор Fiskars PowerGear L PX94", "FS-1023628", "FS-1023628", 1199.0, "шт."),
    ("Лопата штикова Fiskars Solid", "FS-1026684", "FS-1026684", 799.0, "шт."),
    ("Сокира Fiskars X7", "FS-1015618", "FS-1015618", 1549.0, "шт."),
    ("Ґрунт універсальний Royal Mix 20 л", "RM-2000020", None, 89.0, "шт."),
    ("Насіння газонної трави «Спортивна» 1 кг", "GT-1000001", None, 259.0, "кг"),
    ("Рулетка Stanley FatMax 5 м", "ST-0337200", "ST-0337200", 599.0, "шт."),
    ("Рівень будівельний Stanley 60 см", "ST-1435530", "ST-1435530", 449.0, "шт."),
    ('Ящик для інструментів Stanley 19"', "ST-1920660", "ST-1920660", 699.0, "шт."),
    ("Стрем'янка алюмінієва Werk 6 сходинок", "WK-6000611", "WK-6000611", 2199.0, "шт."),
    ("Обігрівач масляний Ardesto OFH-11X1", "AR-1100111", "AR-1100111", 2799.0, "шт."),
    ("Кондиціонер Cooper&Hunter Vital CH-S09FTXF2", "CH-0900092", "CH-0900092", 17999.0, "шт."),
    ("Пилосос Rowenta RO3950", "RW-3950000", "RW-3950000", 4699.0, "шт."),
    ("Сковорода Tefal Intuition 26 см", "TF-8170544", "TF-8170544", 899.0, "шт."),
    ("Каструля Ardesto Gemini 3,5 л", "AR-1935035", "AR-1935035", 749.0, "шт."),
    ("Килимок для ванної кімнати 50×80 см сірий", "KV-5080120", None, 349.0, "шт."),
    ("Гардина металева подвійна 2 м", "GD-2000200", None, 589.0, "шт."),
    ("Лоток для котів з бортом", "PT-1000017", None, 189.0, "шт."),
    ("Саморізи по дереву 4×40 мм 200 шт.", "SR-4040200", None, 119.0, "уп."),
    ("Дюбель-цвях 6×40 мм 100 шт.", "DC-6040100", None, 139.0, "уп."),
    ("Герметик силіконовий Soudal санітарний білий 280 мл", "SD-2802801", "SD-2802801", 189.0,
     "шт."),
    ("Піна монтажна Soudal Soudafoam 750 мл", "SD-7507500", "SD-7507500", 299.0, "шт."),
    ("Мангал розкладний сталевий на 8 шампурів", "MG-8000008", "88021", 899.0, "шт."),
    ("Ялинка штучна «Сосна лита» 1,8 м", "YL-1800180", "77310", 2599.0, "шт."),
)

# --- places -------------------------------------------------------------------------------

# (city, region, district or None, latitude, longitude)
CITIES = (
    ("Київ", None, None, 50.4501, 30.5234),
    ("Львів", "Львівська", None, 49.8397, 24.0297),
    ("Харків", "Харківська", None, 49.9935, 36.2304),
    ("Дніпро", "Дніпропетровська", None, 48.4647, 35.0462),
    ("Одеса", "Одеська", None, 46.4825, 30.7233),
    ("Вінниця", "Вінницька", None, 49.2331, 28.4682),
    ("Полтава", "Полтавська", None, 49.5883, 34.5514),
    ("Івано-Франківськ", "Івано-Франківська", None, 48.9226, 24.7111),
    ("Кам'янець-Подільський", "Хмельницька", "Кам'янець-Подільський", 48.6845, 26.5853),
    ("Біла Церква", "Київська", "Білоцерківський", 49.7968, 30.1311),
    ("Житомир", "Житомирська", None, 50.2547, 28.6587),
    ("Ужгород", "Закарпатська", None, 48.6208, 22.2879),
    ("Переліски", "Вінницька", "Барський", 49.0703, 27.6781),
)
STREETS = ("вул. Калинова", "вул. Шевченка", "просп. Незалежності", "вул. Грушевського",
           "вул. Соборна", "вул. Богдана Хмельницького", "вул. Лесі Українки",
           "просп. Перемоги", "вул. Об'їзна", "вул. Садова", "вул. Героїв Майдану",
           "вул. Київська", "вул. Січових Стрільців")

PROVIDERS = {"nova_poshta": 60, "ukrposhta": 12, "meest": 8, "pickup": 6,
             "cvz_epicentr": 8, "parcel_box_epicentr": 6}
MEEST_NETWORK = ("meest", "cvz_epicentr", "parcel_box_epicentr")
CASH_PAYMENTS = ("pay_on_delivery", "pay_on_pickup")

BUYER_COMMENTS = ("Будь ласка, зателефонуйте після 18:00", "Доставка на вихідних, якщо можливо",
                  "<b>терміново</b> — потрібно до п'ятниці",
                  "Упакуйте надійно, це подарунок", "Передзвоніть перед відправкою",
                  "Чи можна оплатити частинами?")

# --- statuses over time ---------------------------------------------------------------------

# (maximum age in hours, {status: weight}): young orders are still in work, old ones are done.
STATUS_BY_AGE = (
    (2, {"new": 70, "confirmed_by_merchant": 15, "confirmed": 5, "canceled": 10}),
    (24, {"confirmed_by_merchant": 25, "confirmed": 40, "sent": 20, "canceled": 15}),
    (96, {"confirmed": 15, "sent": 45, "delivered": 20, "completed": 5, "canceled": 15}),
    (21 * 24, {"sent": 10, "delivered": 20, "completed": 45, "canceled": 15,
               "return_requested": 5, "canceled_by_merchant": 5}),
    (float("inf"), {"closed": 45, "completed": 15, "canceled": 20, "returned": 6,
                    "canceled_by_merchant": 5, "closed_merchant_rejection": 5,
                    "completed_merchant_rejection": 4}),
)
# Roughly how long after creation each status is reached (hours): sets updatedAt.
HOURS_TO_REACH = {"new": 0, "confirmed_by_merchant": 0.5, "confirmed": 2, "sent": 24,
                  "delivered": 72, "completed": 120, "closed": 460, "canceled": 6,
                  "canceled_by_merchant": 72, "return_requested": 288, "returned": 600,
                  "completed_merchant_rejection": 120, "closed_merchant_rejection": 460}
CANCELED = ("canceled", "canceled_by_merchant")
# Statuses at which the parcel has left: they carry a TTN.
SHIPPED = ("sent", "delivered", "completed", "closed", "return_requested", "returned",
           "completed_merchant_rejection", "closed_merchant_rejection")
SETTLED = ("completed", "closed", "returned", "completed_merchant_rejection",
           "closed_merchant_rejection")
# The cancel reasons the spec's ReasonCode enum allows on an order's `cancel.reasonCode`.
ORDER_REASON_CODES = ("order_not_actual", "product_not_available", "price_differs",
                      "delivery_not_available")

# Fixed traits of the first generated orders, so every sandbox shows the awkward cases.
SHOWCASE = (
    {"buyer": ("Мар'яна", "Григор'єва", "Степанівна"), "comment": 2},
    {"buyer": ("В'ячеслав", "Остап'юк", "Миколайович"), "alternate_recipient": True},
    {"buyer": ("Ольга", "Кузьмич", "Петрівна"), "phone_style": 0, "email": False},
    {"buyer": ("Ольга", "Кузьмич", "Петрівна"), "phone_style": 2,
     "skip_contact": True},
)


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
        created_at = created_at.replace(microsecond=0)
        reached = timedelta(hours=HOURS_TO_REACH[status] * rng.uniform(0.5, 1.5))
        updated_at = created_at + reached
        if updated_at > now:  # reached "early": somewhere between creation and now, not all at now
            updated_at = created_at + (max(now, created_at) - created_at) * rng.random()
        updated_at = updated_at.replace(microsecond=0)

        items = self._items()
        subtotal = round(sum(item["subtotal"] for item in items), 2)
        provider = self._pick(PROVIDERS)
        settlement, office = self._place(provider)
        buyer = self._buyer(traits)
        address = self._address(buyer, traits, provider, settlement, office, status, subtotal)
        comment_index = traits.get("comment")
        if comment_index is None and rng.random() < 0.25:
            comment_index = rng.randrange(len(BUYER_COMMENTS))
        contractor = {"iban": None, "govNumber": None, "isVatpayer": None, "name": None}
        if rng.random() < 0.05:  # a company buys: payer and contractor data
            name, gov_number = rng.choice(COMPANY_NAMES), self._digits(8)
            address.update(payerName=name, govNumber=gov_number)
            contractor = {"iban": "UA" + self._digits(27), "govNumber": gov_number,
                          "isVatpayer": True, "name": name}
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

    def _items(self):
        count = self.rng.choices((1, 2, 3, 4, 5), weights=(45, 25, 15, 10, 5))[0]
        items = []
        for title, sku, external_id, price, measure in self.rng.sample(CATALOGUE, count):
            cheap = price < 300 or measure != "шт."
            quantity = self.rng.randint(1, 8) if cheap else self.rng.choice((1, 1, 1, 2))
            product_id = str(36_700_000 + int(sku[3:]) % 99_991)
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
        """The joined `settlement` and `office` objects of the card (delivery dictionary)."""
        rng = self.rng
        city, region, district, lat, lon = rng.choice(CITIES)
        street, house = rng.choice(STREETS), rng.randint(1, 120)
        place = f"{street}, {house}"
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
        number = rng.randint(1, 250)
        if provider == "nova_poshta":
            office_title = (f"Поштомат №{rng.randint(20000, 49999)}: {place}"
                            if rng.random() < 0.15 else
                            f"Відділення №{number} (до 30 кг на одне місце): {place}")
        elif provider == "ukrposhta":
            office_title = f"Відділення {rng.randint(1000, 99999):05d}: {place}"
        elif provider == "meest":
            office_title = f"Відділення №{number} Meest: {place}"
        elif provider == "cvz_epicentr":
            office_title = f"Пункт видачі Meest в ТЦ «Епіцентр К» №{number % 60 + 1}: {place}"
        elif provider == "parcel_box_epicentr":
            office_title = f"Поштомат №{rng.randint(1000, 9999)} (ТЦ «Епіцентр К»): {place}"
        else:
            office_title = f"Самовивіз зі складу продавця: {place}"
        office_id = stable_uuid(f"office/{provider}/{city}/{office_title}")
        office = {"id": office_id, "settlement_id": settlement_id,
                  "externalId": stable_uuid("np-office/" + office_id), "title": office_title,
                  "address": f"{city}, {place.split('. ', 1)[1]}",
                  "latitude": round(lat + rng.uniform(-0.03, 0.03), 6),
                  "longitude": round(lon + rng.uniform(-0.03, 0.03), 6)}
        return settlement, office

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

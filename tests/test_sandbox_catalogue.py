"""The Epicentr sandbox's product vocabulary and feed check over real HTTP with plain `requests`:
the PIM reads (/v2/pim/categories, attribute-sets, options: pages, filters, 404s, auth), the
catalogue's goods in their leaf categories, check_feed's rules one by one, the pictures' size
read from their JPEG bytes, and POST /__sandbox__/feed/check reading a feed served on 127.0.0.1.
"""
import collections
import io
import math
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote
from xml.sax.saxutils import escape

import pytest
import requests

from epicentr_sandbox import Sandbox
from epicentr_sandbox.catalogue import CATALOGUE
from epicentr_sandbox.feed import MEASURES, check_feed, jpeg_size
from epicentr_sandbox.pim import (CATALOGUE_CATEGORY, CATALOGUE_PARAMS, COLORS, LANGS, PAGE_SIZE,
                                  PIM)
from sandbox_helpers import call, get

SKU = "MK-3330127"  # Дриль-шурупокрут акумуляторний Makita DF333DWYE 12 В, 4299.0
CATEGORIES, SETS = "/v2/pim/categories", "/v2/pim/attribute-sets"
PICTURE = "https://cdn.example.com/p/1.jpg"


def options_path(set_code, attribute_code):
    return f"{SETS}/{set_code}/attributes/{attribute_code}/options"


@pytest.fixture(scope="module")
def sb():
    with Sandbox(orders=2, seed=5) as sandbox:
        yield sandbox


def all_pages(sb, path, params=None):
    """Every item of a PagedCollection, following its pages; and how many pages there were."""
    items, page, pages = [], 1, 1
    while page <= pages:
        body = get(sb, path, {**(params or {}), "page": page})
        assert set(body) == {"page", "pages", "items"} and body["page"] == page
        assert len(body["items"]) <= PAGE_SIZE
        items += body["items"]
        pages, page = body["pages"], page + 1
    return items, pages


def expect_error(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == status and body["message"]
    return body


# ---------------------------------------------------------------- the PIM over HTTP


def test_categories_come_back_across_pages(sb):
    items, pages = all_pages(sb, CATEGORIES)
    assert len(PIM.categories) > PAGE_SIZE and pages == math.ceil(len(PIM.categories) / PAGE_SIZE)
    assert [c["code"] for c in items] == list(PIM.categories)
    assert items == list(PIM.categories.values())
    past_the_end = get(sb, CATEGORIES, {"page": pages + 1})
    assert past_the_end == {"page": pages + 1, "pages": pages, "items": []}
    assert get(sb, CATEGORIES)["page"] == 1  # no page: the first


def test_categories_filter_has_child(sb):
    parents, _pages = all_pages(sb, CATEGORIES, {"filter[hasChild]": "true"})
    leaves, _pages = all_pages(sb, CATEGORIES, {"filter[hasChild]": "false"})
    assert parents and all(c["hasChild"] and not c["attributeSets"] for c in parents)
    assert leaves and all(not c["hasChild"] and len(c["attributeSets"]) == 1 for c in leaves)
    assert {c["code"] for c in parents + leaves} == set(PIM.categories)
    assert [c["code"] for c in leaves if c["deleted"]] == ["facade_paint"]
    for value in ("maybe", "1", ""):
        expect_error(call(sb, "GET", CATEGORIES, params={"filter[hasChild]": value}), 400)


def test_attribute_sets_pages_and_codes_filter(sb):
    items, pages = all_pages(sb, SETS)
    assert pages == 2 and [s["code"] for s in items] == list(PIM.attribute_sets)
    chosen = get(sb, SETS, {"filter[codes][]": ["lamp", "drill_driver", "no_such_set"]})
    assert chosen["pages"] == 1
    assert [s["code"] for s in chosen["items"]] == ["drill_driver", "lamp"]  # the API's order
    assert get(sb, SETS, {"filter[codes][]": "no_such_set"})["items"] == []


def test_attribute_options(sb):
    colours, pages = all_pages(sb, options_path("drill_driver", "color"))
    assert pages == 2 and [o["code"] for o in colours] == list(COLORS)
    assert all(get(sb, options_path(code, "color"))["items"] == colours[:PAGE_SIZE]
               for code in ("lamp", "toilet", "grill"))  # the same colours in every set
    power = get(sb, options_path("lawn_mower", "power_source"))["items"]
    assert [o["code"] for o in power] == ["mains", "battery", "petrol"]
    assert power[0]["translations"] == [{"languageCode": "ua", "title": "Мережа 230 В"},
                                        {"languageCode": "ru", "title": "Сеть 230 В"}]
    assert get(sb, options_path("drill_driver", "voltage_v")) == {"page": 1, "pages": 1, "items": []}


def test_unknown_set_or_attribute_is_a_404(sb):
    for path in (options_path("no_such_set", "color"), options_path("drill_driver", "no_such"),
                 options_path("drill_driver", "volume_l")):  # an attribute of another set
        assert expect_error(call(sb, "GET", path), 404) == {"message": "entity.not_found",
                                                            "code": 404}


def test_bad_queries_are_400s(sb):
    expect_error(call(sb, "GET", CATEGORIES, params={"page": "0"}), 400)
    expect_error(call(sb, "GET", SETS, params={"page": "two"}), 400)
    body = expect_error(call(sb, "GET", CATEGORIES, params={"filter[codes][]": "tools"}), 400)
    assert "filter[codes][]" in body["errors"]
    expect_error(call(sb, "GET", SETS, params={"filter[hasChild]": "true"}), 400)


def test_pim_needs_the_token(sb):
    sb.clear_requests()
    paths = (CATEGORIES, SETS, options_path("drill_driver", "color"))
    for path in paths:
        for token in (None, "wrong"):
            assert expect_error(call(sb, "GET", path, token=token), 401) == {
                "message": "Unauthorized", "code": 401}
    assert [r.status for r in sb.requests] == [401] * 6


# ---------------------------------------------------------------- the vocabulary's data


def test_the_tree_is_consistent():
    for category in PIM.categories.values():
        parent = category["parentCode"]
        assert parent is None or PIM.categories[parent]["hasChild"]
        children = [c for c in PIM.categories.values() if c["parentCode"] == category["code"]]
        assert category["hasChild"] == bool(children)
        assert [t["languageCode"] for t in category["translations"]] == list(LANGS)
        for entry in category["attributeSets"]:
            assert entry["code"] in PIM.attribute_sets and entry["code"] != category["code"]
    assert sum(c["parentCode"] is None for c in PIM.categories.values()) >= 8


def test_every_set_has_color_and_its_own_attributes():
    for code, attribute_set in PIM.attribute_sets.items():
        attributes = attribute_set["attributes"]
        color = attributes[0]
        assert color["code"] == "color" and color["type"] == "select" and not color["isRequired"]
        assert PIM.option_codes(code, "color") == list(COLORS)
        assert 2 <= len(attributes) - 1 <= 4
        assert any(a["isRequired"] and a["type"] == "select" for a in attributes), code
        for attribute in attributes:
            assert attribute["type"] in ("select", "multiselect", "string", "integer", "float",
                                         "text")
            has_options = bool(PIM.options[code, attribute["code"]])
            assert has_options == (attribute["type"] in ("select", "multiselect"))
            assert [t["languageCode"] for t in attribute["translations"]] == list(LANGS)


def test_every_catalogue_good_is_in_an_open_leaf():
    assert set(CATALOGUE_CATEGORY) == {sku for _title, sku, *_rest in CATALOGUE}
    for sku, code in CATALOGUE_CATEGORY.items():
        leaf = PIM.categories[code]
        assert not leaf["hasChild"] and not leaf["deleted"], sku
        [entry] = leaf["attributeSets"]
        required = {a["code"] for a in PIM.attribute_sets[entry["code"]]["attributes"]
                    if a["isRequired"]}
        assert set(CATALOGUE_PARAMS[sku]) == required, sku
    assert {c["code"] for c in PIM.leaves()} == set(CATALOGUE_CATEGORY.values())


# ---------------------------------------------------------------- check_feed


def jpeg(width, height):
    """The head of a baseline JPEG up to its frame header (APP0 JFIF, SOF0 with 3 components):
    all a size check reads."""
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = (b"\xff\xc0\x00\x11\x08" + height.to_bytes(2, "big") + width.to_bytes(2, "big")
            + b"\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01")
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def params_xml(sku):
    """The params a valid offer of `sku` carries: its set's required attributes, a colour,
    the measure and the four dimensions."""
    set_code = PIM.categories[CATALOGUE_CATEGORY[sku]]["attributeSets"][0]["code"]
    values = {"color": "black", **CATALOGUE_PARAMS[sku]}
    parts = []
    for code, value in values.items():
        attribute = PIM.attribute(set_code, code)
        title = attribute["translations"][0]["title"]
        if attribute["type"] in ("select", "multiselect"):
            parts.append(f'<param name="{title}" paramcode="{code}" valuecode="{value}">'
                         f"{escape(value)}</param>")
        else:
            parts.append(f'<param name="{title}" paramcode="{code}" lang="ua">{escape(value)}</param>')
    parts.append('<param name="Одиниця виміру" paramcode="measure" valuecode="measure_pcs">шт.</param>')
    parts += [f'<param name="{code}" paramcode="{code}">{value}</param>'
              for code, value in (("weight", 1500), ("width", 300), ("height", 250), ("length", 90))]
    return "".join(parts)


def offer(sku=SKU, offer_id=None, available="true", **parts):
    """A valid <offer> of a catalogue good; each keyword replaces one part ("" drops it)."""
    title, _sku, _external_id, price, _measure = next(row for row in CATALOGUE if row[1] == sku)
    leaf = CATALOGUE_CATEGORY[sku]
    xml = {
        "price": f"<price>{price}</price>",
        "category": f'<category code="{leaf}">{PIM.categories[leaf]["translations"][0]["title"]}</category>',
        "attribute_set": f'<attribute_set code="{PIM.categories[leaf]["attributeSets"][0]["code"]}"/>',
        "name": f'<name lang="ua">{escape(title)}</name><name lang="ru">{escape(title)}</name>',
        "description": '<description lang="ua">&lt;p&gt;Надійний &lt;b&gt;товар&lt;/b&gt;&lt;/p&gt;'
                       "</description><description lang=\"ru\"><![CDATA[<p>Надежный</p>]]></description>",
        "picture": f"<picture>{PICTURE}</picture>",
        "vendor": "<vendor>Makita</vendor>",
        "country": '<country_of_origin code="jpn">Японія</country_of_origin>',
        "params": params_xml(sku),
    }
    xml.update(parts)
    return f'<offer id="{sku if offer_id is None else offer_id}" available="{available}">{"".join(xml.values())}</offer>'


def feed(*offers, date="2026-10-10 09:30"):
    return f'<?xml version="1.0" encoding="UTF-8"?><yml_catalog date="{date}"><offers>{"".join(offers)}</offers></yml_catalog>'.encode()


def problems_of(xml, fetch=None):
    return check_feed(xml, fetch)["problems"]


def test_a_valid_offer_passes():
    assert check_feed(feed(offer())) == {"offers": 1, "ok": [SKU], "problems": {}}
    unavailable = offer(available="false", price="<price>4299.50</price>",
                        price_old="<price_old>4999</price_old>")
    assert check_feed(feed(unavailable))["ok"] == [SKU]


def test_every_catalogue_good_makes_a_valid_offer():
    skus = [sku for _title, sku, *_rest in CATALOGUE]
    assert check_feed(feed(*(offer(sku) for sku in skus))) == {
        "offers": len(skus), "ok": skus, "problems": {}}


def param(code, text="", valuecode=None, name="Параметр"):
    value = "" if valuecode is None else f' valuecode="{valuecode}"'
    return f'<param name="{name}" paramcode="{code}"{value}>{text}</param>'


def without(code, sku=SKU):
    """A valid offer's params but `code`."""
    return re.sub(f'<param [^>]*paramcode="{code}"[^>]*>[^<]*</param>', "", params_xml(sku))


PAINT = "SN-1001010"  # in interior_paint (set paint_interior: volume_l, finish required)
BROKEN_OFFERS = [
    ({"available": "yes"}, "available must be true or false, not 'yes'"),
    ({"price": ""}, "price is missing"),
    ({"price": "<price>4299,00</price>"}, "price '4299,00' is not a positive amount"),
    ({"price": "<price>0</price>"}, "price '0' is not a positive amount"),
    ({"price": "<price>-5</price>"}, "price '-5' is not a positive amount"),
    ({"price": "<price>10.999</price>"}, "price '10.999' is not a positive amount with at most 2"),
    ({"price_old": "<price_old>4000</price_old>"}, "price_old 4000 must be above price 4299.0"),
    ({"price_old": "<price_old>4299</price_old>"}, "price_old 4299 must be above price 4299.0"),
    ({"price_old": "<price_old>old</price_old>"}, "price_old 'old' is not a positive amount"),
    ({"category": '<category code="no_such">?</category>'}, "category 'no_such' is unknown"),
    ({"category": ""}, "category code is missing"),
    ({"category": '<category code="power_tools"/>'},
     "category 'power_tools' has subcategories: choose one of its leaves"),
    ({"sku": PAINT, "category": '<category code="facade_paint"/>',
      "attribute_set": '<attribute_set code="paint_facade"/>'},
     "category 'facade_paint' is closed to sellers"),
    ({"sku": PAINT, "attribute_set": '<attribute_set code="paint_facade"/>'},  # the same attributes
     "attribute_set 'paint_facade' is not a set of category 'interior_paint'"),
    ({"attribute_set": '<attribute_set code="no_such"/>'}, "attribute_set 'no_such' is unknown"),
    ({"attribute_set": ""}, "attribute_set code is missing"),
    ({"name": '<name lang="ru">Дрель</name>'}, 'name lang="ua" is missing or empty'),
    ({"name": '<name lang="ua"> </name>'}, 'name lang="ua" is missing or empty'),
    ({"name": '<name lang="ua">Дриль</name><name lang="ru"></name>'}, 'name lang="ru" is empty'),
    ({"name": '<name lang="ua">Дриль</name><name lang="en">Drill</name>'},
     'name lang="en" is neither ua nor ru'),
    ({"description": ""}, 'description lang="ua" is missing or empty'),
    ({"description": '<description lang="ua">Опис <b>жирний</b></description>'},
     'description lang="ua" holds XML elements: escape its HTML or wrap it in CDATA'),
    ({"picture": ""}, "picture is missing: Epicentr needs at least one"),
    ({"picture": "<picture>ftp://cdn.example.com/1.jpg</picture>"},
     "picture 'ftp://cdn.example.com/1.jpg' is not an http(s) URL"),
    ({"picture": "<picture>/images/1.jpg</picture>"}, "picture '/images/1.jpg' is not an http(s)"),
    ({"vendor": "<vendor> </vendor>"}, "vendor (the brand) is missing or empty"),
    ({"vendor": ""}, "vendor (the brand) is missing or empty"),
    ({"country": ""}, "country_of_origin is missing"),
    ({"country": '<country_of_origin code="JPN"/>'}, "country_of_origin code 'JPN' must be three"),
    ({"country": '<country_of_origin code="jp"/>'}, "country_of_origin code 'jp' must be three"),
    ({"country": "<country_of_origin>Японія</country_of_origin>"},
     "country_of_origin code '' must be three lowercase letters"),
    ({"extra": param("voltage", "12")},
     "param voltage is neither an attribute of set 'drill_driver' nor a system param"),
    ({"extra": param("volume_l", "10")},  # an attribute of other sets
     "param volume_l is neither an attribute of set 'drill_driver' nor a system param"),
    ({"extra": param("", "12", name="Напруга")}, "param 'Напруга' has no paramcode"),
    ({"extra": param("voltage_v", "12", name="")}, "param voltage_v has no name"),
    ({"extra": param("chuck_type", "SDS")}, "param chuck_type is neither an attribute"),
    ({"extra": param("color", "Чорний")}, "param color needs a valuecode"),
    ({"extra": param("color", "Рожевий", "rose")},
     "param color: valuecode 'rose' is not an option of attribute color in set 'drill_driver'"),
    ({"extra": param("voltage_v", "12 В")}, "param voltage_v: '12 В' is not a number"),
    ({"extra": param("voltage_v", "10,8")}, "param voltage_v: '10,8' is not a number"),
    ({"extra": param("max_torque_nm", "30.5")}, "param max_torque_nm: '30.5' is not a whole number"),
    ({"params": params_xml(SKU).replace('paramcode="power_source" valuecode="battery"',
                                        'paramcode="power_source"')},
     "param power_source needs a valuecode"),
    ({"params": without("power_source")},
     "param power_source is required by attribute set 'drill_driver'"),
    ({"params": without("weight")},
     "param weight is missing (Epicentr needs weight, width, height and length)"),
    ({"params": params_xml(SKU).replace('paramcode="length">90', 'paramcode="length">9.5')},
     "param length: '9.5' is not a positive whole number of millimetres"),
    ({"params": params_xml(SKU).replace('paramcode="weight">1500', 'paramcode="weight">0')},
     "param weight: '0' is not a positive whole number of grams"),
    ({"params": params_xml(SKU).replace('valuecode="measure_pcs"', 'valuecode="pcs"')},
     "param measure: valuecode 'pcs' is not one of measure_pcs, measure_m2"),
    ({"extra": param("ratio", "0")}, "param ratio: '0' is not a positive number"),
    ({"extra": param("ratio", "abc")}, "param ratio: 'abc' is not a positive number"),
    ({"extra": '<param name="Колір" paramcode="color" valuecode="black" lang="en">Black</param>'},
     'param color: lang="en" is neither ua nor ru'),
]


@pytest.mark.parametrize("parts,message", BROKEN_OFFERS, ids=[m[:48] for _p, m in BROKEN_OFFERS])
def test_each_rule_refuses_the_offer(parts, message):
    parts = dict(parts)
    sku = parts.pop("sku", SKU)
    extra = parts.pop("extra", "")
    available = parts.pop("available", "true")
    if extra:
        parts["params"] = params_xml(sku) + extra
    result = check_feed(feed(offer(sku, available=available, **parts), offer("TT-1102003")))
    assert result["offers"] == 2 and result["ok"] == ["TT-1102003"]
    [problem] = result["problems"][sku]  # that rule alone
    assert problem.startswith(message), problem


def test_multiselect_and_text_attributes():
    pan = "TF-8170544"
    good = param("hob_types", "Газ, індукція", "gas, induction")
    assert check_feed(feed(offer(pan, params=params_xml(pan) + good)))["ok"] == [pan]
    wrong = param("hob_types", "Газ", "gas,wood")
    [problem] = problems_of(feed(offer(pan, params=params_xml(pan) + wrong)))[pan]
    assert problem == "param hob_types: valuecode 'wood' is not an option of attribute hob_types in set 'cookware_item'"
    vacuum = "RW-3950000"
    kit = param("kit_contents", "Пилосос, 3 насадки, мішок")
    assert check_feed(feed(offer(vacuum, params=params_xml(vacuum) + kit)))["ok"] == [vacuum]
    [problem] = problems_of(feed(offer(vacuum, params=params_xml(vacuum) + param("kit_contents", " "))))[vacuum]
    assert problem == "param kit_contents is empty"
    assert all(m in MEASURES for m in ("measure_pcs", "measure_m2", "measure_set"))


def test_offer_ids():
    result = check_feed(feed(offer(), offer(offer_id=""), offer(), offer("TT-1102003")))
    assert result["offers"] == 4 and result["ok"] == [SKU, "TT-1102003"]
    assert result["problems"] == {"#2": ["offer id is missing"],
                                  SKU: [f"offer id '{SKU}' is used by an earlier offer"]}


@pytest.mark.parametrize("xml,message", [
    (feed(offer(), date="10.10.2026"), "yml_catalog date '10.10.2026' is not a date and time"),
    (feed(offer(), date="2026-13-40 09:30"), "yml_catalog date '2026-13-40 09:30' is not"),
    (b'<yml_catalog date="2026-10-10 09:30"><shop/></yml_catalog>',
     "the feed has no <offers> in its <yml_catalog>"),
    (b"<catalog><offers/></catalog>", "the feed's root is <catalog>, Epicentr needs <yml_catalog>"),
    (feed(offer())[:-40], "the feed is not well-formed XML"),
    (b"", "the feed is not well-formed XML"),
])
def test_feed_level_problems(xml, message):
    [problem] = problems_of(xml)["_feed"]
    assert problem.startswith(message), problem


def test_a_feed_is_streamed_offer_by_offer():
    """check_feed reads a file object too, and keeps no checked offer."""
    many = feed(*(offer(offer_id=f"id-{n}") for n in range(300)))
    result = check_feed(io.BytesIO(many))
    assert result["offers"] == 300 and len(result["ok"]) == 300 and result["problems"] == {}


# ---------------------------------------------------------------- pictures


def test_jpeg_size_from_the_frame_header():
    assert jpeg_size(jpeg(800, 600)) == (800, 600)
    assert jpeg_size(b"\x89PNG\r\n\x1a\n") is None
    assert jpeg_size(b"\xff\xd8\xff\xda\x00\x02") is None  # scan data before any frame header
    assert jpeg_size(jpeg(800, 600)[:25]) is None  # cut inside the frame header


def test_jpeg_size_of_real_files():
    image = pytest.importorskip("PIL.Image")
    for options in ({}, {"progressive": True, "quality": 70}):
        data = io.BytesIO()
        image.new("RGB", (640, 512), "white").save(data, "JPEG", **options)
        assert jpeg_size(data.getvalue()) == (640, 512)


def test_pictures_are_fetched_and_measured():
    answers = {
        "https://cdn.example.com/big.jpg": (200, "image/jpeg", jpeg(1000, 800)),
        "https://cdn.example.com/small.jpg": (200, "image/jpeg", jpeg(300, 300)),
        "https://cdn.example.com/narrow.jpg": (200, "image/jpeg", jpeg(1200, 499)),
        "https://cdn.example.com/logo.png": (200, "image/png", b"\x89PNG\r\n\x1a\n"),
        "https://cdn.example.com/gone.jpg": (404, "text/html", b"<h1>Not Found</h1>"),
        "https://cdn.example.com/cut.jpg": (200, "image/jpeg", b"\xff\xd8\xff\xe0\x00"),
    }
    fetched = collections.Counter()

    def fetch(url):
        fetched[url] += 1
        if url not in answers:
            raise ConnectionRefusedError(111, "Connection refused")
        return answers[url]

    def with_pictures(offer_id, *urls):
        return offer(offer_id=offer_id, picture="".join(f"<picture>{u}</picture>" for u in urls))

    result = check_feed(feed(
        with_pictures("a", "https://cdn.example.com/big.jpg"),
        with_pictures("b", "https://cdn.example.com/big.jpg", "https://cdn.example.com/small.jpg"),
        with_pictures("c", "https://cdn.example.com/narrow.jpg", "https://cdn.example.com/logo.png"),
        with_pictures("d", "https://cdn.example.com/gone.jpg", "https://cdn.example.com/cut.jpg"),
        with_pictures("e", "https://down.example.com/1.jpg", "https://cdn.example.com/small.jpg"),
    ), fetch)
    assert result["ok"] == ["a"]
    small = "picture https://cdn.example.com/small.jpg is 300×300, Epicentr needs at least 500×500"
    assert result["problems"] == {
        "b": [small],
        "c": ["picture https://cdn.example.com/narrow.jpg is 1200×499, Epicentr needs at least 500×500",
              "picture https://cdn.example.com/logo.png is not a JPEG (image/png)"],
        "d": ["picture https://cdn.example.com/gone.jpg answered HTTP 404, Epicentr needs 200",
              "picture https://cdn.example.com/cut.jpg is a JPEG whose size cannot be read"],
        "e": ["picture https://down.example.com/1.jpg could not be downloaded: "
              "[Errno 111] Connection refused", small],
    }
    assert set(fetched.values()) == {1}  # each distinct URL once


def test_at_most_so_many_pictures_are_fetched():
    fetched = []

    def fetch(url):
        fetched.append(url)
        return 200, "image/jpeg", jpeg(100, 100)

    offers = [offer(offer_id=f"o{n}", picture=f"<picture>https://cdn.example.com/{n}.jpg</picture>")
              for n in range(5)]
    result = check_feed(feed(*offers), fetch, max_pictures=3)
    assert len(fetched) == 3 and result["ok"] == ["o3", "o4"]  # past the cap: the form only


# ---------------------------------------------------------------- POST /__sandbox__/feed/check


class Web:
    """A tiny HTTP server on 127.0.0.1: path -> (status, content type, body); it counts the
    GETs of each path and keeps their headers."""

    def __init__(self):
        self.routes, self.hits, self.headers = {}, collections.Counter(), []
        lock, web = threading.Lock(), self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                with lock:
                    web.hits[self.path] += 1
                    web.headers.append(dict(self.headers))
                status, content_type, body = web.routes.get(self.path, (404, "text/plain", b"no"))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def web():
    server = Web()
    yield server
    server.close()


def check(sb, body):
    return requests.post(sb.url + "/__sandbox__/feed/check", json=body, timeout=30)


def test_the_sandbox_reads_a_feed_and_its_pictures_over_http(sb, web):
    big, small = web.url + "/img/дриль.jpg", web.url + "/img/small.jpg"  # sent percent-encoded
    web.routes.update({
        quote("/img/дриль.jpg"): (200, "image/jpeg", jpeg(800, 800)),
        "/img/small.jpg": (200, "image/jpeg", jpeg(300, 300)),
        "/feed.xml": (200, "application/xml", feed(
            offer(picture=f"<picture>{big}</picture>"),
            offer("TT-1102003", picture=f"<picture>{big}</picture><picture>{small}</picture>"),
            offer("CR-1125025", picture=f"<picture>{small}</picture>"))),
    })
    sb.clear_requests()
    response = check(sb, {"url": web.url + "/feed.xml"})
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    message = f"picture {small} is 300×300, Epicentr needs at least 500×500"
    assert response.json() == {"offers": 3, "ok": [SKU], "status": 200,
                               "problems": {"TT-1102003": [message], "CR-1125025": [message]}}
    assert web.hits == {"/feed.xml": 1, quote("/img/дриль.jpg"): 1, "/img/small.jpg": 1}
    assert not any("Authorization" in headers for headers in web.headers)
    assert sb.requests == []  # a control endpoint: not in the request log


def test_a_feed_url_that_is_not_200(sb, web):
    response = check(sb, {"url": web.url + "/missing.xml"})
    assert response.status_code == 200
    assert response.json() == {"offers": 0, "ok": [], "status": 404, "problems": {
        "_feed": ["the feed URL answered HTTP 404, Epicentr needs 200"]}}
    web.routes["/empty.xml"] = (204, "application/xml", b"")
    assert check(sb, {"url": web.url + "/empty.xml"}).json()["status"] == 204


def test_a_feed_url_that_does_not_answer(sb):
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    body = check(sb, {"url": f"http://127.0.0.1:{port}/feed.xml"}).json()
    assert body["status"] is None and body["offers"] == 0
    [problem] = body["problems"]["_feed"]
    assert problem.startswith("the feed could not be downloaded: ")


def test_the_check_needs_an_http_url(sb):
    for body in ({}, {"url": "ftp://example.com/feed.xml"}, {"url": 42}):
        expect_error(check(sb, body), 400)

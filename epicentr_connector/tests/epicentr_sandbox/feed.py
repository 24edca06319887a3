"""A seller's catalogue feed read the way Epicentr reads it: the `yml_catalog` XML at a URL,
each offer checked against the PIM (pim.py) and the feed rules; an offer breaking any rule is
refused.

    <yml_catalog date="2026-10-10 09:30"><offers>
      <offer id="TT-1102003" available="true">
        <price>99</price> <price_old>120</price_old>
        <category code="hand_tools">…</category> <attribute_set code="hand_tool">…</attribute_set>
        <name lang="ua">…</name> <name lang="ru">…</name>
        <description lang="ua">&lt;p&gt;…&lt;/p&gt;</description>
        <picture>https://…/1.jpg</picture> <vendor>TOPTUL</vendor>
        <country_of_origin code="twn"/>
        <param name="Тип інструменту" paramcode="tool_type" valuecode="wrench">Ключ</param>
        <param name="Вага" paramcode="weight">150</param> (and width, height, length in mm)
      </offer>
    </offers></yml_catalog>

check_feed() streams the XML (iterparse, each offer dropped once checked) and answers
{"offers": n, "ok": [offer ids], "problems": {offer id or "_feed": [messages]}} (an offer
without an id is "#<position>"). With `fetch`, every picture must answer 200 with a JPEG of at
least 500×500, each distinct URL fetched once, at most MAX_PICTURES of them (the rest are
checked for their form only).

POST /__sandbox__/feed/check {"url": …} downloads the feed and its pictures as Epicentr's
reader does (no credentials, TIMEOUT seconds) and answers that plus "status", the feed URL's
HTTP status (null when it could not be reached). Nothing is recorded.
"""
import http.client
import io
import re
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from datetime import datetime
from decimal import Decimal
from urllib.parse import quote, urlsplit

from werkzeug.routing import Rule

from .pim import LANGS, PIM

FEED = "_feed"  # the key of the feed's own problems
MIN_SIDE = 500  # pixels, both sides of a picture
MAX_PICTURES = 200  # distinct picture URLs fetched in one check
MAX_PICTURE_BYTES = 20 * 1024 * 1024
TIMEOUT = 60  # seconds, the feed and each picture
USER_AGENT = "Epicentr-Sandbox-FeedReader/1.0"
MEASURES = ("measure_pcs", "measure_m2", "measure_m", "measure_kg", "measure_l", "measure_set")
DIMENSIONS = {"weight": "grams", "width": "millimetres", "height": "millimetres",
              "length": "millimetres"}  # system params every offer needs, positive integers
SYSTEM_PARAMS = ("measure", "ratio", *DIMENSIONS)

DATE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
AMOUNT = re.compile(r"\d+(\.\d{1,2})?")
WHOLE = re.compile(r"-?\d+")
NUMBER = re.compile(r"-?\d+(\.\d+)?")
COUNTRY = re.compile(r"[a-z]{3}")
SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # frame headers: the size
STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD8)})  # no length field

CONTROL_RULES = [Rule("/__sandbox__/feed/check", endpoint="feed_check", methods=["POST"])]


# -- pictures ---------------------------------------------------------------------------------

def jpeg_size(data):
    """(width, height) from a JPEG's frame header (SOFn), or None when there is none."""
    if data[:2] != b"\xff\xd8":
        return None
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
        elif marker in STANDALONE_MARKERS:
            pos += 2
        elif marker in (0xD9, 0xDA):  # end of image, start of scan: no frame header before
            return None
        elif marker in SOF_MARKERS:
            if pos + 9 > len(data):
                return None
            height = int.from_bytes(data[pos + 5:pos + 7], "big")
            return int.from_bytes(data[pos + 7:pos + 9], "big"), height
        else:
            pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
    return None


def http_fetch(url, limit=MAX_PICTURE_BYTES):
    """GET `url` without credentials: (status, content type, at most `limit` bytes of body).
    Raises OSError (or http.client.HTTPException) when there is no HTTP answer."""
    try:
        with urllib.request.urlopen(_request(url), timeout=TIMEOUT) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read(limit)
    except urllib.error.HTTPError as error:
        error.close()
        return error.code, error.headers.get("Content-Type", ""), b""


def _request(url):
    """A GET of `url` as Epicentr's reader sends it: no credentials, non-ASCII percent-encoded."""
    return urllib.request.Request(quote(url, safe=":/?#[]@!$&'()*+,;=%~"),
                                  headers={"User-Agent": USER_AGENT})


def is_http_url(url):
    try:
        parts = urlsplit(url or "")
    except ValueError:  # e.g. an unclosed [ of an IPv6 host
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class _Pictures:
    """The pictures of one check: each URL's problems, each distinct URL fetched once."""

    def __init__(self, fetch, limit):
        self.fetch, self.limit, self.seen = fetch, limit, {}

    def check(self, url):
        if not is_http_url(url):
            return [f"picture {url!r} is not an http(s) URL"]
        if self.fetch is None:
            return []
        if url not in self.seen:
            if len(self.seen) >= self.limit:
                return []  # past the cap: its form only
            self.seen[url] = self._problems(url)
        return self.seen[url]

    def _problems(self, url):
        try:
            status, content_type, body = self.fetch(url)
        except (OSError, http.client.HTTPException, ValueError) as error:
            return [f"picture {url} could not be downloaded: {getattr(error, 'reason', error)}"]
        if status != 200:
            return [f"picture {url} answered HTTP {status}, Epicentr needs 200"]
        if body[:2] != b"\xff\xd8":
            return [f"picture {url} is not a JPEG ({content_type or 'no content type'})"]
        size = jpeg_size(body)
        if size is None:
            return [f"picture {url} is a JPEG whose size cannot be read"]
        if min(size) < MIN_SIDE:
            return [f"picture {url} is {size[0]}×{size[1]}, "
                    f"Epicentr needs at least {MIN_SIDE}×{MIN_SIDE}"]
        return []


# -- offers -------------------------------------------------------------------------------------

def _text(element):
    return (element.text or "").strip() if element is not None else ""


def _amount(text):
    """A positive amount with at most 2 decimals, or None."""
    return Decimal(text) if AMOUNT.fullmatch(text) and Decimal(text) > 0 else None


def _check_prices(offer):
    price_element, old_element = offer.find("price"), offer.find("price_old")
    if price_element is None:
        return ["price is missing"]
    price = _amount(_text(price_element))
    if price is None:
        return [f"price {_text(price_element)!r} is not a positive amount with at most 2 decimals"]
    if old_element is None:
        return []
    old_price = _amount(_text(old_element))
    if old_price is None:
        return [f"price_old {_text(old_element)!r} is not a positive amount with at most 2 decimals"]
    return [] if old_price > price else [f"price_old {old_price} must be above price {price}"]


def _check_category(offer):
    """(problems, the attribute set to check the params against or None)."""
    category_code, set_code = (
        element.get("code") if element is not None else None
        for element in (offer.find("category"), offer.find("attribute_set")))
    problems = []
    category = PIM.categories.get(category_code)
    usable = False  # a known leaf open to sellers
    if not category_code:
        problems.append("category code is missing")
    elif category is None:
        problems.append(f"category {category_code!r} is unknown")
    elif category["deleted"]:
        problems.append(f"category {category_code!r} is closed to sellers")
    elif category["hasChild"]:
        problems.append(f"category {category_code!r} has subcategories: choose one of its leaves")
    else:
        usable = True
    if not set_code:
        problems.append("attribute_set code is missing")
        return problems, None
    if set_code not in PIM.attribute_sets:
        problems.append(f"attribute_set {set_code!r} is unknown")
        return problems, None
    if usable and {"code": set_code} not in category["attributeSets"]:
        problems.append(f"attribute_set {set_code!r} is not a set of category {category_code!r}")
    return problems, set_code


def _check_texts(offer):
    problems = []
    for tag in ("name", "description"):
        texts = {}
        for element in offer.findall(tag):
            lang = element.get("lang")
            if lang not in LANGS:
                problems.append(f'{tag} lang="{lang or ""}" is neither ua nor ru')
                continue
            if len(element):
                problems.append(f'{tag} lang="{lang}" holds XML elements: escape its HTML or '
                                "wrap it in CDATA")
            texts[lang] = _text(element)
        if not texts.get("ua"):
            problems.append(f'{tag} lang="ua" is missing or empty')
        if texts.get("ru") == "":
            problems.append(f'{tag} lang="ru" is empty')
    return problems


def _check_param(element, set_code):
    """The problems of one <param>; set_code None: the offer's set is unknown (reported apart)."""
    code, name = element.get("paramcode") or "", (element.get("name") or "").strip()
    text, valuecode = _text(element), (element.get("valuecode") or "").strip()
    if not code:
        return [f"param {name!r} has no paramcode"]
    problems = [] if name else [f"param {code} has no name"]
    if element.get("lang") not in (None, *LANGS):
        problems.append(f'param {code}: lang="{element.get("lang")}" is neither ua nor ru')
    if code == "measure":
        if valuecode not in MEASURES:
            problems.append(f"param measure: valuecode {valuecode!r} is not one of "
                            + ", ".join(MEASURES))
    elif code == "ratio":
        if not NUMBER.fullmatch(text) or Decimal(text) <= 0:
            problems.append(f"param ratio: {text!r} is not a positive number")
    elif code in DIMENSIONS:
        if not WHOLE.fullmatch(text) or int(text) <= 0:
            problems.append(f"param {code}: {text!r} is not a positive whole number of "
                            f"{DIMENSIONS[code]}")
    elif set_code is not None:
        attribute = PIM.attribute(set_code, code)
        if attribute is None:
            problems.append(f"param {code} is neither an attribute of set {set_code!r} "
                            "nor a system param")
        else:
            problems += _check_value(attribute, set_code, text, valuecode)
    return problems


def _check_value(attribute, set_code, text, valuecode):
    code, kind = attribute["code"], attribute["type"]
    if kind in ("select", "multiselect"):
        if not valuecode:
            return [f"param {code} needs a valuecode (an option code of the attribute)"]
        options = PIM.option_codes(set_code, code)
        chosen = [part.strip() for part in valuecode.split(",")] if kind == "multiselect" else [valuecode]
        wrong = [part for part in chosen if part not in options]
        if wrong:
            return [f"param {code}: valuecode {', '.join(map(repr, wrong))} is not an option "
                    f"of attribute {code} in set {set_code!r}"]
    elif kind == "integer" and not WHOLE.fullmatch(text):
        return [f"param {code}: {text!r} is not a whole number"]
    elif kind == "float" and not NUMBER.fullmatch(text):
        return [f"param {code}: {text!r} is not a number"]
    elif kind in ("string", "text") and not text:
        return [f"param {code} is empty"]
    return []


def _check_params(offer, set_code):
    problems, present = [], set()
    for element in offer.findall("param"):
        problems += _check_param(element, set_code)
        present.add(element.get("paramcode"))
    problems += [f"param {code} is missing (Epicentr needs weight, width, height and length)"
                 for code in DIMENSIONS if code not in present]
    if set_code is not None:
        problems += [f"param {a['code']} is required by attribute set {set_code!r}"
                     for a in PIM.attribute_sets[set_code]["attributes"]
                     if a["isRequired"] and a["code"] not in present]
    return problems


def check_offer(offer, pictures):
    """Every problem of one <offer> element (its id and uniqueness are the caller's)."""
    problems = []
    if offer.get("available") not in ("true", "false"):
        problems.append(f"available must be true or false, not {offer.get('available')!r}")
    problems += _check_prices(offer)
    category_problems, set_code = _check_category(offer)
    problems += category_problems
    problems += _check_texts(offer)
    urls = [_text(element) for element in offer.findall("picture")]
    if not urls:
        problems.append("picture is missing: Epicentr needs at least one")
    for url in urls:
        problems += pictures.check(url)
    if not _text(offer.find("vendor")):
        problems.append("vendor (the brand) is missing or empty")
    country = offer.find("country_of_origin")
    if country is None:
        problems.append("country_of_origin is missing")
    elif not COUNTRY.fullmatch(country.get("code") or ""):
        problems.append(f"country_of_origin code {country.get('code') or ''!r} must be three "
                        "lowercase letters (ISO 3166-1 alpha-3, e.g. ukr)")
    return problems + _check_params(offer, set_code)


# -- the feed -----------------------------------------------------------------------------------

def check_feed(xml_bytes, fetch=None, *, max_pictures=MAX_PICTURES):
    """Check a yml_catalog feed (bytes or a binary file object, read as a stream).

    fetch: None (pictures are checked for their form only) or a callable url -> (status,
    content type, body bytes), which may raise OSError. Returns {"offers": n, "ok": [ids],
    "problems": {offer id | "#position" | "_feed": [messages]}}.
    """
    source = io.BytesIO(xml_bytes) if isinstance(xml_bytes, (bytes, bytearray)) else xml_bytes
    result = {"offers": 0, "ok": [], "problems": {}}
    pictures, seen, path = _Pictures(fetch, max_pictures), set(), []
    root = offers = None

    def refuse(key, messages):
        if messages:
            result["problems"].setdefault(key, []).extend(messages)

    try:
        for event, element in ET.iterparse(source, events=("start", "end")):
            if event == "start":
                path.append(element.tag)
                if len(path) == 1:
                    root = element
                    refuse(FEED, _check_root(root))
                elif path == ["yml_catalog", "offers"]:
                    offers = element
                continue
            if path == ["yml_catalog", "offers", "offer"]:
                result["offers"] += 1
                offer_id = (element.get("id") or "").strip()
                key = offer_id or f"#{result['offers']}"
                problems = [] if offer_id else ["offer id is missing"]
                if offer_id and offer_id in seen:
                    problems.append(f"offer id {offer_id!r} is used by an earlier offer")
                seen.add(offer_id)
                problems += check_offer(element, pictures)
                refuse(key, problems)
                if not problems:
                    result["ok"].append(offer_id)
                offers.remove(element)  # a checked offer is not kept: large feeds stream
            path.pop()
    except ET.ParseError as error:
        refuse(FEED, [f"the feed is not well-formed XML: {error}"])
        return result
    if offers is None and root.tag == "yml_catalog":
        refuse(FEED, ["the feed has no <offers> in its <yml_catalog>"])
    return result


def _check_root(root):
    if root.tag != "yml_catalog":
        return [f"the feed's root is <{root.tag}>, Epicentr needs <yml_catalog>"]
    date = root.get("date") or ""
    if not _is_feed_date(date):
        return [f"yml_catalog date {date!r} is not a date and time YYYY-MM-DD HH:MM"]
    return []


def _is_feed_date(text):
    if not DATE.fullmatch(text):
        return False
    try:
        datetime.strptime(text, "%Y-%m-%d %H:%M")
    except ValueError:
        return False
    return True


def check_url(url):
    """Download the feed at `url` and check it with its pictures: check_feed's answer plus
    "status", the feed URL's HTTP status (None when it gave no HTTP answer)."""
    if not isinstance(url, str) or not is_http_url(url):
        raise ValueError('expected {"url": "http(s)://…"}, the address of the feed')
    try:
        response = urllib.request.urlopen(_request(url), timeout=TIMEOUT)
    except urllib.error.HTTPError as error:
        error.close()
        return _unread(error.code, f"the feed URL answered HTTP {error.code}, Epicentr needs 200")
    except (OSError, http.client.HTTPException) as error:
        return _unread(None, f"the feed could not be downloaded: {getattr(error, 'reason', error)}")
    with response:
        if response.status != 200:
            return _unread(response.status,
                           f"the feed URL answered HTTP {response.status}, Epicentr needs 200")
        try:
            result = check_feed(response, http_fetch)
        except (OSError, http.client.HTTPException) as error:
            return _unread(response.status, f"the feed broke off while being read: {error}")
    return {**result, "status": response.status}


def _unread(status, message):
    return {"offers": 0, "ok": [], "problems": {FEED: [message]}, "status": status}

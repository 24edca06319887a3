"""Tracking numbers (TTN) per carrier, checked before anything is sent to Epicentr.

Formats (the carriers' public conventions, not Epicentr rules):
- Nova Poshta: an express waybill of 14 digits starting with 20 or 59;
- Ukrposhta: a 13-digit domestic barcode (05…), or an international S10 number
  (two letters, 9 digits, "UA", e.g. RR123456789UA);
- Meest and Epicentr's Meest pickup points and parcel lockers: an S10-style number
  (e.g. CV123456789UA) or a numeric one of 10–14 digits.
Carriers without a known format (courier, other) accept any number.
"""

import re

from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate("epicentr_connector")

_FORMATS = {
    "nova_poshta": (re.compile(r"(20|59)\d{12}"), _lt("14 digits starting with 20 or 59")),
    "ukrposhta": (re.compile(r"05\d{11}|[A-Z]{2}\d{9}UA"), _lt("13 digits starting with 05, or like RR123456789UA")),
    "meest": (re.compile(r"[A-Z]{2}\d{9}[A-Z]{2}|\d{10,14}"), _lt("like CV123456789UA, or 10 to 14 digits")),
}
_FORMATS["cvz_epicentr"] = _FORMATS["parcel_box_epicentr"] = _FORMATS["meest"]


def normalize_tracking(number):
    """'20 4500 0000 0001 ' -> '20450000000001' (the spaces and dashes people type are dropped)."""
    return re.sub(r"[\s-]", "", number or "").upper()


def expected_tracking_format(carrier, number):
    """None when ``number`` fits the carrier's format, else a (lazily translated) description
    of the format expected."""
    pattern, expected = _FORMATS.get(carrier, (None, None))
    if pattern and not pattern.fullmatch(number):
        return expected
    return None

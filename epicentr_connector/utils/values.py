"""Plain values from Epicentr's JSON: text without control characters, numbers, dates, phones.
Each reader returns a clean Python value or raises ``OrderDataError`` with a sentence a person can
act on."""

import re
from datetime import datetime, timezone

import phonenumbers


class OrderDataError(ValueError):
    """The card lacks something the import needs, or holds a value it cannot read."""


def parse_datetime(value, what="a date"):
    """Epicentr's ISO 8601 UTC text -> naive UTC datetime (how Odoo stores Datetime fields)."""
    if not isinstance(value, str) or not value:
        raise OrderDataError(f"{what} is missing")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise OrderDataError(f"{what} is not a date: {value!r}") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed.replace(microsecond=0)


def normalize_phone(raw, region="UA"):
    """'067-123-45-67', '+380 67 123 45 67', '380671234567' -> '+380671234567'; None if not a phone."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    text = raw.strip()
    if text.startswith("380"):  # Epicentr writes international numbers without the '+'
        text = "+" + text
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# C0 controls but tab and line breaks, and DEL: PostgreSQL refuses NUL in text and jsonb, the
# others are noise a person cannot see. Dropped from every text taken from a card.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value, limit=None):
    """``value`` as text without control characters (so that PostgreSQL accepts it), cut to
    ``limit`` characters when given (a field or a message Epicentr could fill without end)."""
    text = _CONTROL_CHARS.sub("", str(value))
    return text[:limit] if limit else text


def text(value):
    value = clean_text(value) if isinstance(value, str) else value
    return value.strip() if isinstance(value, str) and value.strip() else ""


def money(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise OrderDataError(f"{what} is not a number: {value!r}")
    try:
        return round(float(value), 2)
    except ValueError:
        raise OrderDataError(f"{what} is not a number: {value!r}") from None



def clean_object(value):
    """``value`` if it is a JSON object, else an empty one: a missing or malformed block reads as empty."""
    return value if isinstance(value, dict) else {}


def choice(value, allowed):
    """A code of ``allowed``, "other" for a code the connector does not know, False for none."""
    return (value if value in allowed else "other") if value else False

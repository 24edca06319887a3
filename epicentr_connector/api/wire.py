"""The wire under EpicentrClient: what may go into a URL, what an answer must look like, and
the bounds a broken or hostile server cannot pass. Plain functions, no Odoo import."""

import base64
import email.utils
import ipaddress
import math
import re
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NewConnectionError

from .exceptions import (
    EpicentrAuthError,
    EpicentrError,
    EpicentrNotFound,
    EpicentrProtocolError,
    EpicentrRateLimited,
    EpicentrTransientError,
    EpicentrValidationError,
)

# Bounds against a broken or hostile server: the largest answer read (a list page of 50 orders
# is ~0.2 MB), the longest Retry-After believed, and how long one answer may take to arrive
# in all (the read timeout bounds only the wait for each next chunk).
MAX_ANSWER_BYTES = 16 * 1024 * 1024
MAX_RETRY_AFTER = 24 * 3600
MAX_ANSWER_SECONDS = 120

# Values put into a path must be plain segments, so no input can steer the URL elsewhere.
PATH_VALUE_PATTERNS = {
    "order_id": re.compile(
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    ),
    "status": re.compile(r"[a-z][a-z0-9_]*"),
    "role": re.compile(r"[a-z][a-z0-9_]*"),
    "request_id": re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,63}"),
    "offer_id": re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,63}"),
    "provider": re.compile(r"[a-z][a-z0-9_]*"),
    "participant": re.compile(r"sender|receiver"),
    "settlement_id": re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,63}"),
    "company_id": re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,63}"),
    "number": re.compile(r"[0-9A-Z]{4,32}"),  # a waybill's number (TTN)
    "set_code": re.compile(r"[0-9A-Za-z][0-9A-Za-z_.-]{0,127}"),
    "attribute_code": re.compile(r"[0-9A-Za-z][0-9A-Za-z_.-]{0,127}"),
}

# What a successful read must look like, by name.
SHAPES = {
    "object": "a JSON object",
    "items": "a JSON object with an 'items' list of objects",
    "total": "a JSON object with an integer 'total'",
    "request": "a JSON object with a 'requestId' and an 'items' list of objects",
    "file": "a JSON object with a base64 'file'",
}



def checked_base_url(base_url):
    """``base_url`` without a trailing slash, or ValueError: https only (http for loopback), no
    credentials, query or fragment. The source form checks with it too."""
    parts = urlsplit(base_url.strip() if isinstance(base_url, str) else "")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValueError("the Epicentr base URL has an invalid port") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("the Epicentr base URL must be an https:// URL")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("the Epicentr base URL must not carry credentials, a query or a fragment")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(
            f"plain http is refused for {parts.hostname}: use https (http only for a loopback host)"
        )
    return base_url.strip().rstrip("/")


def checked_token(token):
    """``token`` without surrounding whitespace, or ValueError if it is empty or holds spaces
    or control characters."""
    token = token.strip() if isinstance(token, str) else ""
    if not token or re.search(r"[\x00-\x20\x7f]", token):
        # requests would put an invalid header value, token included, into its error text
        raise ValueError(
            "the Epicentr API token is empty or contains spaces or control characters"
        )
    return token


def is_path_value(name, value):
    """Whether ``value`` may be put into a path as ``name`` (an order id is a UUID, …)."""
    return isinstance(value, str) and bool(PATH_VALUE_PATTERNS[name].fullmatch(value))


def is_order_id(value):
    """Whether ``value`` is an Epicentr order id (a UUID), the only kind put into a path."""
    return is_path_value("order_id", value)


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def order_filters(updated_from=None, updated_to=None, created_from=None, created_to=None, statuses=None, number=None):
    """Query parameters of the order list/total filters, in Epicentr's bracket syntax."""
    params = []
    for name, value in (
        ("filter[updatedAt][from]", updated_from),
        ("filter[updatedAt][to]", updated_to),
        ("filter[createdAt][from]", created_from),
        ("filter[createdAt][to]", created_to),
    ):
        if value is not None:
            params.append((name, _utc_iso(value, name)))
    if isinstance(statuses, str):
        statuses = [statuses]
    params += [("filter[statusCode][]", status) for status in statuses or ()]
    if number is not None:
        params.append(("filter[number]", str(number)))
    return params


def _utc_iso(value, name):
    """``2026-10-05T07:42:18+00:00`` for an aware or naive-UTC datetime."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def has_shape(data, expect):
    if not isinstance(data, dict):
        return False
    if expect == "items":
        items = data.get("items")
        return isinstance(items, list) and all(isinstance(item, dict) for item in items)
    if expect == "total":
        return type(data.get("total")) is int
    if expect == "file":
        try:
            return bool(base64.b64decode(data.get("file"), validate=True))
        except (TypeError, ValueError):
            return False
    if expect == "request":
        return isinstance(data.get("requestId"), str) and bool(data["requestId"]) and has_shape(data, "items")
    return True


def read_body(response, started, method, path):
    """Read the answer into ``response.content``, refusing one over MAX_ANSWER_BYTES or one
    that trickles in for longer than MAX_ANSWER_SECONDS."""
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                raise EpicentrProtocolError(f"the answer is larger than {MAX_ANSWER_BYTES} bytes",
                                            status=response.status_code, method=method, path=path)
            if time.monotonic() - started > MAX_ANSWER_SECONDS:
                raise EpicentrTransientError(f"the answer took longer than {MAX_ANSWER_SECONDS} s",
                                             method=method, path=path)
            chunks.append(chunk)
    finally:
        response.close()
    # what requests itself does once it has read a body: .content and .json() use it
    response._content = b"".join(chunks)
    response._content_consumed = True


def retry_after_seconds(value):
    """Retry-After in seconds (it is either a number of seconds or an HTTP date), or None;
    never more than MAX_RETRY_AFTER."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


def request_was_sent(exc):
    """False when no connection was made, so the request cannot have reached Epicentr."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError) and exc.args:
        return not isinstance(getattr(exc.args[0], "reason", None), NewConnectionError)
    return True


def transport_error(exc, timeout, method, path):
    """The EpicentrTransientError for an exchange that failed in transport (``exc`` from
    requests): a timeout, a connection refused or dropped."""
    sent = request_was_sent(exc)
    if isinstance(exc, requests.ConnectTimeout):
        message = f"could not connect within {timeout[0]} s"
    elif isinstance(exc, requests.ReadTimeout):
        message = f"no answer within {timeout[1]} s"
    elif not sent:
        message = "could not connect"
    else:
        message = f"connection failed ({type(exc).__name__})"
    return EpicentrTransientError(message, request_sent=sent, method=method, path=path)


# Control characters PostgreSQL refuses (NUL) or a person cannot see; Epicentr's own message of an
# error is kept to this many characters.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_MESSAGE_CHARS = 1000


def error_from_answer(response, context, redact):
    """The EpicentrError for an error answer, with Epicentr's own message and details."""
    try:
        body = response.json() if response.content else None
    except ValueError:
        body = None  # an HTML page from a proxy, say: keep only the status line
    message = code = errors = None
    if isinstance(body, dict):
        message, code, errors = body.get("message"), body.get("code"), body.get("errors")
    if isinstance(message, list):  # 422 may carry a list of messages
        errors = errors or message
        message = "; ".join(str(item) for item in message)
    if not isinstance(message, str) or not message:
        message = response.reason or "error"
    details = {"code": code, "errors": errors, **context}
    # it is stored (the source's last error, the outbox, an offer's answer): no NUL, not without end
    message = redact(_UNSTORABLE.sub("", message))[:MAX_MESSAGE_CHARS]
    status = context["status"]
    if status in (401, 403):
        return EpicentrAuthError(message, **details)
    if status in (404, 410):
        return EpicentrNotFound(message, **details)
    if status in (400, 422):
        return EpicentrValidationError(message, **details)
    if status == 429:
        return EpicentrRateLimited(
            message,
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            **details,
        )
    if status >= 500:
        return EpicentrTransientError(message, **details)
    return EpicentrError(message, **details)


def checked_answer(response, expect, context, redact):
    """The parsed answer of shape ``expect`` (see SHAPES; None: none expected, the body is not
    parsed), or the EpicentrError it stands for. ``context``: status, method and path."""
    status = response.status_code
    if 300 <= status < 400:
        raise EpicentrProtocolError(
            "redirect not followed (the token goes only to the configured URL)", **context
        )
    if status >= 400 or status < 200:
        raise error_from_answer(response, context, redact)
    if expect is None:
        return None
    if status in (202, 204) or not response.content:
        raise EpicentrProtocolError(f"empty answer, expected {SHAPES[expect]}", **context)
    try:
        data = response.json()
    except ValueError:
        raise EpicentrProtocolError("the answer is not JSON", **context) from None
    if not has_shape(data, expect):
        raise EpicentrProtocolError(f"unexpected answer, expected {SHAPES[expect]}", **context)
    return data

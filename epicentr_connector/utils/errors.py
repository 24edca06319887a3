"""One vocabulary for what went wrong talking to Epicentr: every client error has a ``kind``
(api/exceptions.py), and this table says each kind to a person, in their language. The
source's connection test and sync, the outbox, the order and its delivery all show
``describe()``'s sentence."""

import re

from odoo.tools.translate import LazyTranslate

from ..api import EpicentrError

_lt = LazyTranslate("epicentr_connector")

MESSAGES = {
    "bad_token": _lt("The API token contains spaces or invisible characters. Copy it again "
                     "from the Epicentr seller cabinet."),
    "bad_address": _lt("The API address %(url)s is not valid: it must be a plain https:// "
                       "address, like %(default)s."),
    "token_refused": _lt("Epicentr rejected the API token (HTTP %(status)s): it is wrong or has "
                         "been revoked. Generate a new token in the Epicentr seller cabinet and "
                         "enter it here."),
    "forbidden": _lt("Epicentr refused: %(detail)s"),
    "rate_limited": _lt("Epicentr is limiting the requests (HTTP 429). Try again in %(seconds)s seconds."),
    "server_error": _lt("Epicentr answered with a server error (HTTP %(status)s). The problem is "
                        "on Epicentr's side; try again in a few minutes."),
    "unreachable": _lt("Cannot reach %(url)s: the host is unreachable or refused the connection. "
                       "Check the API address and this server's Internet access."),
    "timeout": _lt("%(url)s did not answer in time. Try again in a few minutes."),
    "dropped": _lt("%(url)s dropped the connection without answering. Try again in a few minutes."),
    "no_route": _lt("%(url)s does not look like the Epicentr Merchant API (HTTP 404). "
                    "Check the API address."),
    "unexpected_answer": _lt("Epicentr gave an unexpected answer: %(detail)s"),
    "refused": _lt("Epicentr refused: %(detail)s"),
}


def describe(env, error, url, token="", default_url=""):
    """The sentence for ``error`` (an EpicentrError, a ValueError of the client's checks, or
    anything with a message of our own), in ``env``'s language, without the token."""
    if isinstance(error, EpicentrError):
        kind = error.kind
    elif isinstance(error, ValueError) and not isinstance(error, EpicentrError):
        kind = "bad_token" if re.search(r"[\x00-\x20\x7f]", token or "") else "bad_address"
    else:
        return str(error)
    message = MESSAGES[kind]._translate(env.lang) % {
        "url": url, "default": default_url, "status": getattr(error, "status", None),
        "seconds": getattr(error, "retry_after", None) or 60, "detail": _detail(error),
    }
    return message.replace(token, "***") if token else message


def _detail(error):
    """Epicentr's own message, with the per-field reasons of a refused request."""
    detail = getattr(error, "message", None) or str(error)
    if isinstance(getattr(error, "errors", None), dict):
        detail += " (%s)" % "; ".join(f"{field}: {' '.join(map(str, why)) if isinstance(why, list) else why}"
                                      for field, why in error.errors.items())
    return detail

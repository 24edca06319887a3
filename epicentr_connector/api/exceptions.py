"""Errors raised by EpicentrClient.

Every error carries:
    status   the HTTP status, or None when no answer came (timeout, connection error)
    code     Epicentr's own ``code`` from the error body, when there is one
    message  Epicentr's own ``message`` text (or a short description of what went wrong)
    errors   validation details from the body (400/422), else None
    method, path   the request that failed (path only: never the host's query or headers)
    kind     what went wrong, in one word: the key of the message a person reads (utils/errors.py)

The text of an error never contains the API token.
"""

import requests


class EpicentrError(Exception):
    """Any failure talking to Epicentr. Other 4xx answers (405, 409, ...) raise this class."""

    def __init__(self, message, *, status=None, code=None, errors=None, method=None, path=None):
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.method = method
        self.path = path
        where = f"{method} {path}: " if method and path else ""
        answer = f"HTTP {status}: " if status else ""
        super().__init__(f"{where}{answer}{message}")

    kind = "refused"


class EpicentrAuthError(EpicentrError):
    """401/403: the token is wrong or revoked, or it may not do this."""

    @property
    def kind(self):
        return "forbidden" if self.status == 403 else "token_refused"


class EpicentrNotFound(EpicentrError):
    """404/410: the order (or the route) does not exist; 410 means it was deleted."""

    @property
    def kind(self):
        return "no_route" if self.route_missing else "refused"

    @property
    def gone(self):
        return self.status == 410

    @property
    def route_missing(self):
        # Epicentr's gateway answers "No route configured" (or "No route found for ...")
        # for a path it does not know, and {"message": "entity.not_found"} for a missing order.
        return self.status == 404 and str(self.message or "").startswith("No route")


class EpicentrValidationError(EpicentrError):
    """400/422: Epicentr refused the request; ``message`` and ``errors`` say why."""

    kind = "refused"


class EpicentrRateLimited(EpicentrError):
    """429: too many requests; ``retry_after`` is the wait Epicentr asked for, in seconds."""

    kind = "rate_limited"

    def __init__(self, message, *, retry_after=None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class EpicentrTransientError(EpicentrError):
    """5xx, timeout or connection error: trying again later may work.

    ``request_sent`` is False only when no connection could be made (connect timeout,
    refused connection, unknown host): the request certainly did not reach Epicentr.
    When it is True and the request was a write, it may or may not have taken effect.
    """

    def __init__(self, message, *, request_sent=True, **kwargs):
        super().__init__(message, **kwargs)
        self.request_sent = request_sent

    @property
    def kind(self):
        if self.status:
            return "server_error"
        if not self.request_sent:
            return "unreachable"
        return "timeout" if isinstance(self.__cause__, requests.Timeout) else "dropped"


class EpicentrProtocolError(EpicentrError):
    """The answer is not what the API promises: not JSON, a wrong shape, or a redirect."""

    kind = "unexpected_answer"

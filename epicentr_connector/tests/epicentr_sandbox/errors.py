"""The sandbox's error answer, shared by every module (store.py re-exports it)."""


class ApiError(Exception):
    """An answer other than success: becomes the `{message, code[, errors]}` body (with
    `headers`, e.g. Retry-After)."""

    def __init__(self, status, message, errors=None, headers=None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors
        self.headers = headers or {}

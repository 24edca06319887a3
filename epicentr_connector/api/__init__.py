"""The Epicentr Merchant API client: plain Python, no Odoo import (see client.py)."""

from .client import EpicentrClient
from .wire import checked_base_url, is_order_id
from .exceptions import (
    EpicentrAuthError,
    EpicentrError,
    EpicentrNotFound,
    EpicentrProtocolError,
    EpicentrRateLimited,
    EpicentrTransientError,
    EpicentrValidationError,
)

__all__ = [
    "EpicentrAuthError",
    "EpicentrClient",
    "EpicentrError",
    "EpicentrNotFound",
    "EpicentrProtocolError",
    "EpicentrRateLimited",
    "EpicentrTransientError",
    "EpicentrValidationError",
    "checked_base_url",
    "is_order_id",
]

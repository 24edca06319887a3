import logging
import re

import requests

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.epicentr_connector.api import (
    EpicentrAuthError,
    EpicentrClient,
    EpicentrError,
    EpicentrNotFound,
    EpicentrProtocolError,
    EpicentrRateLimited,
    EpicentrTransientError,
    checked_base_url,
)

_logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://merchant-api.epicentrm.com.ua"


class EpicentrSource(models.Model):
    _name = "epicentr.source"
    _inherit = ["mail.thread"]
    _description = "Epicentr Source"
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(
        required=True,
        tracking=True,
        help="How this Epicentr seller account is called in Odoo, e.g. the shop name.",
    )
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        tracking=True,
        help="The Odoo company that sells through this Epicentr account; "
        "its orders are created in this company.",
    )
    api_token = fields.Char(
        string="API Token",
        groups="base.group_system",
        copy=False,
        exportable=False,
        help="The token generated in the Epicentr seller cabinet. "
        "Only Settings administrators can see or change it.",
    )
    base_url = fields.Char(
        string="API Address",
        required=True,
        default=DEFAULT_BASE_URL,
        help="Address of the Epicentr Merchant API. Keep the default "
        "unless Epicentr support tells you otherwise.",
    )
    read_only = fields.Boolean(
        string="Read-only Mode",
        tracking=True,
        help="Never write to Epicentr: orders are imported, but no status, "
        "tracking number or other change is sent back to the marketplace. "
        "Useful while you try the connector out: Epicentr has no test "
        "environment, every change goes to your live seller cabinet.",
    )
    history_days = fields.Integer(
        string="History Depth (days)",
        default=60,
        help="When the source is connected, orders created in this many "
        "last days are imported. Importing history never changes anything "
        "on Epicentr.",
    )
    sync_interval = fields.Integer(
        string="Sync Interval (minutes)",
        default=10,
        help="How often new and changed Epicentr orders are fetched.",
    )
    manager_ids = fields.Many2many(
        "res.users",
        "epicentr_source_manager_rel",
        "source_id",
        "user_id",
        string="Salespeople",
        domain=[("share", "=", False)],
        help="New orders are assigned to these salespeople in turn (round-robin). "
        "Leave empty to import orders without a salesperson.",
    )
    access_user_ids = fields.Many2many(
        "res.users",
        "epicentr_source_access_user_rel",
        "source_id",
        "user_id",
        string="Users with Access",
        domain=[("share", "=", False)],
        help="The users who see the orders of this source.",
    )
    last_sync_at = fields.Datetime(
        string="Last Sync",
        readonly=True,
        copy=False,
        help="Orders changed on Epicentr after this moment are fetched by the next sync.",
    )
    send_tracking = fields.Boolean(
        string="Send Tracking Number",
        help="Send the delivery tracking number (Nova Poshta TTN, Ukrposhta, "
        "Meest …) of the order's delivery to Epicentr.",
    )
    connection_state = fields.Selection(
        [("untested", "Not tested"), ("ok", "Connected"), ("failed", "Failed")],
        string="Connection",
        default="untested",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    connected_as = fields.Char(
        readonly=True,
        copy=False,
        help="The Epicentr user the token belongs to, as Epicentr reported it "
        "at the last successful connection test.",
    )
    last_error = fields.Text(readonly=True, copy=False)

    @api.constrains("base_url")
    def _check_base_url(self):
        for source in self:
            try:
                checked_base_url(source.base_url)
            except ValueError:
                raise ValidationError(self.env._(
                    "The API address of “%(name)s” must be a plain https:// address, "
                    "like %(default)s.",
                    name=source.name, default=DEFAULT_BASE_URL,
                )) from None

    @api.constrains("history_days", "sync_interval")
    def _check_positive_numbers(self):
        for source in self:
            if source.history_days < 0:
                raise ValidationError(self.env._("The history depth cannot be negative."))
            if source.sync_interval < 1:
                raise ValidationError(self.env._("The sync interval must be at least one minute."))

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._clean_connection_vals(vals) for vals in vals_list])

    def write(self, vals):
        vals = self._clean_connection_vals(vals)
        if {"api_token", "base_url"} & vals.keys() and "connection_state" not in vals:
            # New credentials: the previous test result says nothing about them.
            vals.update(connection_state="untested", connected_as=False, last_error=False)
        return super().write(vals)

    @api.model
    def _clean_connection_vals(self, vals):
        """A copy of ``vals`` without the spaces and line breaks a copy-paste brings along."""
        vals = dict(vals)
        for fname in ("api_token", "base_url"):
            if isinstance(vals.get(fname), str):
                vals[fname] = vals[fname].strip() or False
        if vals.get("base_url"):
            vals["base_url"] = vals["base_url"].rstrip("/")
        return vals

    def action_test_connection(self):
        """Ask Epicentr who the token belongs to and store the outcome.

        A failure is stored on the source and reported with a danger
        notification instead of a UserError, so that the stored failure is
        not rolled back with the transaction.
        """
        self.ensure_one()
        if not self.env.user.has_group("epicentr_connector.group_epicentr_manager"):
            raise AccessError(self.env._(
                "Only users with the “Epicentr: manager” right can test the connection."
            ))
        try:
            # One quick retry only: a person is waiting for the answer.
            user = self._get_client(retries=1).get_user()
        except (EpicentrError, ValueError) as exc:
            reason = self._connection_error_message(exc)
            _logger.info("Epicentr source %s: connection test failed: %s", self.id, reason)
            self.write({"connection_state": "failed", "last_error": reason})
            return self._notification(
                "danger", self.env._("Connection to Epicentr failed"), reason, sticky=True,
            )
        connected_as = self._format_epicentr_user(user)
        self.write({"connection_state": "ok", "connected_as": connected_as, "last_error": False})
        return self._notification(
            "success",
            self.env._("Connected to Epicentr"),
            self.env._("The token belongs to %(user)s.", user=connected_as),
        )

    def _get_client(self, **options):
        """Build the API client; the token is read through sudo and goes nowhere else.

        ``options`` are passed on to EpicentrClient (timeout, retries, backoff ...).
        """
        self.ensure_one()
        token = self.sudo().api_token
        if not token:
            raise UserError(self.env._(
                "Source “%(name)s” has no API token. A Settings administrator "
                "must enter the token generated in the Epicentr seller cabinet.",
                name=self.name,
            ))
        lang = "ru" if (self.env.lang or "").startswith("ru") else "uk"
        return EpicentrClient(self.base_url, token, accept_language=lang, **options)

    def _connection_error_message(self, exc):
        """A translated, token-free sentence saying why the connection failed."""
        _ = self.env._
        status = getattr(exc, "status", None)
        token = self.sudo().api_token or ""
        if isinstance(exc, ValueError) and re.search(r"[\x00-\x20\x7f]", token):
            message = _(
                "The API token contains spaces or invisible characters. Copy it again "
                "from the Epicentr seller cabinet."
            )
        elif isinstance(exc, ValueError):
            message = _(
                "The API address %(url)s is not valid: it must be a plain https:// "
                "address, like %(default)s.",
                url=self.base_url, default=DEFAULT_BASE_URL,
            )
        elif isinstance(exc, EpicentrAuthError):
            message = _(
                "Epicentr rejected the API token (HTTP %(status)s): it is wrong or has "
                "been revoked. Generate a new token in the Epicentr seller cabinet and "
                "enter it here.",
                status=status,
            )
        elif isinstance(exc, EpicentrRateLimited):
            message = _(
                "Epicentr is limiting the requests (HTTP 429). Try again in %(seconds)s seconds.",
                seconds=exc.retry_after or 60,
            )
        elif isinstance(exc, EpicentrTransientError) and status:
            message = _(
                "Epicentr answered with a server error (HTTP %(status)s). The problem is "
                "on Epicentr's side; try again in a few minutes.",
                status=status,
            )
        elif isinstance(exc, EpicentrTransientError) and not exc.request_sent:
            message = _(
                "Cannot reach %(url)s: the host is unreachable or refused the connection. "
                "Check the API address and this server's Internet access.",
                url=self.base_url,
            )
        elif isinstance(exc, EpicentrTransientError) and isinstance(exc.__cause__, requests.Timeout):
            message = _(
                "%(url)s did not answer in time. Try again in a few minutes.",
                url=self.base_url,
            )
        elif isinstance(exc, EpicentrTransientError):
            message = _(
                "%(url)s dropped the connection without answering. Try again in a few minutes.",
                url=self.base_url,
            )
        elif isinstance(exc, EpicentrNotFound):
            message = _(
                "%(url)s does not look like the Epicentr Merchant API (HTTP 404). "
                "Check the API address.",
                url=self.base_url,
            )
        elif isinstance(exc, EpicentrProtocolError):
            message = _(
                "Epicentr gave an unexpected answer: %(detail)s",
                detail=exc.message or str(exc),
            )
        else:
            message = _(
                "Epicentr refused the request (HTTP %(status)s): %(detail)s",
                status=status, detail=getattr(exc, "message", None) or str(exc),
            )
        return message.replace(token, "***") if token else message

    @api.model
    def _format_epicentr_user(self, user):
        """“Name <email> (company …)” from whatever the /v1/my/user payload holds."""
        name = user.get("fullName") or user.get("name") or " ".join(
            filter(None, (user.get("firstName"), user.get("lastName")))
        )
        email = user.get("email") or user.get("login")
        company = user.get("company")
        if isinstance(company, dict):
            company = company.get("title") or company.get("name") or company.get("id")
        company = company or user.get("companyName") or user.get("companyId")
        who = name or email or str(user.get("id") or "?")
        if name and email:
            who = f"{name} <{email}>"
        if company:
            who = self.env._("%(user)s (company %(company)s)", user=who, company=company)
        return who

    @api.model
    def _notification(self, kind, title, message, sticky=False):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": kind, "title": title, "message": message, "sticky": sticky},
        }


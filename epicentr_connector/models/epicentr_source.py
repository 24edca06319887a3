import hashlib
import json
import logging
import re
import time
from datetime import timedelta

import requests

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from .. import const
from ..api import (
    EpicentrAuthError,
    EpicentrClient,
    EpicentrError,
    EpicentrNotFound,
    EpicentrProtocolError,
    EpicentrRateLimited,
    EpicentrTransientError,
    EpicentrValidationError,
    checked_base_url,
    is_order_id,
)
from ..utils.order_mapping import clean_text, complete_in_list, parse_datetime
from ..utils.runtime import running_tests
from ..utils.html_text import text_html
from ..utils.switches import switch

_logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://merchant-api.epicentrm.com.ua"
# The addresses anyone who configures sources may choose; any other needs a Settings administrator
# (who may read the token anyway), since the token is sent to whatever address is set.
EPICENTR_BASE_URLS = (DEFAULT_BASE_URL,)
# Orders per list page (one batch, one commit). Epicentr documents no maximum (default 25); 50 is
# what a live-verified client asks for (API-NOTES §2.1). In `make bench`, pages of 100 saved only
# ~1% CPU and 0.6 SQL queries per order: not worth an untried limit on the live API.
PAGE_SIZE = 50
# Each sync asks again for orders changed a little before the cursor, so an order whose
# change is recorded late on Epicentr's side cannot slip between two runs.
SYNC_OVERLAP = timedelta(minutes=5)
# Namespace of the advisory lock that keeps one source from being synced twice at once.
SYNC_LOCK_NAMESPACE = 0x45504331


class EpicentrSource(models.Model):
    _name = "epicentr.source"
    _inherit = ["mail.thread", "mail.activity.mixin"]
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
        tracking=True,
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
        string="Sync Cursor",
        copy=False,
        help="Orders changed on Epicentr after this moment (minus a few minutes of overlap) are "
        "fetched by the next sync. Moving it back makes the next sync fetch again every order "
        "changed since then (nothing is duplicated, but a large window takes time); leave it "
        "empty only together with the history start to import the whole history again.",
    )
    history_start_at = fields.Datetime(
        string="History Starts",
        copy=False,
        help="Orders created before this moment are not imported by the syncs (use Import an "
        "Order by its number for an older one). Set at the first sync from the history depth.",
    )
    history_done = fields.Boolean(string="History Imported", readonly=True, copy=False)
    next_sync_at = fields.Datetime(string="Next Sync", readonly=True, copy=False)
    last_success_at = fields.Datetime(string="Last Successful Sync", readonly=True, copy=False)
    sync_progress = fields.Char(string="Progress", readonly=True, copy=False)
    last_run_created = fields.Integer(string="Created by the Last Sync", readonly=True, copy=False)
    last_run_updated = fields.Integer(string="Updated by the Last Sync", readonly=True, copy=False)
    # {uuid: [number, reason]}: orders that failed to import; every sync tries them again.
    failed_orders = fields.Json(readonly=True, copy=False)
    failed_order_count = fields.Integer(string="Orders Waiting for Retry", compute="_compute_failed_order_count")
    order_count = fields.Integer(string="Orders", compute="_compute_order_count")
    team_id = fields.Many2one(
        "crm.team", string="Sales Team", check_company=True,
        help="The sales team of the imported orders.",
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse", check_company=True,
        help="The warehouse that ships the imported orders (default: the company's).",
    )
    pricelist_id = fields.Many2one(
        "product.pricelist", check_company=True,
        help="The pricelist, and so the currency, of the imported orders: choose one in UAH. "
        "Prices always come from Epicentr; the pricelist does not change them.",
    )
    rule_ids = fields.One2many(
        "epicentr.status.rule", "source_id", string="Status Rules",
        help="What to set on Epicentr when something happens to the order in Odoo. Review them "
        "after the history import: importing never applies them, but every later change does.",
    )
    tracking_on_confirm = fields.Boolean(
        string="When the Quotation Is Confirmed",
        help="Send the tracking number as soon as the order is confirmed (if it has one).")
    tracking_on_delivery_done = fields.Boolean(
        string="When the Delivery Is Validated", default=True,
        help="Send the tracking number once the delivery is validated.")
    tracking_on_tracking_set = fields.Boolean(
        string="As Soon as It Is Entered",
        help="Send the tracking number as soon as it is entered on the delivery.")
    token_revoked = fields.Boolean(
        readonly=True, copy=False,
        help="Epicentr refused the token (HTTP 401): syncs and sends are paused until a working "
        "token is entered and the connection tested.")
    cancel_reasons = fields.Json(readonly=True, copy=False)  # Epicentr's list, cached
    cancel_reasons_at = fields.Datetime(readonly=True, copy=False)
    rr_last_user_id = fields.Many2one(
        "res.users", string="Last Assigned Salesperson", readonly=True, copy=False,
        help="Round-robin pointer: the next order goes to the salesperson after this one.",
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
        vals_list = [self._clean_connection_vals(vals) for vals in vals_list]
        for vals in vals_list:
            self._check_connection_rights(vals)
        rules = [fields.Command.create(v) for v in self.env["epicentr.status.rule"]._default_rule_values()]
        # the form sends rule_ids=[] for a new source: that still means "the default rules"
        vals_list = [{**vals, "rule_ids": vals.get("rule_ids") or rules} for vals in vals_list]
        sources = super().create(vals_list)
        sources.filtered("active")._schedule_sync()
        return sources

    def write(self, vals):
        vals = self._clean_connection_vals(vals)
        self._check_connection_rights(vals)
        # the token goes wherever the address points: whoever may not read it takes it along nowhere
        moved = self.filtered(lambda s: "base_url" in vals and s.base_url != vals["base_url"])
        drop_token = moved and not self._may_handle_token()
        if {"api_token", "base_url"} & vals.keys() and "connection_state" not in vals:
            # New credentials: the previous test result says nothing about them.
            vals.update(connection_state="untested", connected_as=False, last_error=False)
        result = super().write(vals)
        if drop_token:
            super(EpicentrSource, moved.sudo()).write({"api_token": False})
        if {"api_token", "active"} & vals.keys():
            self.filtered("active")._schedule_sync()
        return result

    def _may_handle_token(self):
        """Whether the user may see and set tokens, and so choose where one is sent."""
        return self.env.su or self.env.user.has_group("base.group_system")

    def _check_connection_rights(self, vals):
        if self._may_handle_token():
            return
        if vals.get("api_token"):
            raise AccessError(self.env._("Only Settings administrators can set the API token of an Epicentr source."))
        if vals.get("base_url") and vals["base_url"] not in EPICENTR_BASE_URLS:
            raise AccessError(self.env._(
                "Only Settings administrators can point a source at an address other than Epicentr's (%(url)s).",
                url=DEFAULT_BASE_URL))

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
        self.check_access("write")
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
        self.write({"connection_state": "ok", "connected_as": connected_as, "last_error": False, "token_revoked": False})
        self.env.ref("epicentr_connector.ir_cron_epicentr_push")._trigger()  # paused sends may go
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
        # the "epicentr_client_options" switch tunes the client (tests: a fast back-off)
        options = {**switch(self.env, "epicentr_client_options", {}), **options}
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
            "params": {"type": kind, "title": title, "message": message, "sticky": sticky,
                       "next": {"type": "ir.actions.act_window_close"}},  # the form reloads
        }


    # ------------------------------------------------------------------ sync

    @api.depends("failed_orders")
    def _compute_failed_order_count(self):
        for source in self:
            source.failed_order_count = len(source.failed_orders or {})

    def _compute_order_count(self):
        counts = dict(self.env["sale.order"]._read_group(
            [("epicentr_source_id", "in", self.ids)], ["epicentr_source_id"], ["__count"]))
        for source in self:
            source.order_count = counts.get(source, 0)

    def _schedule_sync(self):
        """Make these sources due now and wake the sync cron (after this transaction commits)."""
        if self:
            self.write({"next_sync_at": fields.Datetime.now()})
            self.env.ref("epicentr_connector.ir_cron_epicentr_sync_orders")._trigger()

    def action_sync_now(self):
        self.ensure_one()
        self._check_manager()
        self._schedule_sync()
        return self._notification(
            "info", self.env._("Sync started"),
            self.env._("Epicentr orders of %(name)s are being fetched in the background; "
                       "reload the page to see the progress.", name=self.name))

    def action_view_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_orders")
        action.update(domain=[("epicentr_source_id", "=", self.id)], context={"create": False})
        return action

    def _check_manager(self):
        if not self.env.user.has_group("epicentr_connector.group_epicentr_manager"):
            raise AccessError(self.env._("Only users with the “Epicentr: manager” right can do this."))
        self.check_access("write")

    @api.model
    def _cron_sync_orders(self):
        """Sync every active source whose interval has elapsed; commits after each page."""
        now = fields.Datetime.now()
        due = self.search([("active", "=", True), "|", ("next_sync_at", "=", False), ("next_sync_at", "<=", now)])
        due = due.filtered(lambda s: s.sudo().api_token and not s.token_revoked)
        # tests run the cron inside their transaction, unless they give it cursors that commit
        commit = switch(self.env, "epicentr_commit", not running_tests())
        deadline = time.monotonic() + const.CRON_CALL_SECONDS
        more = False
        for done, source in enumerate(due):
            if done and time.monotonic() > deadline:
                more = True  # the source stays due
                break
            try:
                stats = source.with_company(source.company_id)._sync_orders(commit=commit, deadline=deadline)
                more |= bool(stats.get("more"))
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
                if not commit:
                    raise
                # Someone changed an order of this page meanwhile (a salesperson, the outbox):
                # nothing is wrong, the source stays due and the next call resumes from the cursor.
                self.env.cr.rollback()
                _logger.info("Epicentr source %s: a page met a concurrent update (%s), retried at the next run",
                             source.id, error.pgcode)
                more = True
            except Exception as error:  # noqa: BLE001 - one source's bug must not stop the others
                if not commit:
                    raise
                self.env.cr.rollback()
                _logger.exception("Epicentr source %s: sync failed", source.id)
                source.write({"last_error": self.env._("The sync failed: %(error)s", error=str(error)),
                              "next_sync_at": now + timedelta(minutes=source.sync_interval)})
            if commit:
                # the cron's own cursor: one source's sync is kept whatever happens to the next one
                self.env.cr.commit()  # pylint: disable=invalid-commit
        if more:
            self.env.ref("epicentr_connector.ir_cron_epicentr_sync_orders")._trigger()

    def _try_sync_lock(self):
        """True if this transaction now holds the sync lock of the source (freed at commit/rollback)."""
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", SYNC_LOCK_NAMESPACE, self.id))
        return self.env.cr.fetchone()[0]

    def _sync_orders(self, commit=False, deadline=None):
        """One sync of this source: on the first run the orders created in the history window,
        later the orders changed since the cursor (minus an overlap). Read-only towards Epicentr.

        ``commit`` (the cron only, never in tests) commits after each page, so a killed run
        resumes from the last committed page; past ``deadline`` (time.monotonic()) it stops after
        the current page with "more". Returns {"created", "updated", "failed", "more"},
        or {"busy": True} when another sync of the source is running.
        """
        self.ensure_one()
        if not self._try_sync_lock():
            return {"busy": True}
        client = self._get_client()
        started = fields.Datetime.now()
        if not self.history_start_at:
            self.history_start_at = started - timedelta(days=self.history_days)
        importer = self.env["epicentr.order.import"]
        stats = {"created": 0, "updated": 0, "failed": dict(self.failed_orders or {}), "more": False}
        error = None
        try:
            if self._retry_failed_orders(client, importer, stats, deadline) and commit:
                # the retried orders stay imported, whatever happens to the pages
                self.write({"failed_orders": stats["failed"]})
                self.env.cr.commit()  # pylint: disable=invalid-commit
                if not self._try_sync_lock():  # the commit freed the lock; another worker took it
                    return {**stats, "busy": True}
            filters = {"created_from": self.history_start_at, "sort": ("updatedAt",),
                       "limit": switch(self.env, "epicentr_page_size") or PAGE_SIZE}
            if self.last_sync_at:
                filters["updated_from"] = self.last_sync_at - SYNC_OVERLAP
            total = None if self.history_done else client.count_orders(created_from=self.history_start_at)
            resumed_from = self.last_sync_at
            for page in client.iter_orders(**filters):
                page = self._listed_orders(page, stats)
                self._import_listed(client, importer, page, stats)
                # a history import runs over several calls: the progress counts what has arrived in all
                arrived = total and self.env["sale.order"].search_count([("epicentr_source_id", "=", self.id)])
                self.write({
                    # never back, and never past now: a change time in the future would skip every later order
                    "last_sync_at": min(max([self.last_sync_at or self.history_start_at, *map(parse_updated_at, page)]),
                                        fields.Datetime.now()),
                    "failed_orders": stats["failed"],
                    "sync_progress": self.env._("%(seen)s of %(total)s orders", seen=min(arrived, total), total=total)
                    if total else False,
                })
                if commit:
                    # cron only (commit=True): a killed run resumes from the last committed page
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                    if not self._try_sync_lock():  # another worker took over between two pages
                        return {**stats, "busy": True}
                # Past the deadline, stop once the cursor has moved: the next call starts a little
                # before it (the overlap), and must not land where this one started again.
                # Far past it, stop anyway: a list whose cursor never moves must not hold the worker.
                overdue = deadline and time.monotonic() > deadline
                if overdue and (not resumed_from or self.last_sync_at > resumed_from
                                or time.monotonic() > deadline + const.CRON_CALL_OVERRUN_SECONDS):
                    stats["more"] = True
                    break
        except EpicentrError as exc:
            error = exc
        # Products created since the last sync heal the quotations waiting for them.
        importer._rematch_products(self.env["sale.order"].search(
            [("epicentr_source_id", "=", self.id), ("epicentr_needs_mapping", "=", True), ("state", "in", ("draft", "sent"))]))
        self._finish_sync(started, stats, error)
        if isinstance(error, EpicentrAuthError) and error.status == 401:
            self._pause_revoked_token(error)
        return stats

    def _import_listed(self, client, importer, page, stats):
        """Import one list page: new or changed orders only, each from its list entry when that
        holds all the import reads, else from its card."""
        fingerprints = {clean_text(item.get("id")): list_fingerprint(item) for item in page}
        known = dict(self.env["sale.order"].search_fetch(
            [("epicentr_source_id", "=", self.id), ("epicentr_order_id", "in", list(fingerprints))],
            ["epicentr_order_id", "epicentr_fingerprint"]).mapped(lambda o: (o.epicentr_order_id, o.epicentr_fingerprint)))
        cards = []
        for item in page:
            if known.get(clean_text(item.get("id"))) == fingerprints[clean_text(item.get("id"))]:
                continue
            if complete_in_list(item):
                cards.append(item)
                continue
            try:
                cards.append(client.get_order(item["id"]))
            except (EpicentrNotFound, EpicentrValidationError, ValueError, KeyError) as exc:
                stats["failed"][clean_text(item.get("id"))] = [clean_text(item.get("number")), clean_text(exc)]
        self._count(stats, importer._import_page(self, cards, fingerprints))

    @staticmethod
    def _listed_orders(page, stats):
        """The entries of a list page the import can use: an id that is not an Epicentr order id,
        or no readable change time, is reported once and left out (it would jam every later sync)."""
        usable = []
        for item in page:
            try:
                if not is_order_id(item.get("id")):
                    raise ValueError(f"invalid order id {clean_text(item.get('id'))[:60]!r}")
                parse_updated_at(item)
            except ValueError as exc:
                stats.setdefault("skipped", {})[clean_text(item.get("id"))[:60]] = [
                    clean_text(item.get("number"))[:30], clean_text(exc)]
                continue
            usable.append(item)
        return usable

    def _retry_failed_orders(self, client, importer, stats, deadline=None):
        """Import again the orders that failed before, until ``deadline`` (the rest wait for the
        next sync); whether any was tried."""
        tried = False
        for uuid in list(stats["failed"]):
            if not is_order_id(uuid):  # from before ids were checked: it can never be read
                stats["failed"].pop(uuid)
                continue
            if deadline and time.monotonic() > deadline:
                break
            tried = True
            try:
                card = client.get_order(uuid)
            except EpicentrNotFound as exc:
                if exc.gone or not exc.route_missing:  # deleted on Epicentr: nothing left to import
                    stats["failed"].pop(uuid)
                continue
            stats["failed"].pop(uuid)
            self._count(stats, importer._import_page(self, [card]))
        return tried

    @staticmethod
    def _count(stats, page_stats):
        stats["created"] += page_stats["created"]
        stats["updated"] += page_stats["updated"]
        stats["failed"].update({uuid: list(why) for uuid, why in page_stats["failed"].items()})

    def _finish_sync(self, started, stats, error):
        failed = stats["failed"]
        messages = []
        if error:
            messages.append(self.env._("The sync stopped: %(reason)s", reason=self._connection_error_message(error)))
        if failed:
            messages.append(self.env._(
                "%(count)s orders could not be imported and will be tried again at the next sync: %(orders)s",
                count=len(failed), orders="; ".join(f"№{number}: {reason}" for number, reason in failed.values())))
        if stats.get("skipped"):
            messages.append(self.env._(
                "Epicentr listed %(count)s entries that are not orders the import can read, left out: %(entries)s",
                count=len(stats["skipped"]), entries="; ".join(
                    f"{uuid} (№{number}): {reason}" for uuid, (number, reason) in stats["skipped"].items())))
        values = {
            "last_run_created": stats["created"],
            "last_run_updated": stats["updated"],
            "failed_orders": failed,
            "last_error": "\n".join(messages) or False,
            "next_sync_at": started if stats["more"] else started + timedelta(minutes=self.sync_interval),
        }
        if isinstance(error, EpicentrRateLimited) and error.retry_after:  # no call before Epicentr allows it
            values["next_sync_at"] = max(values["next_sync_at"],
                                         fields.Datetime.now() + timedelta(seconds=error.retry_after))
        if not error:  # a sync that went through proves the token as well as Test Connection does
            values["connection_state"] = "ok"
        if not error and not stats["more"]:
            values.update(history_done=True, last_success_at=started, sync_progress=False)
        already_told = values["last_error"] == self.last_error
        if stats["created"] or stats["updated"] or failed or error:
            self.env["epicentr.sync.log"].sudo().create({
                "source_id": self.id, "started_at": started, "history": not self.history_done,
                "created_count": stats["created"], "updated_count": stats["updated"], "failed_count": len(failed),
                "error": values["last_error"], "state": "error" if values["last_error"] else "ok",
            })
        self.write(values)
        if messages and not already_told:  # one note per new problem, not one per run
            self.message_post(body=values["last_error"], message_type="comment", subtype_xmlid="mail.mt_note")

    def _next_salespeople(self, count):
        """The next ``count`` salespeople of the round-robin pool (empty users when it is empty).

        The caller holds the source's sync lock, so two imports never hand out the same turn."""
        pool = self.manager_ids.sorted("id")
        if not pool:
            return [self.env["res.users"]] * count
        start = (list(pool).index(self.rr_last_user_id) + 1) if self.rr_last_user_id in pool else 0
        picked = [pool[(start + i) % len(pool)] for i in range(count)]
        if picked:
            self.rr_last_user_id = picked[-1]
        return picked

    def _import_order_number(self, number):
        """Import (or refresh) one order by its Epicentr number, whatever its date."""
        self.ensure_one()
        self._check_manager()
        if not self._try_sync_lock():
            raise UserError(self.env._("A sync of %(name)s is running; try again in a minute.", name=self.name))
        client = self._get_client(retries=1)
        try:
            found = [item for page in client.iter_orders(number=number.strip(), sort=None, limit=5) for item in page]
            cards = [client.get_order(item["id"]) for item in found]
        except EpicentrError as exc:
            raise UserError(self._connection_error_message(exc)) from None
        if not cards:
            raise UserError(self.env._("Epicentr has no order number %(number)s for this account.", number=number))
        stats = self.env["epicentr.order.import"]._import_page(self, cards)
        if stats["failed"]:
            raise UserError("; ".join(reason for _number, reason in stats["failed"].values()))
        return self.env["sale.order"].search(
            [("epicentr_source_id", "=", self.id), ("epicentr_order_id", "in", [c["id"] for c in cards])])


    # ------------------------------------------------------------------ push to Epicentr

    def _rule_for(self, event):
        return self.rule_ids.filtered(lambda r: r.odoo_event == event)[:1]

    def _may_confirm(self):
        """Whether the rules let the connector move an order forward to "confirmed" on Epicentr
        (a TTN needs it): some rule sets "confirmed" or a later step."""
        return any(r.epicentr_status in ("confirmed", "sent", "delivered") for r in self.rule_ids)

    def _tracking_due(self, order, picking):
        """Has the order reached one of the trigger points chosen for the tracking number?"""
        self.ensure_one()
        return ((self.tracking_on_confirm and order.state == "sale")
                or (self.tracking_on_delivery_done and picking.state == "done")
                or self.tracking_on_tracking_set)

    def _pause_revoked_token(self, error):
        """401: stop syncing and sending for this source and tell the Epicentr managers, once."""
        if self.token_revoked:
            return
        message = self._connection_error_message(error)
        self.write({"token_revoked": True, "connection_state": "failed", "last_error": message})
        self.message_post(body=message, message_type="comment", subtype_xmlid="mail.mt_note")  # str: escaped
        managers = self.env.ref("epicentr_connector.group_epicentr_manager").users.filtered(
            lambda u: not u.share and u.active and self.company_id in u.company_ids)
        for user in managers - self.env.ref("base.user_root"):
            self.activity_schedule("mail.mail_activity_data_warning", user_id=user.id, note=text_html(message),
                                   summary=self.env._("Epicentr token revoked"))

    def _get_cancel_reasons(self):
        """[(translationKey, title)]: Epicentr's list (refreshed daily), else the built-in one."""
        self.ensure_one()
        fresh = self.cancel_reasons_at and self.cancel_reasons_at > fields.Datetime.now() - timedelta(days=1)
        if not fresh:
            try:
                items = self._get_client(retries=0, timeout=(3, 5)).get_cancel_reasons("merchant")
                reasons = [[i["translationKey"], i.get("title") or i["translationKey"]] for i in items if i.get("translationKey")]
                if reasons:
                    self.sudo().write({"cancel_reasons": reasons, "cancel_reasons_at": fields.Datetime.now()})
            except (EpicentrError, UserError, ValueError, KeyError, TypeError) as exc:
                _logger.info("Epicentr source %s: cancel reasons not read (%s), using the cached or built-in list",
                             self.id, type(exc).__name__)
                # don't ask a failing Epicentr again for an hour (the wizard reads the list several times)
                self.sudo().cancel_reasons_at = fields.Datetime.now() - timedelta(hours=23)
        return [tuple(r) for r in self.cancel_reasons or const.FALLBACK_CANCEL_REASONS]


def list_fingerprint(item):
    return hashlib.sha1(json.dumps(item, sort_keys=True, default=str).encode()).hexdigest()


def parse_updated_at(item):
    return parse_datetime(item.get("updatedAt") or item.get("createdAt"), "updatedAt")

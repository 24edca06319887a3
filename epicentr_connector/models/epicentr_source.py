import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from .. import const
from ..api import EpicentrClient, EpicentrError, checked_base_url
from ..sync.order_sync import OrderSync
from ..utils.cron_frame import run_units
from ..utils.errors import describe
from ..utils.messages import epicentr_user_label, notification, text_html
from ..utils.switches import switch

_logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://merchant-api.epicentrm.com.ua"
# The addresses anyone who configures sources may choose; any other needs a Settings administrator
# (who may read the token anyway), since the token is sent to whatever address is set.
EPICENTR_BASE_URLS = (DEFAULT_BASE_URL,)


class EpicentrSource(models.Model):
    _name = "epicentr.source"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Epicentr Source"
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True,
                       help="How this Epicentr seller account is called in Odoo, e.g. the shop name.")
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, tracking=True,
        help="The Odoo company that sells through this Epicentr account; its orders are created in this company.")
    api_token = fields.Char(
        string="API Token", groups="base.group_system", copy=False, exportable=False,
        help="The token generated in the Epicentr seller cabinet. Only Settings administrators can see or change it.")
    base_url = fields.Char(
        string="API Address", required=True, default=DEFAULT_BASE_URL, tracking=True,
        help="Address of the Epicentr Merchant API. Keep the default unless Epicentr support tells you otherwise.")
    read_only = fields.Boolean(
        string="Read-only Mode", tracking=True,
        help="Never write to Epicentr: orders are imported, but no status, tracking number or other change is "
        "sent back to the marketplace. Useful while you try the connector out: Epicentr has no test "
        "environment, every change goes to your live seller cabinet.")
    history_days = fields.Integer(
        string="History Depth (days)", default=60,
        help="When the source is connected, orders created in this many last days are imported. Importing "
        "history never changes anything on Epicentr.")
    sync_interval = fields.Integer(string="Sync Interval (minutes)", default=10,
                                   help="How often new and changed Epicentr orders are fetched.")
    parallel_reads = fields.Integer(
        default=4, help="How many order cards a sync reads from Epicentr at the same time (1 to 4): "
        "Epicentr's answer time then overlaps with the import. A 429 from Epicentr pauses all of them.",
    )
    salesperson_ids = fields.Many2many(
        "res.users", "epicentr_source_salesperson_rel", "source_id", "user_id", string="Salespeople",
        domain=[("share", "=", False)],
        help="New orders are assigned to these salespeople in turn (round-robin). "
        "Leave empty to import orders without a salesperson.")
    access_user_ids = fields.Many2many(
        "res.users", "epicentr_source_access_user_rel", "source_id", "user_id", string="Users with Access",
        domain=[("share", "=", False)], help="The users who see the orders of this source.")
    sync_cursor_at = fields.Datetime(
        string="Sync Cursor", copy=False,
        help="Orders changed on Epicentr after this moment (minus a few minutes of overlap) are "
        "fetched by the next sync. Moving it back makes the next sync fetch again every order "
        "changed since then (nothing is duplicated, but a large window takes time); leave it "
        "empty only together with the history start to import the whole history again.",
    )
    history_start_at = fields.Datetime(
        string="History Starts", copy=False,
        help="Orders created before this moment are not imported by the syncs (use Import an "
        "Order by its number for an older one). Set at the first sync from the history depth.",
    )
    history_done = fields.Boolean(string="History Imported", readonly=True, copy=False)
    next_sync_at = fields.Datetime(string="Next Sync", readonly=True, copy=False)
    last_success_at = fields.Datetime(string="Last Successful Sync", readonly=True, copy=False)
    sync_progress = fields.Char(string="Progress", readonly=True, copy=False)
    last_run_created = fields.Integer(string="Created by the Last Sync", readonly=True, copy=False)
    last_run_updated = fields.Integer(string="Updated by the Last Sync", readonly=True, copy=False)
    # {uuid: sync/failed_orders.failure()}: orders that failed to import; the syncs try them again.
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
    tax_rounding = fields.Selection(related="company_id.tax_calculation_rounding_method", string="Tax Rounding")
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
    cancel_reasons_at = fields.Datetime(readonly=True, copy=False)  # when epicentr.cancel.reason was read
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
    # Prices and availability of the seller's offers (epicentr.offer, sync/offer_publish.py)
    publish_availability = fields.Boolean(
        tracking=True, help="Epicentr shows each offer in stock, under the order or not available, as the "
        "free stock of the warehouse below says; it follows every stock move and reservation.")
    publish_prices = fields.Boolean(
        tracking=True, help="Epicentr's price of each offer follows the price list below.")
    offer_pricelist_id = fields.Many2one(
        "product.pricelist", string="Price List for Epicentr", check_company=True, tracking=True,
        help="The prices sent to Epicentr (choose one in UAH).")
    offer_old_price = fields.Selection(
        [("none", "None"), ("pricelist", "From another price list"), ("list_price", "The sales price")],
        string="Old Price", default="none", required=True,
        help="Epicentr shows an old price crossed out when it is above the price.")
    offer_old_pricelist_id = fields.Many2one("product.pricelist", string="Old Price List", check_company=True)
    offer_warehouse_id = fields.Many2one(
        "stock.warehouse", string="Stock of", check_company=True,
        help="The warehouse whose free stock (on hand, not reserved) counts (default: the orders' warehouse).")
    offer_stock_threshold = fields.Float(
        string="In Stock Above", default=0.0, digits="Product Unit of Measure",
        help="With more free stock than this, an offer is in stock; otherwise it is under the order when it "
        "can be supplied on order, else not available.")
    offers_confirmed_at = fields.Datetime(
        string="Publication Confirmed", readonly=True, copy=False,
        help="When a manager confirmed the first publication; until then nothing is sent.")
    offer_count = fields.Integer(string="Offers", compute="_compute_offer_count")

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

    @api.constrains("history_days", "sync_interval", "parallel_reads")
    def _check_positive_numbers(self):
        for source in self:
            if not 1 <= source.parallel_reads <= const.MAX_PARALLEL_READS:
                raise ValidationError(self.env._("Parallel reads must be between 1 and %(max)s.", max=const.MAX_PARALLEL_READS))
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
        if any(name.startswith(("publish_", "offer_")) for name in vals):  # every offer's values may change
            self.env["epicentr.offer"]._mark(SQL("source_id = ANY(%s)", self.ids))
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
        self._check_manager()
        try:
            # One quick retry only: a person is waiting for the answer.
            user = self._get_client(retries=1).get_user()
        except (EpicentrError, ValueError) as exc:
            reason = self._describe_error(exc)
            _logger.info("Epicentr source %s: connection test failed: %s", self.id, reason)
            self.write({"connection_state": "failed", "last_error": reason})
            return notification(
                "danger", self.env._("Connection to Epicentr failed"), reason, sticky=True,
            )
        connected_as = epicentr_user_label(self.env, user)
        self.write({"connection_state": "ok", "connected_as": connected_as, "last_error": False, "token_revoked": False})
        self.env.ref("epicentr_connector.ir_cron_epicentr_outbox")._trigger()  # paused sends may go
        return notification(
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

    def _describe_error(self, error):
        """The translated, token-free sentence for ``error`` (utils/errors.py)."""
        return describe(self.env, error, url=self.base_url, token=self.sudo().api_token or "",
                        default_url=DEFAULT_BASE_URL)

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

    def _compute_offer_count(self):
        counts = dict(self.env["epicentr.offer"]._read_group([("source_id", "in", self.ids)], ["source_id"], ["__count"]))
        for source in self:
            source.offer_count = counts.get(source, 0)

    def _schedule_sync(self):
        """Make these sources due now and wake the sync cron (after this transaction commits)."""
        if self:
            self.write({"next_sync_at": fields.Datetime.now()})
            self.env.ref("epicentr_connector.ir_cron_epicentr_sync_orders")._trigger()

    def action_sync_now(self):
        self.ensure_one()
        self._check_manager()
        self._schedule_sync()
        return notification(
            "info", self.env._("Sync started"),
            self.env._("Epicentr orders of %(name)s are being fetched in the background; "
                       "reload the page to see the progress.", name=self.name))

    def action_dismiss_failed_orders(self):
        """Forget the orders that wait for a retry or were given up (a manager's decision)."""
        self._check_manager()
        self.write({"failed_orders": False})

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
        """Sync every active source whose interval has elapsed, in calls of about
        CRON_CALL_SECONDS, committing after each page (utils/cron_frame.py)."""
        now = fields.Datetime.now()
        due = self.search([("active", "=", True), "|", ("next_sync_at", "=", False), ("next_sync_at", "<=", now)])
        due = due.filtered(lambda s: s.sudo().api_token and not s.token_revoked)

        def sync(source, commit, deadline):
            return source.with_company(source.company_id)._sync_orders(commit=commit, deadline=deadline).get("more")

        def failed(source, error):
            source.write({"last_error": self.env._("The sync failed: %(error)s", error=str(error)),
                          "next_sync_at": now + timedelta(minutes=source.sync_interval)})

        run_units(self.env, due, sync, failed, "epicentr_connector.ir_cron_epicentr_sync_orders", "source")

    def _sync_orders(self, commit=False, deadline=None):
        """One sync of this source (sync/order_sync.py)."""
        self.ensure_one()
        return OrderSync(self, commit=commit, deadline=deadline).run()

    def _import_order_number(self, number):
        """Import (or refresh) one order by its Epicentr number, whatever its date."""
        self.ensure_one()
        self._check_manager()
        return OrderSync(self).import_number(number)

    # ------------------------------------------------------------------ push to Epicentr

    def _pause_revoked_token(self, error):
        """401: stop syncing and sending for this source and tell the Epicentr managers, once."""
        if self.token_revoked:
            return
        message = self._describe_error(error)
        self.write({"token_revoked": True, "connection_state": "failed", "last_error": message})
        self.message_post(body=message, message_type="comment", subtype_xmlid="mail.mt_note")  # str: escaped
        managers = self.env.ref("epicentr_connector.group_epicentr_manager").users.filtered(
            lambda u: not u.share and u.active and self.company_id in u.company_ids)
        for user in managers - self.env.ref("base.user_root"):
            self.activity_schedule("mail.mail_activity_data_warning", user_id=user.id, note=text_html(message),
                                   summary=self.env._("Epicentr token revoked"))

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import const
from ..utils.messages import notification, text_html
from ..utils.switches import ServerOnly, switch
from ..utils.tracking import expected_tracking_format
from .epicentr_order_lines import PLACEHOLDER

_logger = logging.getLogger(__name__)


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "epicentr.owned.fields"]

    epicentr_source_id = fields.Many2one(
        "epicentr.source", index="btree_not_null", readonly=True,
        copy=False, ondelete="restrict",
    )
    epicentr_uuid = fields.Char(
        string="Epicentr Order ID", readonly=True, copy=False,
        help="Epicentr's UUID of the order (the last part of its address in the seller cabinet).",
    )
    epicentr_number = fields.Char(index="btree_not_null", readonly=True, copy=False)
    # Epicentr's own code, as received: an unknown code is kept and shown, never rejected.
    epicentr_status = fields.Char(string="Epicentr Status Code", readonly=True, copy=False)
    epicentr_status_name = fields.Char(
        string="Epicentr Status", compute="_compute_epicentr_status_name",
        help="The order's status on Epicentr. It changes with every sync; Odoo's own status "
        "follows it only when Epicentr cancels the order.",
    )
    epicentr_status_tone = fields.Selection(
        [("warning", "Waiting"), ("info", "In progress"), ("success", "Done"), ("danger", "Ended")],
        compute="_compute_epicentr_status_name", help="The colour of Epicentr's status badge.")
    epicentr_status_unknown = fields.Boolean(
        string="Unknown Epicentr Status", compute="_compute_epicentr_status_unknown", store=True,
    )
    # Where the push of the order's changes to Epicentr stands (its outbox entries): failed (with
    # Epicentr's reasons: a person must act), pending (retried by itself) or ok.
    epicentr_push_state = fields.Selection(
        [("ok", "All sent"), ("pending", "Waiting to be sent"), ("failed", "Failed")],
        string="Epicentr Push", compute="_compute_epicentr_push", store=True, copy=False,
    )
    epicentr_push_error = fields.Text(compute="_compute_epicentr_push", store=True, copy=False)
    epicentr_created_at = fields.Datetime(string="Placed on Epicentr", readonly=True, copy=False)
    epicentr_updated_at = fields.Datetime(string="Changed on Epicentr", readonly=True, copy=False)
    epicentr_confirm_deadline = fields.Datetime(
        string="Confirm on Epicentr Before", readonly=True, copy=False,
        help="Epicentr cancels a new order that the seller does not confirm within 120 minutes, "
        "and may block the shop.",
    )
    epicentr_total = fields.Monetary(
        readonly=True, copy=False,
        help="What the buyer pays Epicentr for the items, taxes included (the delivery apart).")
    epicentr_carrier = fields.Selection(const.CARRIERS, string="Delivery Service", readonly=True, copy=False)
    epicentr_settlement = fields.Char(string="Settlement", readonly=True, copy=False)
    epicentr_office = fields.Char(string="Branch / Locker", readonly=True, copy=False)
    epicentr_payment_method = fields.Selection(const.PAYMENT_METHODS, string="Payment Method", readonly=True, copy=False)
    epicentr_payment_status = fields.Selection(const.PAYMENT_STATUSES, string="Payment Status", readonly=True, copy=False)
    epicentr_tracking_number = fields.Char(
        string="Tracking Number on Epicentr", readonly=True, copy=False,
        help="The delivery tracking number (TTN) Epicentr has for this order.",
    )
    epicentr_buyer_comment = fields.Text(string="Buyer's Comment", readonly=True, copy=False)
    epicentr_skip_contact = fields.Boolean(
        string="Do Not Call the Buyer", readonly=True, copy=False,
        help="The buyer asked on Epicentr not to be called about this order.",
    )
    epicentr_call_status = fields.Selection(
        const.CALL_STATUSES, string="Call Result", readonly=True, copy=False, index=True,
        help="The outcome of the last call to the buyer, as Epicentr has it (set from the order's Call Result "
        "button, or in the cabinet).")
    epicentr_at_risk = fields.Boolean(
        string="At Risk Now", compute="_compute_epicentr_at_risk", search="_search_epicentr_at_risk",
        help="New on Epicentr with less than 30 minutes left to confirm it, or past the deadline.")
    epicentr_confirmed_at = fields.Datetime(
        string="Confirmed on Epicentr", readonly=True, copy=False,
        help="When the order left “new” on Epicentr (Epicentr's own change time, as the next sync "
        "or the connector's push saw it); empty for orders imported past “new”.")
    # How many of the order's Epicentr comments are in its chatter (the list's commentsCount tells when more came).
    epicentr_comments_read = fields.Integer(readonly=True, copy=False)
    epicentr_cancel_reason = fields.Char(
        string="Epicentr Cancel Reason Key", readonly=True, copy=False,
        help="Epicentr's key of the reason, e.g. order.cancel_reason.order_not_actual.")
    epicentr_cancel_reason_name = fields.Char(string="Cancel Reason", compute="_compute_epicentr_cancel_reason_name")
    epicentr_cancel_initiator = fields.Selection(const.CANCEL_INITIATORS, string="Cancelled By", readonly=True, copy=False)
    epicentr_cancelled_while_new = fields.Boolean(
        string="Cancelled Before Confirmation", readonly=True, copy=False,
        help="Epicentr cancelled the order while it was still new (Epicentr's cancel record says so).")
    epicentr_cancel_comment = fields.Text(string="Cancellation Comment", readonly=True, copy=False)
    # The contact the import made to stand for a hidden buyer: the only one it ever removes.
    epicentr_buyer_placeholder_id = fields.Many2one("res.partner", readonly=True, copy=False)
    epicentr_buyer_hidden = fields.Boolean(
        string="Buyer Hidden by Epicentr", readonly=True, copy=False,
        help="Epicentr hides the buyer while the order is new: the customer is a placeholder "
        "until a sync after the confirmation brings the real one.",
    )
    epicentr_needs_mapping = fields.Boolean(
        string="Needs Product Mapping", compute="_compute_epicentr_needs_mapping", store=True,
        help="Some lines are on the placeholder product because no product with their code "
        "exists: create it (internal reference or barcode = the code) and rematch.",
    )
    # What the order looked like in Epicentr's list at the last import (a hash): the sync
    # fetches the full card only when it changed. Timestamps alone have a 1 s resolution.
    epicentr_fingerprint = fields.Char(readonly=True, copy=False)
    # The same for the card's items (and delivery price): lines are compared again only when it changes.
    epicentr_items_digest = fields.Char(readonly=True, copy=False)
    epicentr_total_mismatch = fields.Boolean(
        string="Total Differs from Epicentr", compute="_compute_epicentr_total_mismatch", store=True,
        help="The order's total is not what the buyer pays on Epicentr (the items and the "
        "delivery): a line was added or changed in Odoo, or a discount given (or, where the company "
        "rounds taxes globally, fractions of a kopeck moved the total).",
    )
    epicentr_url = fields.Char(string="Epicentr Cabinet Link", compute="_compute_epicentr_url")
    epicentr_outbox_ids = fields.One2many("epicentr.outbox", "order_id", readonly=True)
    epicentr_return_state = fields.Selection(
        [("requested", "Return requested"), ("on_its_way", "Return on its way"), ("returned", "Returned")],
        string="Epicentr Return", compute="_compute_epicentr_return_state", store=True,
        help="Goods coming back: the buyer asked Epicentr for a return, a return of the delivery waits "
        "for the parcel (a refused parcel, a return Epicentr confirmed), or the goods are back in stock.")

    _sql_constraints = [
        (
            "epicentr_order_unique",
            "UNIQUE(epicentr_source_id, epicentr_uuid)",
            "This Epicentr order is already imported for this source.",
        ),
    ]

    @api.depends("epicentr_source_id", "epicentr_status", "picking_ids.state", "picking_ids.return_id")
    def _compute_epicentr_return_state(self):
        for order in self:
            returns = order.picking_ids.filtered(lambda p: p.return_id and p.state != "cancel")
            if not order.epicentr_source_id:
                order.epicentr_return_state = False
            elif returns:
                order.epicentr_return_state = "returned" if all(r.state == "done" for r in returns) else "on_its_way"
            else:
                order.epicentr_return_state = "requested" if order.epicentr_status == "return_requested" else False

    @api.depends("epicentr_source_id", "epicentr_outbox_ids.state", "epicentr_outbox_ids.last_error")
    def _compute_epicentr_push(self):
        for order in self:
            waiting = order.epicentr_outbox_ids.filtered(lambda e: e.state in ("pending", "failed")).sorted("id")
            failed = waiting.filtered(lambda e: e.state == "failed")
            if not order.epicentr_source_id:
                order.epicentr_push_state = order.epicentr_push_error = False
            elif failed:
                order.epicentr_push_state, order.epicentr_push_error = "failed", "\n".join(failed.mapped("last_error"))
            elif waiting:
                order.epicentr_push_state, order.epicentr_push_error = "pending", waiting[-1].last_error or False
            else:
                order.epicentr_push_state = "ok"
                order.epicentr_push_error = False

    @api.depends("epicentr_cancel_reason", "epicentr_source_id")
    def _compute_epicentr_cancel_reason_name(self):
        Reason = self.env["epicentr.cancel.reason"]
        for order in self:
            key = order.epicentr_cancel_reason
            order.epicentr_cancel_reason_name = key and Reason._title(order.epicentr_source_id, key)

    def _epicentr_cancellation_text(self):
        """Who cancelled the order on Epicentr, why in words, and the buyer's comment."""
        self.ensure_one()
        text = self.env._("Cancelled on Epicentr (status %(status)s).", status=self.epicentr_status_name)
        if self.epicentr_cancel_initiator:
            who = self._fields["epicentr_cancel_initiator"].convert_to_export(self.epicentr_cancel_initiator, self)
            text += " " + self.env._("By: %(who)s.", who=who)
        if self.epicentr_cancel_reason:
            text += " " + self.env._("Reason: %(reason)s.", reason=self.epicentr_cancel_reason_name)
        if self.epicentr_cancel_comment:
            text += "\n" + self.env._("Comment: %(comment)s", comment=self.epicentr_cancel_comment)
        return text

    @api.depends("epicentr_status")
    @api.depends_context("lang")
    def _compute_epicentr_status_name(self):
        for order in self:
            code = order.epicentr_status
            order.epicentr_status_name = const.status_title(self.env, code) if code else False
            order.epicentr_status_tone = const.STATUS_TONES.get(code, False)

    @api.depends("epicentr_status")
    def _compute_epicentr_status_unknown(self):
        for order in self:
            order.epicentr_status_unknown = bool(order.epicentr_status) and order.epicentr_status not in const.STATUS_TITLES

    @api.depends("order_line.product_id")
    def _compute_epicentr_needs_mapping(self):
        placeholder = self.env["epicentr.order.lines"]._product(PLACEHOLDER)
        for order in self:
            order.epicentr_needs_mapping = placeholder in order.order_line.product_id

    @api.depends("epicentr_total", "state", "amount_total", "order_line.epicentr_price_total", "order_line.product_id")
    def _compute_epicentr_total_mismatch(self):
        """Odoo's total against what the buyer pays Epicentr: the items' total and the delivery."""
        Lines = self.env["epicentr.order.lines"]
        for order in self:
            if not order.epicentr_source_id or order.state == "cancel":
                order.epicentr_total_mismatch = False
                continue
            currency = order.currency_id or order.company_id.currency_id
            order.epicentr_total_mismatch = not currency.is_zero(Lines._gap(order))

    @api.depends("epicentr_uuid")
    def _compute_epicentr_url(self):
        for order in self:
            order.epicentr_url = order.epicentr_uuid and const.CABINET_ORDER_URL.format(
                uuid=order.epicentr_uuid)

    def _prepare_confirmation_values(self):
        values = super()._prepare_confirmation_values()
        if switch(self.env, "epicentr_importing"):
            # An order imported as already sold keeps Epicentr's date, not the import's.
            values.pop("date_order", None)
        return values

    def _compute_fiscal_position_id(self):
        """An Epicentr order's fiscal position: the customer's, else the one that says Epicentr's
        prices include taxes (its lines map to price-included taxes either way: sale.order.line)."""
        before = {order: order.fiscal_position_id for order in self}
        result = super()._compute_fiscal_position_id()
        epicentr = self.filtered(lambda o: o.epicentr_source_id and not o.fiscal_position_id)
        gross = {company: self.env["account.fiscal.position"]._epicentr_gross_for(company) for company in epicentr.company_id}
        for order in epicentr:
            order.fiscal_position_id = gross[order.company_id]
            if order.fiscal_position_id == before[order]:
                order.show_update_fpos = False  # nothing to update: it is the one the lines have
        return result

    def action_epicentr_rematch_products(self):
        """Swap products in for the placeholder lines of quotations, where a product with the code now exists."""
        self.check_access("write")
        importing = self.with_context(epicentr_importing=ServerOnly())  # Epicentr's total stays on the lines
        healed = importing.env["epicentr.order.lines"]._rematch_products(importing)
        return notification(
            "success" if healed else "warning",
            self.env._("Rematch products"),
            self.env._("%(count)s lines matched to a product.", count=healed) if healed
            else self.env._("No product exists yet for the unmatched codes."),
        )

    # ------------------------------------------------------------------ push to Epicentr

    def write(self, vals):
        """Note the order's state changes for the Epicentr rules (not while importing: the outbox
        records them once the action has finished), and settle what Epicentr's new status makes moot."""
        left_new = self.browse()
        if vals.get("epicentr_status", "new") != "new":
            left_new = self.filtered(lambda o: o.epicentr_status == "new")
        before = {}
        if "state" in vals and not switch(self.env, "epicentr_importing"):
            before = {order.id: order.state for order in self if order.epicentr_source_id}
        result = super().write(vals)
        changed = self.filtered(lambda o: o.id in before and before[o.id] != o.state)
        Outbox = self.env["epicentr.outbox"]
        Outbox._note(changed.filtered(lambda o: o.state == "sale"), "order_confirmed")
        Outbox._note(changed.filtered(lambda o: o.state == "cancel"), "order_cancelled")
        if "epicentr_status" in vals:
            left_new._epicentr_settle_confirmation(vals.get("epicentr_updated_at"))
            Outbox._settle_reached(self)
        return result

    def _epicentr_follow_cards(self, cards):
        """These orders follow Epicentr's ``cards`` (utils/order_card.Card), read after a push, as
        an import does: the one way from Epicentr into an order. A card of another order is left out."""
        for source, orders in self.grouped("epicentr_source_id").items():
            uuids = set(orders.mapped("epicentr_uuid"))
            stats = self.env["epicentr.order.import"].sudo()._import_cards(
                source.sudo(), [card for card in cards if card.reported_uuid in uuids])
            for number, reason in stats["failed"].values():  # the next sync tries again, and reports it
                _logger.info("Epicentr order %s: not followed after the push (%s)", number, reason)

    def _epicentr_reopen(self, reason):
        """Epicentr did not take a cancellation the Odoo order already shows: open the order again
        (a quotation), so that Odoo does not call cancelled what Epicentr still has open."""
        if self.state != "cancel":
            return
        self.action_draft()  # not a change the rules push: only confirmations and cancellations are
        self.message_post(body=text_html(self.env._(
            "Epicentr did not cancel the order, so it is open again in Odoo: %(reason)s", reason=reason)),
            message_type="comment", subtype_xmlid="mail.mt_note")

    def _epicentr_tracking_problem(self, number):
        """Why ``number`` is not a tracking number of the order's carrier, or None."""
        expected = expected_tracking_format(self.epicentr_carrier, number or "")
        return expected and self.env._(
            "%(number)s is not a valid tracking number for %(carrier)s: expected %(expected)s.",
            number=number, carrier=self._fields["epicentr_carrier"].convert_to_export(self.epicentr_carrier, self),
            expected=expected)

    def _epicentr_settle_confirmation(self, changed_at=None):
        """Past "new" on Epicentr (whoever moved it: the connector's push, the cabinet, a sync):
        the confirm-before-the-deadline activity is done, or void if Epicentr cancelled; the time
        of the confirmation is kept for the deadline report (Epicentr's change time, else now)."""
        activity = ["epicentr_connector.mail_activity_epicentr_confirm"]
        cancelled = self.filtered(lambda o: o.epicentr_status in const.CANCELLED_STATUSES)
        cancelled.activity_unlink(activity)
        confirmed = self - cancelled
        confirmed.activity_feedback(activity, feedback=self.env._("Confirmed on Epicentr."))
        confirmed.filtered(lambda o: not o.epicentr_confirmed_at).sudo().write(
            {"epicentr_confirmed_at": changed_at or fields.Datetime.now()})

    def action_cancel(self):
        """Epicentr needs a reason to cancel: ask for it when a rule will send the cancellation."""
        Outbox = self.env["epicentr.outbox"]
        needs_reason = self.filtered(lambda o: Outbox._rule_for(o.epicentr_source_id, "order_cancelled")
                                     and not o.epicentr_source_id.read_only
                                     and o.epicentr_status not in const.CANCELLED_STATUSES)
        if needs_reason and not switch(self.env, "epicentr_importing"):
            self.env["epicentr.cancel.reason"]._refresh(needs_reason.epicentr_source_id)
            return {
                "type": "ir.actions.act_window",
                "name": self.env._("Cancel on Epicentr"),
                "res_model": "epicentr.cancel.wizard",
                "view_mode": "form",
                "target": "new",
                "context": {"default_order_ids": self.ids},
            }
        return super().action_cancel()

    def _epicentr_cancel(self, reason_key, comment=False):
        """Cancel with the reason chosen in the wizard; the outbox sends it with the cancellation.
        The reason must be one Epicentr lists for the orders' source."""
        self.check_access("write")
        Reason = self.env["epicentr.cancel.reason"]
        Reason._refresh(self.epicentr_source_id)
        for source in self.epicentr_source_id:
            if reason_key not in dict(Reason._of(source)):
                raise UserError(self.env._("“%(reason)s” is not one of Epicentr's cancel reasons.", reason=reason_key))
        self.env["epicentr.outbox"]._note_cancel_reason(self, reason_key, comment)
        return super(SaleOrder, self.with_context(disable_cancel_warning=True)).action_cancel()

    def _epicentr_delivery(self):
        """The outgoing delivery whose tracking number is the order's: the last done one, else
        the last one not cancelled."""
        outgoing = self.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing" and p.state != "cancel")
        done = outgoing.filtered(lambda p: p.state == "done")
        return (done or outgoing).sorted("id")[-1:]

    def _epicentr_at_risk_domain(self):
        soon = fields.Datetime.now() + timedelta(minutes=const.AT_RISK_MINUTES)
        return [("epicentr_status", "=", "new"), ("epicentr_confirm_deadline", "<", soon)]

    def _compute_epicentr_at_risk(self):
        at_risk = self.filtered_domain(self._epicentr_at_risk_domain())
        for order in self:
            order.epicentr_at_risk = order in at_risk

    def _search_epicentr_at_risk(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on “At Risk Now”."))
        domain = self._epicentr_at_risk_domain()
        return domain if (operator == "=") == value else ["!", *(["&"] + domain)]

    def action_epicentr_call_result(self):
        """Call Result: what the call to the buyer gave, for Epicentr (a wizard)."""
        return self._epicentr_wizard("epicentr.call.wizard", self.env._("Call Result"))

    def action_epicentr_edit_items(self):
        """Edit on Epicentr: change the buyer's items on Epicentr (a wizard; never a silent write)."""
        return self._epicentr_wizard("epicentr.items.wizard", self.env._("Edit on Epicentr"))

    def action_epicentr_comment(self):
        """Comment on Epicentr: a comment in the order's thread on Epicentr (a wizard)."""
        return self._epicentr_wizard("epicentr.comment.wizard", self.env._("Comment on Epicentr"))

    def _epicentr_wizard(self, model, name):
        self.ensure_one()
        self.check_access("write")
        return {"type": "ir.actions.act_window", "name": name, "res_model": model, "view_mode": "form",
                "target": "new", "context": {"default_order_id": self.id}}

    def action_epicentr_retry(self):
        """Send the failed outbox entries of these orders again (the order's Retry button)."""
        self.check_access("write")  # before the sudo: the outbox acts on the live cabinet
        self.env["epicentr.outbox"].sudo().search([("order_id", "in", self.ids), ("state", "=", "failed")])._retry()
        return True

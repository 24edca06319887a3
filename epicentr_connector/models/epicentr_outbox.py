"""The outbox: what Odoo must tell Epicentr, recorded in the user's transaction, sent after it.

The write hooks (sale.order, stock.picking) note what changed; once the transaction's action has
finished (before its commit: a confirmation's delivery exists by then) the notes become entries,
and a cron, woken by ``_trigger()`` once the transaction commits, pushes them order by order
(sync/order_push.py). No HTTP call ever runs inside the transaction of the click that caused
it: a slow or failing Epicentr never blocks or rolls back a salesperson, and a rolled-back click
sends nothing. This model keeps the entries, their state and their retries; the protocol is
OrderPush's.
"""

import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models

from .. import const
from ..sync.order_push import OrderPush
from ..sync.status_path import reached
from ..utils.cron_frame import run_units, try_lock
from ..utils.messages import text_html
from ..utils.tracking import normalize_tracking

_logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6  # transient failures, retried with back-off: 1, 2, 4, 8, 16 minutes
WAIT_RETRY = timedelta(minutes=10)  # an entry waiting for the order to be confirmed on Epicentr
MAX_WAIT = timedelta(days=3)
PUSH_LOCK_NAMESPACE = 0x45504332  # one sender per order at a time
NOTES = "epicentr.outbox.notes"  # the transaction's changes to record (cr.precommit.data)
CANCEL_REASONS = "epicentr.outbox.cancel_reasons"
# the order's state an event leaves it in
EVENT_STATES = {"order_confirmed": "sale", "order_cancelled": "cancel"}
# the kinds whose new intent supersedes the failed older ones of its group
SUPERSEDING = {"status": "status", "tracking": "tracking", "tracking_delete": "tracking"}
# the kinds of which only the latest pending intent is sent (a later one supersedes it)
LATEST_ONLY = (("tracking", "tracking_delete"), ("status",), ("call_status",), ("waybill",))


class EpicentrOutbox(models.Model):
    _name = "epicentr.outbox"
    _description = "Epicentr outbox entry"
    _order = "id desc"

    source_id = fields.Many2one("epicentr.source", required=True, index=True, ondelete="cascade")
    order_id = fields.Many2one("sale.order", required=True, index=True, ondelete="cascade")
    picking_id = fields.Many2one("stock.picking", string="Delivery", ondelete="set null")
    kind = fields.Selection(
        [("status", "Status"), ("tracking", "Tracking number"), ("tracking_delete", "Remove tracking number"),
         ("call_status", "Call result"), ("comment", "Comment"), ("items", "Items changed"),
         ("waybill", "Waybill")],
        required=True)
    item_changes = fields.Json(help="{Epicentr offer id: new quantity, 0 to remove}")
    call_status = fields.Selection(const.CALL_STATUSES, string="Call Result")
    comment = fields.Text(help="A comment for the order's thread on Epicentr.")
    shipment = fields.Json(readonly=True, help="The waybill request Epicentr accepted (it is not made twice).")
    event = fields.Selection(const.ODOO_EVENTS, string="Odoo Event")
    target_status = fields.Selection(const.SELLER_STATUSES, string="Epicentr Status")
    tracking_number = fields.Char()
    cancel_reason_key = fields.Char(string="Cancel Reason", help="Epicentr's translationKey of the reason.")
    cancel_comment = fields.Text()
    state = fields.Selection(
        [("pending", "Waiting to be sent"), ("done", "Sent"), ("failed", "Failed"),
         ("superseded", "Superseded"), ("held", "Not sent (read-only)")],
        default="pending", required=True, index=True)
    attempts = fields.Integer(readonly=True)
    next_attempt_at = fields.Datetime(readonly=True)
    last_error = fields.Text(readonly=True)
    sent_at = fields.Datetime(readonly=True)

    def _compute_display_name(self):
        for entry in self:
            what = {"status": dict(const.SELLER_STATUSES).get(entry.target_status),
                    "items": self.env._("items changed"),
                    "call_status": dict(const.CALL_STATUSES).get(entry.call_status),
                    "comment": (entry.comment or "")[:40],
                    "waybill": self.env._("waybill of %(delivery)s", delivery=entry.picking_id.name)}.get(
                entry.kind, entry.tracking_number)
            entry.display_name = f"{entry.order_id.name}: {what or entry.kind}"

    # ------------------------------------------------------------------ recording intents

    @api.model
    def _note(self, orders, event, picking=None):
        """Note ``event`` of ``orders`` (a write hook): the entries are recorded once the
        transaction's action has finished (_record_notes), so that they see all it did."""
        orders = orders.filtered(lambda o: o.epicentr_source_id and o.epicentr_uuid)
        if not orders:
            return
        precommit = self.env.cr.precommit
        if NOTES not in precommit.data:
            precommit.data[NOTES] = []
            precommit.add(self.sudo()._record_notes)  # the hook runs as the salesperson; the outbox is technical
        precommit.data[NOTES].append((event, orders.ids, picking.id if picking else None))

    @api.model
    def _note_cancel_reason(self, orders, reason_key, comment):
        """The reason chosen for cancelling ``orders``, sent with their cancellation."""
        reasons = self.env.cr.precommit.data.setdefault(CANCEL_REASONS, {})
        reasons.update(dict.fromkeys(orders.ids, (reason_key, comment or False)))

    def _record_notes(self):
        """The entries of the changes noted in this transaction, in the order they happened."""
        data = self.env.cr.precommit.data
        notes, reasons = data.pop(NOTES, []), data.pop(CANCEL_REASONS, {})
        for event, order_ids, picking_id in notes:
            # as the orders are now: a change undone since (a savepoint rolled back, a confirmation
            # cancelled in the same action) is not pushed
            orders = self.env["sale.order"].browse(order_ids).exists().filtered(
                lambda o, e=event: o.state == EVENT_STATES.get(e, o.state))
            picking = self.env["stock.picking"].browse(picking_id)
            if event == "tracking_removed":
                entries = self._record_tracking_removed(picking.exists())
            elif event == "waybill_requested":
                entries = self._record_waybill(picking.exists())
            else:
                entries = self._record(orders, event, picking.exists() or None)
            for entry in entries.filtered(lambda e: e.event == "order_cancelled" and e.order_id.id in reasons):
                entry.cancel_reason_key, entry.cancel_comment = reasons[entry.order_id.id]
        self.env.flush_all()  # after the transaction's own flush: this runs just before the commit

    @api.model
    def _record(self, orders, event, picking=None):
        """Record what the source's rules and tracking switch ask for on ``event``."""
        entries = []
        for order in orders:
            source = order.epicentr_source_id.sudo()
            picking_done = picking or order._epicentr_delivery()
            number = normalize_tracking(picking_done.carrier_tracking_ref) if picking_done else ""
            if source.send_tracking and number and self._tracking_due(source, order, picking_done) and not (
                    self._latest_tracking_is(order, number)):
                entries.append(self._tracking_values(order, picking_done, number, event))
            rule = self._rule_for(source, event)
            # a rule that needs a tracking number waits for a valid one (Epicentr refuses "sent" without)
            valid_number = number and not order._epicentr_tracking_problem(number)
            if rule and (valid_number or not rule.require_tracking):
                # a cancellation's reason: noted by sale.order._epicentr_cancel()
                entries.append({
                    "source_id": source.id, "order_id": order.id, "kind": "status", "event": event,
                    "target_status": rule.epicentr_status, "picking_id": picking_done.id or False,
                    "tracking_number": number or False,
                })
        return self._enqueue(entries)

    @api.model
    def _latest_tracking_is(self, order, number):
        """Whether ``number`` is the order's latest tracking intent (A → B → A must send A again)."""
        last = self.search([("order_id", "=", order.id), ("kind", "in", ("tracking", "tracking_delete")),
                            ("state", "in", ("pending", "done"))], order="id desc", limit=1)
        return last.kind == "tracking" and last.tracking_number == number

    @api.model
    def _rule_for(self, source, event):
        """The source's status rule for ``event`` (at most one, a constraint says)."""
        return source.rule_ids.filtered(lambda r: r.odoo_event == event)[:1]

    @api.model
    def _tracking_due(self, source, order, picking):
        """Has the order reached one of the trigger points chosen for the tracking number?"""
        return ((source.tracking_on_confirm and order.state == "sale")
                or (source.tracking_on_delivery_done and picking.state == "done")
                or source.tracking_on_tracking_set)

    @api.model
    def _record_tracking_removed(self, picking):
        order = picking.sale_id
        if order.epicentr_source_id.send_tracking and order.epicentr_uuid:
            return self._enqueue([{
                "source_id": order.epicentr_source_id.id, "order_id": order.id, "picking_id": picking.id,
                "kind": "tracking_delete", "event": "tracking_set"}])
        return self

    @api.model
    def _record_waybill(self, picking):
        """A request for the delivery's waybill: a refused one is tried again, never two at once."""
        if not picking:
            return self
        asked = self.search([("picking_id", "=", picking.id), ("kind", "=", "waybill"),
                             ("state", "in", ("pending", "failed"))])
        if asked:
            asked._retry()
            return self
        return self._enqueue([{"source_id": picking.sale_id.epicentr_source_id.id, "order_id": picking.sale_id.id,
                               "picking_id": picking.id, "kind": "waybill"}])

    @api.model
    def _tracking_values(self, order, picking, number, event):
        values = {"source_id": order.epicentr_source_id.id, "order_id": order.id, "picking_id": picking.id,
                  "kind": "tracking", "event": event, "tracking_number": number}
        problem = order._epicentr_tracking_problem(number)
        if problem:  # refused here, without a call
            values.update(state="failed", last_error=problem)
        return values

    @api.model
    def _enqueue(self, values_list):
        if not values_list:
            return self
        entries = self.sudo().create(values_list)
        # a new status (tracking) intent supersedes the order's failed older ones: one search for all
        newest = {}
        for entry in entries.filtered(lambda e: e.kind in SUPERSEDING):
            newest[entry.order_id.id, SUPERSEDING[entry.kind]] = entry.id
        if newest:
            failed = self.search([("order_id", "in", [order_id for order_id, _group in newest]),
                                  ("kind", "in", list(SUPERSEDING)), ("state", "=", "failed")])
            failed.filtered(lambda f: f.id < newest.get((f.order_id.id, SUPERSEDING[f.kind]), 0)).write(
                {"state": "superseded"})
        entries.filtered(lambda e: e.state == "failed")._tell_people()
        if any(e.state == "pending" for e in entries):
            self.env.ref("epicentr_connector.ir_cron_epicentr_outbox")._trigger()
        return entries

    # ------------------------------------------------------------------ sending

    @api.model
    def _cron_send(self):
        """Send the due entries, one order at a time, in calls of about CRON_CALL_SECONDS,
        committing after each order (utils/cron_frame.py); one OrderPush a source."""
        now = fields.Datetime.now()
        due_domain = [("state", "=", "pending"), "|", ("next_attempt_at", "=", False), ("next_attempt_at", "<=", now)]
        pushes = {}

        def send(order, _commit, deadline):
            if try_lock(self.env, PUSH_LOCK_NAMESPACE, order.id):  # else another worker sends this order now
                # A concurrent update (a sync, a salesperson) rolls the order back: its entries stay
                # pending, and the next call re-reads Epicentr's order first, so nothing is sent twice.
                entries = self.search([("order_id", "=", order.id), *due_domain], order="id")
                source = entries.source_id[:1]
                if not source:  # sent meanwhile by the worker that held the lock
                    return
                if source not in pushes:
                    pushes[source] = OrderPush(source.with_company(source.company_id), deadline)
                pushes[source].push(entries)

        def failed(order, error):
            entries = self.search([("order_id", "=", order.id), *due_domain])
            entries.write({"state": "failed", "last_error": self.env._(
                "Unexpected error while sending: %(error)s", error=str(error))})
            entries._tell_people()

        orders = self.search(due_domain, order="id").order_id
        try:
            run_units(self.env, orders, send, failed, "epicentr_connector.ir_cron_epicentr_outbox", "outbox order")
            for push in pushes.values():
                push.follow()
        finally:
            for push in pushes.values():
                push.close()
        later = self.search([("state", "=", "pending"), ("next_attempt_at", ">", now)], order="next_attempt_at", limit=1)
        if later:
            self.env.ref("epicentr_connector.ir_cron_epicentr_outbox")._trigger(at=later.next_attempt_at)

    # ------------------------------------------------------------------ outcomes

    def _latest_intents(self):
        """The entries to send of one order: the latest of each kind in LATEST_ONLY (the older are
        superseded), and every comment and items change, in order."""
        latest = self.filtered(lambda e: e.kind in ("comment", "items"))
        for kinds in LATEST_ONLY:
            of_kind = self.filtered(lambda e, k=kinds: e.kind in k)
            (of_kind - of_kind[-1:]).write({"state": "superseded"})
            latest |= of_kind[-1:]
        return latest

    def _hold(self):
        """Read-only mode: nothing goes to Epicentr."""
        self.write({"state": "held", "last_error": self.env._("Read-only mode: not sent to Epicentr.")})
        self._settle(self.order_id)

    def _sent(self):
        self.write({"state": "done", "sent_at": fields.Datetime.now(), "last_error": False, "attempts": self.attempts + 1})

    def _refused(self, reason):
        """Epicentr (or a check of ours) refused it: a person must decide."""
        self.write({"state": "failed", "attempts": self.attempts + 1, "last_error": reason})
        self._tell_people()

    def _retry_later(self, reason, wait_seconds=None):
        """A transient failure: tried again with back-off (or after Epicentr's Retry-After), until MAX_ATTEMPTS."""
        attempts = self.attempts + 1
        wait = wait_seconds or 60 * 2 ** (attempts - 1)
        self.write({"attempts": attempts, "last_error": reason,
                    "state": "pending" if attempts < MAX_ATTEMPTS else "failed",
                    "next_attempt_at": fields.Datetime.now() + timedelta(seconds=wait)})
        if self.state == "failed":
            self._tell_people()

    def _wait(self, reason):
        """Not possible yet: tried again every WAIT_RETRY, for MAX_WAIT."""
        now = fields.Datetime.now()
        self.write({"last_error": reason, "next_attempt_at": now + WAIT_RETRY,
                    "state": "failed" if self.create_date < now - MAX_WAIT else "pending"})
        if self.state == "failed":
            self._tell_people()

    @api.model
    def _settle_reached(self, orders):
        """Failed status entries whose target the order has reached since (a later step, the
        cabinet) are moot: their error goes without anyone pressing Retry."""
        moot = self.sudo().search([("order_id", "in", orders.ids), ("kind", "=", "status"), ("state", "=", "failed")])
        moot = moot.filtered(lambda e: reached(e.order_id.epicentr_status, e.target_status))
        moot.write({"state": "superseded"})
        self._settle(moot.order_id)

    @api.model
    def _settle(self, orders):
        """Orders with nothing left failed or waiting lose their "could not send" activity."""
        orders.filtered(lambda o: o.epicentr_push_state == "ok").activity_unlink(
            ["epicentr_connector.mail_activity_epicentr_outbox_error"])

    # ------------------------------------------------------------------ people

    def _tell_people(self):
        """A chatter note per failure and one activity for the salesperson (not one per retry)."""
        activity_type = self.env.ref("epicentr_connector.mail_activity_epicentr_outbox_error")
        for entry in self:
            order = entry.order_id
            order.message_post(
                body=Markup("<p>%s</p><p>%s</p>") % (
                    self.env._("Could not send to Epicentr: %(what)s.", what=entry.display_name), entry.last_error),
                message_type="comment", subtype_xmlid="mail.mt_note")
            if not order.activity_ids.filtered(lambda a: a.activity_type_id == activity_type):
                order.activity_schedule(
                    "epicentr_connector.mail_activity_epicentr_outbox_error",
                    user_id=order.user_id.id or self.env.ref("base.user_admin").id, note=text_html(entry.last_error))

    def action_retry(self):
        """The outbox list's Retry: for those who may change the entries' orders."""
        self.check_access("read")
        self.order_id.check_access("write")  # before the sudo: the outbox acts on the live cabinet
        self.sudo()._retry()

    def _retry(self):
        self.filtered(lambda e: e.state == "failed").write(
            {"state": "pending", "attempts": 0, "next_attempt_at": False})
        self.env.ref("epicentr_connector.ir_cron_epicentr_outbox")._trigger()

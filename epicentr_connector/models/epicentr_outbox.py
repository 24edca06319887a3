"""The outbox: what Odoo must tell Epicentr, recorded in the user's transaction, sent after it.

A hook (sale.order.write, stock.picking) adds entries; a cron, woken by ``_trigger()`` once
the user's transaction commits, sends them order by order. No HTTP call ever runs inside the
transaction of the click that caused it: a slow or failing Epicentr never blocks or rolls
back a salesperson, and a rolled-back click sends nothing.
"""

import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import const
from ..api import (
    EpicentrAuthError,
    EpicentrError,
    EpicentrProtocolError,
    EpicentrRateLimited,
    EpicentrTransientError,
)
from ..utils.messages import text_html
from ..utils.order_mapping import parse_datetime
from ..utils.switches import ServerOnly
from ..utils.cron_frame import run_units, try_lock
from ..utils.tracking import expected_tracking_format, normalize_tracking

_logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6  # transient failures, retried with back-off: 1, 2, 4, 8, 16 minutes
WAIT_RETRY = timedelta(minutes=10)  # an entry waiting for the order to be confirmed on Epicentr
MAX_WAIT = timedelta(days=3)
PUSH_LOCK_NAMESPACE = 0x45504332  # one sender per order at a time


class PushRefused(Exception):
    """Epicentr's rules (or ours) forbid the change: a person must decide."""


class PushWaiting(Exception):
    """Not possible yet (e.g. a TTN before Epicentr's order is confirmed): try again later."""


class EpicentrOutbox(models.Model):
    _name = "epicentr.outbox"
    _description = "Epicentr outbox entry"
    _order = "id desc"

    source_id = fields.Many2one("epicentr.source", required=True, index=True, ondelete="cascade")
    order_id = fields.Many2one("sale.order", required=True, index=True, ondelete="cascade")
    picking_id = fields.Many2one("stock.picking", string="Delivery", ondelete="set null")
    kind = fields.Selection(
        [("status", "Status"), ("tracking", "Tracking number"), ("tracking_delete", "Remove tracking number"),
         ("call_status", "Call result"), ("comment", "Comment"), ("items", "Items changed")],
        required=True)
    item_changes = fields.Json(help="{Epicentr offer id: new quantity, 0 to remove}")
    call_status = fields.Selection(const.CALL_STATUSES, string="Call Result")
    comment = fields.Text(help="A comment for the order's thread on Epicentr.")
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
                    "comment": (entry.comment or "")[:40]}.get(entry.kind, entry.tracking_number)
            entry.display_name = f"{entry.order_id.name}: {what or entry.kind}"

    # ------------------------------------------------------------------ recording intents

    @api.model
    def _record(self, orders, event, picking=None):
        """Record what the source's rules and tracking switch ask for on ``event``."""
        self = self.sudo()  # the hook runs as the salesperson; the outbox is technical
        entries = []
        for order in orders.filtered(lambda o: o.epicentr_source_id and o.epicentr_uuid):
            source = order.epicentr_source_id.sudo()
            picking_done = picking or order._epicentr_delivery()
            number = normalize_tracking(picking_done.carrier_tracking_ref) if picking_done else ""
            # Skip the number only if it is the latest tracking intent (A → B → A must send A).
            last = self.search([("order_id", "=", order.id), ("kind", "in", ("tracking", "tracking_delete")),
                                ("state", "in", ("pending", "done"))], order="id desc", limit=1)
            if source.send_tracking and number and self._tracking_due(source, order, picking_done) and not (
                    last.kind == "tracking" and last.tracking_number == number):
                entries.append(self._tracking_values(order, picking_done, number, event))
            rule = self._rule_for(source, event)
            # a rule that needs a tracking number waits for a valid one (Epicentr refuses "sent" without)
            valid_number = number and not self._invalid_tracking(order, number)
            if rule and (valid_number or not rule.require_tracking):
                # a cancellation's reason is added by sale.order._epicentr_cancel()
                entries.append({
                    "source_id": source.id, "order_id": order.id, "kind": "status", "event": event,
                    "target_status": rule.epicentr_status, "picking_id": picking_done.id or False,
                    "tracking_number": number or False,
                })
        return self._enqueue(entries)

    @api.model
    def _rule_for(self, source, event):
        """The source's status rule for ``event`` (at most one, a constraint says)."""
        return source.rule_ids.filtered(lambda r: r.odoo_event == event)[:1]

    @api.model
    def _may_confirm(self, source):
        """Whether the rules let the connector move an order forward to "confirmed" on Epicentr
        (a TTN needs it): some rule sets "confirmed" or a later step."""
        return any(r.epicentr_status in ("confirmed", "sent", "delivered") for r in source.rule_ids)

    @api.model
    def _tracking_due(self, source, order, picking):
        """Has the order reached one of the trigger points chosen for the tracking number?"""
        return ((source.tracking_on_confirm and order.state == "sale")
                or (source.tracking_on_delivery_done and picking.state == "done")
                or source.tracking_on_tracking_set)

    @api.model
    def _record_tracking_removed(self, picking):
        self = self.sudo()
        order = picking.sudo().sale_id
        if order.epicentr_source_id.send_tracking and order.epicentr_uuid:
            return self._enqueue([{
                "source_id": order.epicentr_source_id.id, "order_id": order.id, "picking_id": picking.id,
                "kind": "tracking_delete", "event": "tracking_set"}])
        return self

    @api.model
    def _tracking_values(self, order, picking, number, event):
        values = {"source_id": order.epicentr_source_id.id, "order_id": order.id, "picking_id": picking.id,
                  "kind": "tracking", "event": event, "tracking_number": number}
        invalid = self._invalid_tracking(order, number)
        if invalid:  # refused here, without a call
            values.update(state="failed", last_error=invalid)
        return values

    @api.model
    def _invalid_tracking(self, order, number):
        """Why ``number`` is not a tracking number of the order's carrier, or None."""
        expected = expected_tracking_format(order.epicentr_carrier, number or "")
        return expected and self.env._(
            "%(number)s is not a valid tracking number for %(carrier)s: expected %(expected)s.",
            number=number, carrier=order._fields["epicentr_carrier"].convert_to_export(order.epicentr_carrier, order),
            expected=expected)

    @api.model
    def _enqueue(self, values_list):
        if not values_list:
            return self
        entries = self.sudo().create(values_list)
        for entry in entries.filtered(lambda e: e.kind in ("status", "tracking", "tracking_delete")):
            kinds = ("status",) if entry.kind == "status" else ("tracking", "tracking_delete")
            self.search([("order_id", "=", entry.order_id.id), ("kind", "in", kinds), ("state", "=", "failed"),
                         ("id", "<", entry.id)]).write({"state": "superseded"})
        entries.filtered(lambda e: e.state == "failed")._tell_people()
        if any(e.state == "pending" for e in entries):
            self.env.ref("epicentr_connector.ir_cron_epicentr_outbox")._trigger()
        return entries

    # ------------------------------------------------------------------ sending

    @api.model
    def _cron_send(self):
        """Send the due entries, one order at a time, in calls of about CRON_CALL_SECONDS,
        committing after each order (utils/cron_frame.py)."""
        now = fields.Datetime.now()
        due_domain = [("state", "=", "pending"), "|", ("next_attempt_at", "=", False), ("next_attempt_at", "<=", now)]

        def send(order, _commit, _deadline):
            if try_lock(self.env, PUSH_LOCK_NAMESPACE, order.id):  # else another worker sends this order now
                # A concurrent update (a sync, a salesperson) rolls the order back: its entries stay
                # pending, and the next call re-reads Epicentr's order first, so nothing is sent twice.
                self.search([("order_id", "=", order.id), *due_domain], order="id")._send_order()

        def failed(order, error):
            entries = self.search([("order_id", "=", order.id), *due_domain])
            entries.write({"state": "failed", "last_error": self.env._(
                "Unexpected error while sending: %(error)s", error=str(error))})
            entries._tell_people()

        orders = self.search(due_domain, order="id").order_id
        run_units(self.env, orders, send, failed, "epicentr_connector.ir_cron_epicentr_outbox", "outbox order")
        later = self.search([("state", "=", "pending"), ("next_attempt_at", ">", now)], order="next_attempt_at", limit=1)
        if later:
            self.env.ref("epicentr_connector.ir_cron_epicentr_outbox")._trigger(at=later.next_attempt_at)

    def _send_order(self):
        """Send the pending entries of one order, oldest first, the latest intent of each kind only."""
        order, source = self.order_id, self.source_id[:1]
        if source.read_only:
            self.write({"state": "held", "last_error": self.env._("Read-only mode: not sent to Epicentr.")})
            self._settle(order)
            return
        if source.token_revoked:
            return  # paused until a working token is entered
        latest = self.filtered(lambda e: e.kind in ("comment", "items"))  # each of these goes, in order
        for kinds in (("tracking", "tracking_delete"), ("status",), ("call_status",)):
            of_kind = self.filtered(lambda e, k=kinds: e.kind in k)
            (of_kind - of_kind[-1:]).write({"state": "superseded"})
            latest |= of_kind[-1:]
        try:
            # One quick retry inside the call; longer waits go through next_attempt_at instead
            # of holding the cron worker.
            client = source._get_client(retries=1, max_wait=5)
        except UserError as error:  # no token: wait for an administrator
            latest.write({"last_error": str(error)})
            return
        for entry in latest.sorted("id"):  # a tracking number first: Epicentr needs it before "sent"
            if not entry._send_one(client):
                break
        self._settle(order)

    @api.model
    def _settle_reached(self, orders):
        """Failed status entries whose target the order has reached since (a later step, the
        cabinet) are moot: their error goes without anyone pressing Retry."""
        moot = self.sudo().search([("order_id", "in", orders.ids), ("kind", "=", "status"), ("state", "=", "failed")])
        moot = moot.filtered(lambda e: const.reached(e.order_id.epicentr_status, e.target_status))
        moot.write({"state": "superseded"})
        self._settle(moot.order_id)

    @api.model
    def _settle(self, orders):
        """Orders with nothing left failed or waiting lose their "could not send" activity."""
        orders.filtered(lambda o: o.epicentr_push_state == "ok").activity_unlink(
            ["epicentr_connector.mail_activity_epicentr_outbox_error"])

    def _send_one(self, client):
        """Send this entry and record the outcome; False when the source got paused."""
        self.ensure_one()
        now = fields.Datetime.now()
        try:
            self._apply(client)
        except EpicentrAuthError as error:
            if error.status == 403:  # this token may not do this one thing (e.g. cancel after "new")
                self.write({"state": "failed", "attempts": self.attempts + 1, "last_error": self.source_id._describe_error(error)})
                self._tell_people()
                return True
            self.source_id._pause_revoked_token(error)
            self.last_error = self.source_id._describe_error(error)
            return False
        except (EpicentrTransientError, EpicentrRateLimited, EpicentrProtocolError) as error:
            # a garbled answer is not a refusal: likely cut short on the way, try again later
            attempts = self.attempts + 1
            wait = getattr(error, "retry_after", None) or 60 * 2 ** (attempts - 1)
            self.write({"attempts": attempts, "last_error": self.source_id._describe_error(error),
                        "state": "pending" if attempts < MAX_ATTEMPTS else "failed",
                        "next_attempt_at": now + timedelta(seconds=wait)})
        except PushWaiting as waiting:
            expired = self.create_date < now - MAX_WAIT
            self.write({"last_error": str(waiting), "next_attempt_at": now + WAIT_RETRY,
                        "state": "failed" if expired else "pending"})
        except (PushRefused, EpicentrError) as error:
            self.write({"state": "failed", "attempts": self.attempts + 1, "last_error": self.source_id._describe_error(error)})
        else:
            self.write({"state": "done", "sent_at": now, "last_error": False, "attempts": self.attempts + 1})
        if self.state == "failed":
            self._tell_people()
            self._reopen_refused_cancellation()
        return True

    def _reopen_refused_cancellation(self):
        """Epicentr did not take a cancellation the Odoo order already shows: open the order again
        (a quotation), so that Odoo does not call cancelled what Epicentr still has open."""
        order = self.order_id
        if self.kind == "status" and self.target_status == "canceled" and order.state == "cancel":
            order.with_context(epicentr_importing=ServerOnly()).action_draft()
            order.message_post(body=text_html(self.env._(
                "Epicentr did not cancel the order, so it is open again in Odoo: %(reason)s",
                reason=self.last_error)), message_type="comment", subtype_xmlid="mail.mt_note")

    def _apply(self, client):
        """The calls for this entry. Re-reads the order first, so sending twice is harmless."""
        uuid = self.order_id.epicentr_uuid
        if self.kind == "comment":  # whatever the order's status
            if not (self.attempts and self._comment_arrived(client, uuid)):  # never twice in the thread
                client.add_comment(uuid, self.comment)
            self.order_id.message_post(body=text_html(self.env._("Comment sent to Epicentr: %(comment)s",
                                                                 comment=self.comment)),
                                       message_type="comment", subtype_xmlid="mail.mt_note")
            return
        card = client.get_order(uuid)
        status, shipment = card.get("statusCode"), (card.get("address") or {}).get("shipment") or {}
        if not status or not isinstance(status, str):  # never walk the order from a guess
            raise EpicentrProtocolError(self.env._("the order card has no status"))
        if self.kind == "status":
            reached = self._walk(client, uuid, status, self.target_status)
            # show it at once; the next sync brings Epicentr's own view of the order anyway
            self.order_id.sudo().epicentr_status = reached
        elif self.kind == "tracking":
            self._send_tracking(client, uuid, status, shipment.get("number"))
        elif self.kind == "items":
            self._change_items(client, uuid, status)
        elif self.kind == "call_status":
            if card.get("callStatus") != self.call_status:
                client.set_call_status(uuid, self.call_status)
            self.order_id.sudo().with_context(epicentr_importing=ServerOnly()).epicentr_call_status = self.call_status
        elif shipment.get("number"):  # tracking_delete
            if status != "confirmed":
                raise PushRefused(self.env._(
                    "Epicentr lets a tracking number be removed only while the order is confirmed; it is %(status)s.",
                    status=const.status_title(self.env, status)))
            client.delete_shipment_number(uuid)

    def _change_items(self, client, uuid, status):
        """Change the items on Epicentr (a new order is first confirmed by the seller, as Epicentr
        requires), then read the order back: the quotation follows what Epicentr has."""
        if status == "new":
            status = self._walk(client, uuid, status, "confirmed_by_merchant")
        if status != "confirmed_by_merchant":
            raise PushRefused(self.env._(
                "Epicentr lets the seller change the items only while the order is confirmed by the seller; "
                "it is “%(status)s”.", status=const.status_title(self.env, status)))
        for offer_id, quantity in (self.item_changes or {}).items():
            if quantity:
                client.set_item_quantity(uuid, offer_id, quantity)
            else:
                client.delete_item(uuid, offer_id)
        self.env["epicentr.order.import"]._import_page(self.source_id, [client.get_order(uuid)])

    def _comment_arrived(self, client, uuid):
        """Whether an earlier attempt's comment is in the order's thread (its answer got lost)."""
        since = self.create_date - timedelta(minutes=1)
        for comment in client.get_comments(uuid):
            try:
                at = parse_datetime(comment.get("createdAt"), "createdAt")
            except ValueError:
                continue
            if str(comment.get("content") or "").strip() == self.comment.strip() and at >= since:
                return True
        return False

    def _send_tracking(self, client, uuid, status, current_number):
        number = self.tracking_number
        invalid = self._invalid_tracking(self.order_id, number)
        if invalid:  # e.g. Retry on a number refused when it was entered
            raise PushRefused(invalid)
        if status in ("new", "confirmed_by_merchant"):
            if not self._may_confirm(self.source_id):
                raise PushWaiting(self.env._(
                    "Waiting: Epicentr accepts a tracking number once the order is confirmed, and it is "
                    "“%(status)s”. Confirm it in the Epicentr cabinet, or add a status rule that confirms it.",
                    status=const.status_title(self.env, status)))
            status = self._walk(client, uuid, status, "confirmed")
        if status != "confirmed":
            if current_number == number:
                return  # already there (sent twice, or typed in the cabinet)
            raise PushRefused(self.env._(
                "Epicentr accepts a tracking number only while the order is confirmed; it is “%(status)s”.",
                status=const.status_title(self.env, status)))
        if current_number != number:
            client.set_shipment_number(uuid, number)
        card = client.get_order(uuid)  # read back: did Epicentr move it to "sent" by itself?
        if card.get("statusCode") == "confirmed" and "sent" in self._allowed(client, uuid):
            if self._provider():
                client.change_status(uuid, "sent", provider=self._provider(), number=number)
            else:
                client.change_status(uuid, "sent")

    def _walk(self, client, uuid, status, target):
        """Move the order to ``target`` through the seller's steps Epicentr allows now; returns
        the status reached. Refuses, without writing, a target it cannot reach."""
        for _step in range(len(const.SELLER_PATH)):
            if const.reached(status, target):
                return status
            allowed = self._allowed(client, uuid)
            step = target if target in allowed else const.next_step(status, target)
            # Epicentr offers "sent" only once it has a TTN; the body of the move can bring it.
            with_ttn = step == "sent" and self.tracking_number and self._provider() and not self._invalid_tracking(
                self.order_id, self.tracking_number)
            if step not in allowed and not (with_ttn and status == "confirmed"):
                raise PushRefused(self.env._(
                    "Epicentr does not allow “%(target)s” for this order now: it is “%(status)s”, and the "
                    "possible statuses are: %(allowed)s.",
                    target=const.status_title(self.env, target), status=const.status_title(self.env, status),
                    allowed=", ".join(const.status_title(self.env, a) for a in allowed) or "—"))
            if step == "canceled":
                if not self.cancel_reason_key:
                    raise PushRefused(self.env._(
                        "Epicentr needs a cancel reason: cancel the order again and choose one."))
                client.change_status(uuid, step, reason_code=self.cancel_reason_key.rsplit(".", 1)[-1],
                                     translation_key=self.cancel_reason_key, comment=self.cancel_comment or None)
            elif with_ttn:
                client.change_status(uuid, step, provider=self._provider(), number=self.tracking_number)
            else:
                client.change_status(uuid, step)
            status = step
        return status

    def _provider(self):
        """The order's delivery service as Epicentr names it, for the body of "sent"."""
        carrier = self.order_id.epicentr_carrier
        return carrier if carrier not in (False, "other", "courier_delivery") else None

    @staticmethod
    def _allowed(client, uuid):
        return [item.get("code") for item in client.get_allowed_statuses(uuid)]

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

"""Turns pages of Epicentr order cards into sale orders: batched, idempotent, never losing an order."""

import logging

import psycopg2
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .. import const
from ..utils.order_card import DERIVED_FIELDS
from ..utils.values import OrderDataError, clean_text
from ..utils.messages import text_html
from ..utils.switches import ServerOnly
from .epicentr_order_returns import RETURN_REQUESTED

_logger = logging.getLogger(__name__)

# Keeps the mail machinery quiet while importing: no tracking values, no "created" notes,
# no followers notified. Also tells the push hooks this is Epicentr speaking (a server-only
# switch: an RPC caller cannot silence the outbox for a write of its own).
IMPORT_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_notrack": True,
    "mail_create_nosubscribe": True,
    "epicentr_importing": ServerOnly(),
}
# What a failing order may raise and still leave the rest of its page importable.
ORDER_ERRORS = (OrderDataError, UserError, ValidationError, ValueError, KeyError, TypeError)


class EpicentrOrderImport(models.AbstractModel):
    _name = "epicentr.order.import"
    _description = "Epicentr order import"

    @api.model
    def _import_cards(self, source, cards, fingerprints=None):
        """Create or update the sale orders of ``cards`` (Card, e.g. one list page); ``fingerprints``
        maps a UUID to the hash of its list entry, stored to skip it while it does not change.
        Returns {"created": n, "updated": n, "failed": {uuid: (number, reason)}}.

        The cards go in one batch; if that fails, each order is retried in its own savepoint so
        that one bad order is reported and the others arrive.
        """
        self = self.with_context(**IMPORT_CONTEXT)
        try:
            with self.env.cr.savepoint():
                return self._import_batch(source, cards, fingerprints or {})
        except ORDER_ERRORS as error:
            _logger.info("Epicentr source %s: page failed (%s), importing order by order", source.id, error)
        stats = {"created": 0, "updated": 0, "failed": {}}
        for card in cards:
            try:
                with self.env.cr.savepoint():
                    one = self._import_batch(source, [card], fingerprints or {})
            except ORDER_ERRORS as error:
                # cleaned: a NUL would make PostgreSQL refuse the failure list
                uuid, number = card.reported_uuid, card.reported_number
                stats["failed"][uuid] = (number, clean_text(error))
                continue
            stats["created"] += one["created"]
            stats["updated"] += one["updated"]
        return stats

    @api.model
    def _import_batch(self, source, cards, fingerprints):
        for card in cards:
            card.require("header", "lines", "delivery_price")  # all the import reads
        cards = list({card.uuid: card for card in cards}.values())  # the same order twice: its last state
        existing = {
            order.epicentr_uuid: order
            for order in self.env["sale.order"].search(
                [("epicentr_source_id", "=", source.id), ("epicentr_uuid", "in", [card.uuid for card in cards])])
        }
        new = [card for card in cards if card.uuid not in existing]
        changed = [card for card in cards if card.uuid in existing]
        # customers for the new orders and for those whose buyer Epicentr may reveal now
        hidden = [card for card in changed if existing[card.uuid].epicentr_buyer_hidden]
        partners = self.env["epicentr.order.partners"]._partners_for(source, new + hidden)
        new_lines = [line for card in new for line in card.lines]
        products = self.env["epicentr.order.lines"]._products_for(new_lines, source.company_id)
        if new:
            self._create_orders(source, new, partners, products, fingerprints)
            self.env["epicentr.offer"]._learn(source, new_lines, products)
        for card in changed:
            self._update_order(existing[card.uuid], card, partners, fingerprints.get(card.uuid))
        return {"created": len(new), "updated": len(changed), "failed": {}}

    # ------------------------------------------------------------------ orders

    @api.model
    def _create_orders(self, source, new, partners, products, fingerprints):
        company = source.company_id
        salespeople = self._next_salespeople(source, len(new))
        shop = self.with_context(lang=company.partner_id.lang or self.env.lang)  # the shop's language, not the cron's
        hidden = [card for card in new if card.uuid not in partners]
        placeholder_of = dict(zip([card.uuid for card in hidden], self.env["epicentr.order.partners"]._create_partners([
            {"name": shop.env._("Epicentr buyer #%(number)s", number=card.number), "company_id": company.id}
            for card in hidden])))
        contacts = [(partners.get(card.uuid) or (placeholder_of[card.uuid],) * 3) for card in new]
        defaults = self._batch_defaults(source, salespeople, [customer for customer, *_rest in contacts])
        vals_list = [{
            **self._order_values(source, card, contacts, defaults, products),
            "epicentr_fingerprint": fingerprints.get(card.uuid, False),
            "epicentr_buyer_hidden": card.uuid not in partners,
            "epicentr_buyer_placeholder_id": placeholder_of[card.uuid].id if card.uuid in placeholder_of else False,
            "user_id": salesperson.id,
            "warehouse_id": defaults["warehouse"][salesperson].id,
        } for card, salesperson, contacts in zip(new, salespeople, contacts)]
        orders = self.env["sale.order"].with_company(company).create(vals_list)
        card_of = {card.uuid: card for card in new}
        for order in orders.filtered(lambda o: card_of[o.epicentr_uuid].payer):
            self.env["epicentr.order.partners"]._note_invalid_payer(order, card_of[order.epicentr_uuid].payer)
        done = orders.filtered(lambda o: card_of[o.epicentr_uuid].status in const.DONE_STATUSES)
        if done:
            # The buyer already has the goods: record the sale, move no stock.
            self._subscribe_customers(done)
            done.with_context(skip_procurement=True).action_confirm()
            done.action_lock()
        orders.filtered(lambda o: card_of[o.epicentr_uuid].status in const.CANCELLED_STATUSES)._action_cancel()
        self._schedule_confirmation(orders.filtered("epicentr_confirm_deadline"))
        return orders

    @api.model
    def _order_values(self, source, card, contacts, defaults, products):
        """A new order's values: its header, customer, pricing and lines at Epicentr's prices."""
        Lines = self.env["epicentr.order.lines"]
        company = source.company_id
        customer, shipping, invoice = contacts
        pricelist = defaults["pricelist"][customer]
        priced = {"company": company, "currency": pricelist.currency_id or company.currency_id,
                  "fiscal_position": defaults["fiscal_position"](customer, shipping) or defaults["gross"],
                  "gross": defaults["gross"]}
        lines = [Lines._line_values(line, products, priced) for line in card.lines]
        if card.delivery_price:
            lines.append(Lines._delivery_values(card.delivery_price, priced))
        values = {
            **card.header,
            "epicentr_source_id": source.id,
            "epicentr_items_digest": card.items_digest,
            "company_id": company.id,
            "partner_id": customer.id,
            "partner_invoice_id": invoice.id,
            "partner_shipping_id": shipping.id,
            "fiscal_position_id": priced["fiscal_position"].id,
            "pricelist_id": pricelist.id,
            "team_id": source.team_id.id or False,
            "client_order_ref": card.number,
            "carrier_id": defaults["carriers"].get(card.carrier, self.env["delivery.carrier"]).id,
            "origin": f"Epicentr {card.number}",
            "date_order": card.created_at,
            "order_line": [fields.Command.create({**defaults["line"], **line}) for line in lines],
        }
        if defaults["sequence"]:  # what sale.order.create() would ask for
            values["name"] = defaults["sequence"]._next(
                sequence_date=fields.Datetime.context_timestamp(self, card.created_at))
        return values

    @api.model
    def _next_salespeople(self, source, count):
        """The next ``count`` salespeople of the round-robin pool (empty users when it is empty).

        The caller holds the source's sync lock, so two imports never hand out the same turn."""
        pool = source.salesperson_ids.sorted("id")
        if not pool:
            return [self.env["res.users"]] * count
        start = (list(pool).index(source.rr_last_user_id) + 1) if source.rr_last_user_id in pool else 0
        picked = [pool[(start + i) % len(pool)] for i in range(count)]
        if picked:
            source.rr_last_user_id = picked[-1]
        return picked

    @api.model
    def _subscribe_customers(self, orders):
        """Make each customer follow the order, with the default subtypes, as action_confirm()
        would, but in one go (action_confirm() subscribes order by order, 5 queries each)."""
        default, _internal, external = self.env["mail.message.subtype"].default_subtypes("sale.order")
        self.env["mail.followers"].sudo().create([
            {"res_model": "sale.order", "res_id": order.id, "partner_id": order.partner_id.id,
             "subtype_ids": [fields.Command.set((external if order.partner_id.partner_share else default).ids)]}
            for order in orders if order.partner_id not in order.message_partner_ids
        ])
        orders.invalidate_recordset(["message_follower_ids", "message_partner_ids"])

    @api.model
    def _batch_defaults(self, source, salespeople, customers):
        """The values Odoo would look up once per order or line (a search each), looked up once
        per page with Odoo's own computations: the same orders, a fraction of the queries."""
        company = source.company_id
        Order = self.env["sale.order"].with_company(company)
        warehouse = {user: source.warehouse_id or Order.new({"company_id": company.id, "user_id": user.id}).warehouse_id
                     for user in set(salespeople)}
        # property_product_pricelist is computed for all the customers at once
        customers = self.env["res.partner"].union(*customers).with_company(company)
        pricelist = {customer: source.pricelist_id or customer.property_product_pricelist for customer in customers}
        line = {}
        # No distribution model: each line's lookup would find none and leave the distribution empty.
        if not self.env["account.analytic.distribution.model"].search_count([], limit=1):
            line["analytic_distribution"] = False
        sequence = self.env["ir.sequence"].search(
            [("code", "=", "sale.order"), ("company_id", "in", [company.id, False])], order="company_id", limit=1)
        FiscalPosition = self.env["account.fiscal.position"].with_company(company)
        # a customer's fiscal position first (the gross-prices one is never applied by itself)
        if FiscalPosition.search_count([("company_id", "=", company.id), ("epicentr_gross_prices", "=", False)], limit=1):
            fiscal_position = FiscalPosition._get_fiscal_position  # (customer, delivery contact), as sale.order does
        else:  # none to find: spare each order the search
            def fiscal_position(_customer, _shipping):
                return FiscalPosition
        return {"warehouse": warehouse, "pricelist": pricelist, "line": line, "sequence": sequence,
                "carriers": self.env["delivery.carrier"]._epicentr_carriers(),
                "fiscal_position": fiscal_position, "gross": FiscalPosition._epicentr_gross_for(company)}

    @api.model
    def _update_order(self, order, card, partners, fingerprint=None):
        """Apply a later state of the order: only the fields Epicentr owns change, so a
        salesperson's own edits (notes, lines of a confirmed order, …) are kept."""
        # Never blank what was known: Epicentr may answer with an empty address or leave fields out
        header = {name: value for name, value in {**card.header, "epicentr_fingerprint": fingerprint}.items()
                  if value not in (False, None, "") or name in DERIVED_FIELDS or not order[name]}
        carrier_changed = header.get("epicentr_carrier", order.epicentr_carrier) != order.epicentr_carrier
        return_requested = card.status == RETURN_REQUESTED != order.epicentr_status
        order.write(header)
        if return_requested:
            self.env["epicentr.order.returns"]._requested(order)
        if carrier_changed:
            self._follow_carrier(order)
        if order.epicentr_buyer_hidden and card.uuid in partners:
            self._reveal_buyer(order, *partners[card.uuid])
            self.env["epicentr.order.partners"]._note_invalid_payer(order, card.payer)
        self.env["epicentr.order.lines"]._follow_lines(order, card)
        if card.status in const.CANCELLED_STATUSES and order.state != "cancel":
            self._cancel_from_epicentr(order, card)

    @api.model
    def _follow_carrier(self, order):
        """The buyer chose another delivery service: the order and its deliveries not yet shipped follow."""
        carrier = self.env["delivery.carrier"]._epicentr_carriers().get(order.epicentr_carrier)
        if carrier:
            order.carrier_id = carrier
            order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing" and p.state not in ("done", "cancel")
                                       and not p.carrier_tracking_ref).carrier_id = carrier

    @api.model
    def _reveal_buyer(self, order, customer, shipping, invoice):
        """The buyer Epicentr now shows replaces the placeholder, which goes; a customer that a
        salesperson set on the quotation meanwhile is theirs to keep, and is never removed."""
        placeholder = order.epicentr_buyer_placeholder_id
        values = {"epicentr_buyer_hidden": False, "epicentr_buyer_placeholder_id": False}
        if order.partner_id == placeholder:
            values.update({"partner_id": customer.id, "partner_invoice_id": invoice.id,
                           "partner_shipping_id": shipping.id,
                           # a new partner recomputes the salesperson: keep the one round-robin gave
                           "user_id": order.user_id.id, "team_id": order.team_id.id})
        order.write(values)
        if not placeholder or not self._own_placeholder(order, placeholder):
            return
        self.env.flush_all()  # a concurrent update of the order must reach the caller, not the except below
        try:
            with self.env.cr.savepoint():
                placeholder.unlink()
        except (UserError, psycopg2.IntegrityError):  # still referenced somewhere: keep it, archived
            placeholder.active = False

    @api.model
    def _own_placeholder(self, order, partner):
        """Whether ``partner`` is what the import made for the hidden buyer of ``order`` alone: a
        contact of the order's company that no user is and no other order names. Anything else is
        left as it is, whatever the order says (the reveal removes what it finds there)."""
        Order = self.env["sale.order"].with_context(active_test=False)
        return (partner.company_id == order.company_id and not partner.with_context(active_test=False).user_ids
                and not partner.child_ids and not Order.search_count([
                    ("id", "!=", order.id), "|", "|", ("partner_id", "=", partner.id),
                    ("partner_invoice_id", "=", partner.id), ("partner_shipping_id", "=", partner.id)], limit=1))

    @api.model
    def _cancel_from_epicentr(self, order, card):
        """Cancelled or returned on Epicentr: a shipped order's goods come back (their return is
        prepared), any other is cancelled."""
        if order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing" and p.state == "done"):
            self.env["epicentr.order.returns"]._prepare(order, card)
            return
        if order.locked:  # arrived finished, without a delivery in Odoo
            body = Markup("<p>%s</p>") % self.env._(
                "Epicentr cancelled this order (status %(status)s), but Odoo cannot cancel it: the order is "
                "locked and has no delivery in Odoo to return. Handle the return by hand.",
                status=order.epicentr_status_name)
            order.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_note")
            order.activity_schedule(
                "mail.mail_activity_data_warning", user_id=order.user_id.id or self.env.uid,
                summary=order.env._("Cancelled on Epicentr"), note=body)
            return
        order._action_cancel()
        order.message_post(body=text_html(order._epicentr_cancellation_text()), message_type="comment",
                           subtype_xmlid="mail.mt_note")

    @api.model
    def _schedule_confirmation(self, orders):
        """An activity for the salesperson: confirm the new order before Epicentr's deadline."""
        for order in orders.filtered("user_id"):
            # the deadline in the salesperson's time and language (Ukrainian shops: Kyiv when unset)
            order = order.with_context(tz=order.user_id.tz or "Europe/Kyiv", lang=order.user_id.lang)
            order.activity_schedule(
                "epicentr_connector.mail_activity_epicentr_confirm",
                date_deadline=fields.Date.to_date(fields.Datetime.context_timestamp(order, order.epicentr_confirm_deadline)),
                user_id=order.user_id.id,
                summary=order.env._(
                    "Confirm Epicentr order %(number)s before %(deadline)s",
                    number=order.epicentr_number,
                    deadline=fields.Datetime.context_timestamp(order, order.epicentr_confirm_deadline).strftime("%H:%M"),
                ),
            )

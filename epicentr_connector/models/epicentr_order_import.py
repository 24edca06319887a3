"""Turns pages of Epicentr order cards into sale orders: batched, idempotent, never losing an order."""

import logging

import psycopg2
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .. import const
from ..utils.order_mapping import DERIVED_FIELDS, OrderDataError, clean_text, map_order
from ..utils.messages import text_html
from ..utils.switches import ServerOnly

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
    def _import_page(self, source, cards, fingerprints=None):
        """Create or update the sale orders of ``cards`` (one page); ``fingerprints`` maps a
        UUID to the hash of its list entry, stored to skip it while it does not change. Returns
        {"created": n, "updated": n, "failed": {uuid: (number, reason)}}.

        The page goes in one batch; if that fails, each order is retried in its own
        savepoint so that one bad order is reported and the others arrive.
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
                # cleaned: a NUL would make PostgreSQL refuse the source's failure list and error
                uuid = clean_text(card.get("id")) if isinstance(card, dict) else "?"
                number = clean_text(card.get("number")) if isinstance(card, dict) else "?"
                stats["failed"][uuid] = (number, clean_text(error))
                continue
            stats["created"] += one["created"]
            stats["updated"] += one["updated"]
        return stats

    @api.model
    def _import_batch(self, source, cards, fingerprints):
        mapped = [map_order(card) for card in cards]
        for m in mapped:
            m["header"]["epicentr_fingerprint"] = fingerprints.get(m["uuid"], False)
        uuids = [m["uuid"] for m in mapped]
        if len(set(uuids)) != len(uuids):  # the same order twice in a page: keep its last state
            mapped = list({m["uuid"]: m for m in mapped}.values())
        existing = {
            order.epicentr_uuid: order
            for order in self.env["sale.order"].search(
                [("epicentr_source_id", "=", source.id), ("epicentr_uuid", "in", uuids)])
        }
        new = [m for m in mapped if m["uuid"] not in existing]
        changed = [m for m in mapped if m["uuid"] in existing]
        partners = self._partners_for(source, new + changed)
        products = self._products_for([line for m in new for line in m["lines"]], source.company_id)
        if new:
            self._create_orders(source, new, partners, products)
        for m in changed:
            self._update_order(existing[m["uuid"]], m, partners)
        return {"created": len(new), "updated": len(changed), "failed": {}}

    # ------------------------------------------------------------------ customers

    @api.model
    def _partners_for(self, source, mapped):
        """{uuid: (customer, delivery contact)} for the orders whose buyer Epicentr shows.

        Buyers are matched by E.164 phone (Odoo's sanitized phone), then e-mail; the rest are
        created in one go. An alternate recipient becomes a delivery contact of the buyer.
        """
        # active_test off so that archived users count as users; archived contacts are left out below
        Partner = self.env["res.partner"].with_context(active_test=False)
        shown = [m for m in mapped if m["buyer"]]
        phones = {m["buyer"]["phone"] for m in shown if m["buyer"]["phone_valid"]}
        emails = {m["buyer"]["email"] for m in shown if m["buyer"]["email"]}
        by_phone, by_email = {}, {}
        # Only contacts the import may attach an order (and its follower rights) to: active, of
        # the source's company or shared, customers rather than users' own partners (portal
        # users, employees); the phone first, an unverified e-mail only after it.
        company = [("company_id", "in", [False, source.company_id.id]), ("active", "=", True), ("user_ids", "=", False)]
        if "employee_ids" in Partner._fields:  # hr installed: an employee's private contact is not a buyer
            company.append(("employee_ids", "=", False))
        if phones:
            for partner in Partner.search(company + [("phone_sanitized", "in", list(phones)), ("type", "=", "contact")], order="id"):
                by_phone.setdefault(partner.phone_sanitized, partner)
        if emails:
            for partner in Partner.search(company + [("email_normalized", "in", list(emails)), ("type", "=", "contact")], order="id"):
                by_email.setdefault(partner.email_normalized, partner)

        def key(person):
            return person["phone"] if person["phone_valid"] else (person["email"] or person["name"])

        to_create = {}
        for m in shown:
            buyer = m["buyer"]
            found = (buyer["phone_valid"] and by_phone.get(buyer["phone"])) or (buyer["email"] and by_email.get(buyer["email"]))
            if not found:
                to_create.setdefault(key(buyer), buyer)
        created = dict(zip(to_create, Partner.create([
            {"name": b["name"], "phone": b["phone"], "email": b["email"], "company_id": source.company_id.id,
             "comment": self.env._("Created from an Epicentr order.")}
            for b in to_create.values()
        ]))) if to_create else {}

        customers = {}
        for m in shown:
            buyer = m["buyer"]
            customers[m["uuid"]] = ((buyer["phone_valid"] and by_phone.get(buyer["phone"]))
                                    or (buyer["email"] and by_email.get(buyer["email"]))
                                    or created[key(buyer)])
        delivery = self._delivery_contacts(customers, mapped)
        return {uuid: (customer, delivery.get(uuid, customer)) for uuid, customer in customers.items()}

    @api.model
    def _delivery_contacts(self, customers, mapped):
        """{uuid: delivery contact} for the orders with an alternate recipient."""
        wanted = {m["uuid"]: m["recipient"] for m in mapped if m["recipient"] and m["uuid"] in customers}
        if not wanted:
            return {}
        Partner = self.env["res.partner"]
        existing = {
            (child.parent_id.id, child.phone_sanitized or child.name): child
            for child in Partner.search([
                ("parent_id", "in", list({customers[uuid].id for uuid in wanted})), ("type", "=", "delivery")])
        }
        keys = {uuid: (customers[uuid].id, person["phone"] if person["phone_valid"] else person["name"])
                for uuid, person in wanted.items()}
        missing = {}
        for uuid, k in keys.items():
            if k not in existing:
                person = wanted[uuid]
                missing.setdefault(k, {"name": person["name"], "phone": person["phone"], "type": "delivery",
                                       "parent_id": customers[uuid].id})
        if missing:
            existing.update(zip(missing, Partner.create(list(missing.values()))))
        return {uuid: existing[k] for uuid, k in keys.items()}

    # ------------------------------------------------------------------ products

    @api.model
    def _products_for(self, lines, company):
        """{code: product} for the codes of ``lines``: internal reference first, then barcode."""
        codes = {code for line in lines for code in line["codes"]}
        if not codes:
            return {}
        Product = self.env["product.product"]
        shared = [("company_id", "in", [False, company.id])]
        found = {p.default_code: p for p in Product.search(shared + [("default_code", "in", list(codes))], order="id desc")}
        rest = codes - found.keys()
        if rest:
            found.update({p.barcode: p for p in Product.search(shared + [("barcode", "in", list(rest))])})
        return found

    @api.model
    def _line_values(self, line, products, company, defaults):
        product = next((products[code] for code in line["codes"] if code in products), None)
        code = line["codes"][0] if line["codes"] else False
        if not product:
            product = self.env.ref("epicentr_connector.product_epicentr_unmatched")
        taxes = product.taxes_id.filtered(lambda t: t.company_id in company.parent_ids)
        return {
            **defaults,
            "product_id": product.id,
            "name": line["title"] if not code else f"[{code}] {line['title']}",
            "product_uom_qty": line["quantity"],
            "price_unit": line["price"],
            # Epicentr's prices are final: taxes only where they are included in the price,
            # so the order total stays Epicentr's total.
            "tax_id": [fields.Command.set(taxes.ids if all(t.price_include for t in taxes) else [])],
            "epicentr_product_code": code,
        }

    @api.model
    def _rematch_products(self, orders):
        """Put real products on the placeholder lines of quotations whose code now exists."""
        placeholder = self.env.ref("epicentr_connector.product_epicentr_unmatched")
        lines = orders.filtered(lambda o: o.state in ("draft", "sent")).order_line.filtered(
            lambda l: l.product_id == placeholder and l.epicentr_product_code)
        healed = 0
        for company, company_lines in lines.grouped("company_id").items():
            products = self._products_for(
                [{"codes": (code,)} for code in set(company_lines.mapped("epicentr_product_code"))], company)
            healed += self._swap_products(company_lines, products)
        return healed

    @api.model
    def _swap_products(self, lines, products):
        healed = 0
        for line in lines:
            product = products.get(line.epicentr_product_code)
            if product:
                # keep Epicentr's price and title: the buyer agreed to them
                line.write({"product_id": product.id, "price_unit": line.price_unit, "name": line.name,
                            "product_uom": product.uom_id.id})
                healed += 1
        return healed

    # ------------------------------------------------------------------ orders

    @api.model
    def _create_orders(self, source, new, partners, products):
        company = source.company_id
        salespeople = self._next_salespeople(source, len(new))
        shop = self.with_context(lang=company.partner_id.lang or self.env.lang)  # the shop's language, not the cron's
        placeholders = self.env["res.partner"].create([
            {"name": shop.env._("Epicentr buyer #%(number)s", number=m["number"]), "company_id": company.id}
            for m in new if m["uuid"] not in partners
        ])
        placeholder_of = dict(zip([m["uuid"] for m in new if m["uuid"] not in partners], placeholders))
        delivery_product = self.env.ref("epicentr_connector.product_epicentr_delivery")
        contacts = [(partners.get(m["uuid"]) or (placeholder_of[m["uuid"]],) * 2) for m in new]
        defaults = self._batch_defaults(source, salespeople, [customer for customer, _shipping in contacts])
        vals_list = []
        for m, salesperson, (customer, shipping) in zip(new, salespeople, contacts):
            lines = [self._line_values(line, products, company, defaults["line"]) for line in m["lines"]]
            if m["delivery_price"]:
                lines.append({**defaults["line"], "product_id": delivery_product.id, "name": delivery_product.name,
                              "product_uom_qty": 1, "price_unit": m["delivery_price"],
                              "tax_id": [fields.Command.clear()]})
            vals = {
                **m["header"],
                "epicentr_source_id": source.id,
                "epicentr_buyer_hidden": m["uuid"] not in partners,
                "epicentr_buyer_placeholder_id": placeholder_of[m["uuid"]].id if m["uuid"] in placeholder_of else False,
                "company_id": company.id,
                "partner_id": customer.id,
                "partner_invoice_id": customer.id,
                "partner_shipping_id": shipping.id,
                "user_id": salesperson.id,
                "team_id": source.team_id.id or False,
                "client_order_ref": m["number"],
                "origin": f"Epicentr {m['number']}",
                "date_order": m["header"]["epicentr_created_at"],
                "order_line": [fields.Command.create(line) for line in lines],
            }
            if defaults["sequence"]:
                vals["name"] = defaults["sequence"]._next(sequence_date=fields.Datetime.context_timestamp(
                    self, m["header"]["epicentr_created_at"]))  # what sale.order.create() would ask for
            vals["warehouse_id"] = defaults["warehouse"][salesperson].id
            vals["pricelist_id"] = defaults["pricelist"][customer].id
            vals_list.append(vals)
        orders = self.env["sale.order"].with_company(company).create(vals_list)
        by_status = {m["uuid"]: m["status"] for m in new}
        done = orders.filtered(lambda o: by_status[o.epicentr_uuid] in const.DONE_STATUSES)
        if done:
            # The buyer already has the goods: record the sale, move no stock.
            self._subscribe_customers(done)
            done.with_context(skip_procurement=True).action_confirm()
            done.action_lock()
        orders.filtered(lambda o: by_status[o.epicentr_uuid] in const.CANCELLED_STATUSES)._action_cancel()
        self._schedule_confirmation(orders.filtered("epicentr_confirm_deadline"))
        return orders

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
        return {"warehouse": warehouse, "pricelist": pricelist, "line": line, "sequence": sequence}

    @api.model
    def _update_order(self, order, m, partners):
        """Apply a later state of the order: only the fields Epicentr owns change, so a
        salesperson's own edits (notes, lines of a confirmed order, …) are kept."""
        # Never blank what was known: Epicentr may answer with an empty address or leave fields out
        header = {name: value for name, value in m["header"].items()
                  if value not in (False, None, "") or name in DERIVED_FIELDS or not order[name]}
        order.write(header)
        if order.epicentr_buyer_hidden and m["uuid"] in partners:
            self._reveal_buyer(order, *partners[m["uuid"]])
        if m["status"] in const.CANCELLED_STATUSES and order.state != "cancel":
            self._cancel_from_epicentr(order)

    @api.model
    def _reveal_buyer(self, order, customer, shipping):
        """The buyer Epicentr now shows replaces the placeholder, which goes; a customer that a
        salesperson set on the quotation meanwhile is theirs to keep, and is never removed."""
        placeholder = order.epicentr_buyer_placeholder_id
        values = {"epicentr_buyer_hidden": False, "epicentr_buyer_placeholder_id": False}
        if order.partner_id == placeholder:
            values.update({"partner_id": customer.id, "partner_invoice_id": customer.id,
                           "partner_shipping_id": shipping.id,
                           # a new partner recomputes the salesperson: keep the one round-robin gave
                           "user_id": order.user_id.id, "team_id": order.team_id.id})
        order.write(values)
        if not placeholder:
            return
        self.env.flush_all()  # a concurrent update of the order must reach the caller, not the except below
        try:
            with self.env.cr.savepoint():
                placeholder.unlink()
        except (UserError, psycopg2.IntegrityError):  # still referenced somewhere: keep it, archived
            placeholder.active = False

    @api.model
    def _cancel_from_epicentr(self, order):
        if any(picking.state == "done" for picking in order.picking_ids) or order.locked:
            body = Markup("<p>%s</p>") % self.env._(
                "Epicentr cancelled this order (status %(status)s), but Odoo cannot cancel it: its "
                "delivery is already done or the order is locked. Handle the return by hand.",
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

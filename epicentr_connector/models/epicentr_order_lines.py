"""Epicentr's items as sale order lines: the products, the taxes and the unit prices that make
Odoo's totals Epicentr's; a quotation follows later changes of the items, a confirmed order is
told of them."""

from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.tools import float_round
from odoo.tools.misc import formatLang

from .. import const
from ..utils.order_card import Item

PLACEHOLDER = "epicentr_connector.product_epicentr_unmatched"
DELIVERY = "epicentr_connector.product_epicentr_delivery"


def epicentr_total(line):
    """Epicentr's total of an order line (lines imported before it was kept: theirs, which was Epicentr's)."""
    return line.epicentr_price_total or (line.order_id.currency_id or line.company_id.currency_id).round(line.price_total)


class EpicentrOrderLines(models.AbstractModel):
    _name = "epicentr.order.lines"
    _description = "Epicentr order lines"

    # ------------------------------------------------------------------ products

    @api.model
    def _product(self, xmlid):
        """The placeholder or delivery product, without the query env.ref() makes each time
        (none while the addon's data is not loaded yet: its install)."""
        try:
            return self.env["product.product"].browse(self._product_id(xmlid))
        except ValueError:
            return self.env["product.product"]

    @api.model
    def _delivery_lines(self, order):
        """The order's lines of Epicentr's delivery price."""
        delivery = self._product(DELIVERY)
        return order.order_line.filtered(lambda l: l.product_id == delivery)

    @api.model
    @tools.ormcache("xmlid")
    def _product_id(self, xmlid):
        return self.env.ref(xmlid).id

    @api.model
    def _products_for(self, lines, company):
        """{code: product} for the codes of ``lines`` (Item)."""
        return self._products_for_codes({code for line in lines for code in line.codes}, company)

    @api.model
    def _products_for_codes(self, codes, company):
        """{code: product}: internal reference first, then barcode."""
        if not codes:
            return {}
        Product = self.env["product.product"]
        shared = [("company_id", "in", [False, company.id])]
        found = {p.default_code: p for p in Product.search(shared + [("default_code", "in", list(codes))], order="id desc")}
        rest = codes - found.keys()
        if rest:
            found.update({p.barcode: p for p in Product.search(shared + [("barcode", "in", list(rest))])})
        return found

    # ------------------------------------------------------------------ taxes and prices

    @api.model
    def _priced(self, product, quantity, total, order, price=None):
        """The line values that put ``product`` at Epicentr's ``total``. Epicentr's prices are what
        the buyer pays, taxes included: the product's taxes, mapped by the order's fiscal position
        (sale.order.line._compute_tax_id), then each price-excluded one by its price-included twin,
        so that the line keeps Epicentr's unit ``price`` and Odoo backs the tax out of it.
        ``order``: {company, fiscal_position, gross, currency} of the order (_pricing())."""
        taxes = order["fiscal_position"].map_tax(product.taxes_id._filter_taxes_by_company(order["company"]))
        taxes = order["gross"]._epicentr_gross_taxes(taxes)
        return {
            "product_id": product.id,
            "product_uom_qty": quantity,
            "tax_id": [fields.Command.set(taxes.ids)],
            "price_unit": self._unit_price(total, quantity, taxes, product, order, price),
            "discount": 0.0,  # a pricelist's discount would move the total off Epicentr's
            "epicentr_price_total": total,
        }

    @api.model
    def _pricing(self, order):
        """What _priced() needs of a sale order."""
        return {"company": order.company_id, "fiscal_position": order.fiscal_position_id,
                "gross": self.env["account.fiscal.position"]._epicentr_gross_for(order.company_id),
                "currency": order.currency_id or order.company_id.currency_id}

    @api.model
    def _unit_price(self, total, quantity, taxes, product, order, price=None):
        """The unit price whose line total with ``taxes``, as the order computes it, is ``total``:
        Epicentr's own unit ``price`` when it gives the total (the usual case: the taxes are
        included in it), else the one of the "Product Price" digits nearest to it (an Epicentr
        subtotal that is not price × quantity; the order is flagged if none gives it). A tax still
        on top of the price (where an accountant mapped a tax to a price-excluded one) is solved
        for the same way."""
        company, currency = order["company"], order["currency"]
        digits = self.env["decimal.precision"].precision_get("Product Price")
        if not quantity:
            return 0.0
        Tax = self.env["account.tax"]

        def line_total(price_unit, rounding_method="round_per_line"):
            """The line's total as the order shows it: its own kopecks (a whole order rounded per
            line is the sum of these); unrounded with "round_globally"."""
            if not taxes:  # what Odoo's computation comes to, without its cost (the usual placeholder line)
                return currency.round(price_unit * quantity) if rounding_method == "round_per_line" else price_unit * quantity
            base_line = Tax._prepare_base_line_for_taxes_computation(
                None, price_unit=price_unit, quantity=quantity, tax_ids=taxes, product_id=product, currency_id=currency)
            Tax._add_tax_details_in_base_line(base_line, company, rounding_method=rounding_method)
            details = base_line["tax_details"]
            if rounding_method != "round_per_line":
                return details["raw_total_included_currency"]
            return currency.round(details["raw_total_excluded_currency"]) + sum(
                currency.round(tax["raw_tax_amount_currency"]) for tax in details["taxes_data"])

        if price is not None and not currency.compare_amounts(line_total(float_round(price, precision_digits=digits)), total):
            return float_round(price, precision_digits=digits)
        # Taxes are affine in the unit price (percentages, fixed amounts, included or not): two
        # unrounded evaluations give the exact price; of its rounded neighbours the closest total wins.
        guess = float_round(total / quantity, precision_digits=digits)
        at_guess, at_zero = line_total(guess, "round_globally"), line_total(0.0, "round_globally")
        exact = guess + (total - at_guess) * guess / (at_guess - at_zero) if at_guess != at_zero else guess
        step = 10 ** -digits
        candidates = {float_round(exact + k * step, precision_digits=digits) for k in (-1, 0, 1)}
        return min(candidates, key=lambda candidate: (abs(line_total(candidate) - total), abs(candidate - exact)))

    @api.model
    def _line_values(self, line, products, order):
        """A new line for an Epicentr item (on the placeholder product when no product has its code)."""
        product = next((products[code] for code in line.codes if code in products), None) or self._product(PLACEHOLDER)
        code = line.codes[0] if line.codes else False
        return {
            **self._priced(product, line.quantity, line.total, order, line.price),
            "name": line.title if not code else f"[{code}] {line.title}",
            "epicentr_product_code": code,
            "epicentr_offer_id": line.offer_id,
        }

    @api.model
    def _delivery_values(self, price, order):
        product = self._product(DELIVERY)
        return {**self._priced(product, 1, price, order, price), "name": product.name}

    @api.model
    def _rematch_products(self, orders):
        """Put real products on the placeholder lines of quotations whose code now exists, at
        Epicentr's line total with the product's taxes."""
        placeholder = self._product(PLACEHOLDER)
        lines = orders.filtered(lambda o: o.state in ("draft", "sent") and not o.locked).order_line.filtered(
            lambda l: l.product_id == placeholder and l.epicentr_product_code)
        healed = self.env["sale.order.line"]
        for company, company_lines in lines.grouped("company_id").items():
            products = self._products_for_codes(set(company_lines.mapped("epicentr_product_code")), company)
            found = company_lines.filtered(lambda l: l.epicentr_product_code in products)
            # the pricing of the orders to heal only (an idle sync heals none): one lookup an order, not a line
            pricing = {order: self._pricing(order) for order in found.order_id}
            for line in found:
                product = products[line.epicentr_product_code]
                # keep Epicentr's title and total: the buyer agreed to them
                line.write({**self._priced(product, line.product_uom_qty, epicentr_total(line), pricing[line.order_id]),
                            "name": line.name, "product_uom": product.uom_id.id})
            healed |= found
        return len(healed)

    @api.model
    def _move_to_gross_prices(self, orders):
        """Orders imported before Epicentr's prices were taken as gross (18.0.4 and older: a unit
        price net of price-excluded taxes, a kopeck off Epicentr's total on about half of them).
        Open quotations are priced again as an import prices now; confirmed, locked and cancelled
        orders are left as they are, and each source's chatter lists those priced the old way."""
        delivery = self._product(DELIVERY)
        Position = self.env["account.fiscal.position"]
        quotations = orders.filtered(lambda o: o.state in ("draft", "sent") and not o.locked)
        for order in quotations:
            if not order.fiscal_position_id:
                order.fiscal_position_id = Position._epicentr_gross_for(order.company_id)
            pricing = self._pricing(order)
            for line in order.order_line.filtered(
                    lambda l: l.epicentr_offer_id or l.epicentr_product_code or l.product_id == delivery):
                line.write({**self._priced(line.product_id, line.product_uom_qty, epicentr_total(line), pricing),
                            "name": line.name})
        old_way = (orders - quotations).filtered(
            lambda o: o.state != "cancel" and any(tax._epicentr_needs_twin() for tax in o.order_line.tax_id))
        for source, left in old_way.grouped("epicentr_source_id").items():
            shop = source.with_context(lang=source.company_id.partner_id.lang or self.env.lang)
            off = left.filtered("epicentr_total_mismatch")
            body = Markup("<p>%s</p>") % shop.env._(
                "Epicentr's prices are now taken with their taxes included, so that every order's total is "
                "what the buyer pays. %(count)s confirmed orders priced the old way (before the taxes) are left as "
                "they are; %(off)s of them differ from Epicentr's total:",
                count=len(left), off=len(off))
            body += Markup("<ul>%s</ul>") % Markup("").join(
                Markup("<li>%s</li>") % shop.env._(
                    "%(order)s (Epicentr %(number)s): %(total)s in Odoo, %(paid)s on Epicentr", order=order.name,
                    number=order.epicentr_number, total=formatLang(self.env, order.amount_total, currency_obj=order.currency_id),
                    paid=formatLang(self.env, order.amount_total + self._gap(order), currency_obj=order.currency_id))
                for order in off[:100])
            source.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_note")
        return quotations, old_way

    @api.model
    def _gap(self, order):
        """What the buyer pays Epicentr less Odoo's total."""
        shipping = self._delivery_lines(order)
        return order.epicentr_total + sum(epicentr_total(line) for line in shipping) - order.amount_total

    # ------------------------------------------------------------------ later changes on Epicentr

    @api.model
    def _follow_lines(self, order, card):
        """Bring a quotation's lines to Epicentr's items; on a confirmed or locked order, change
        nothing and tell the salesperson line by line. Once per state of the items."""
        digest = card.items_digest
        if order.epicentr_items_digest == digest:
            return
        if order.state != "cancel" and card.status not in const.CANCELLED_STATUSES:
            changes = self._differences(order, card)
            if changes and order.state in ("draft", "sent") and not order.locked:
                self._change_quotation(order, changes)
            elif changes:
                self._report(order, changes)
        order.epicentr_items_digest = digest

    @api.model
    def _differences(self, order, card):
        """[(kind, item, line)]: kind is added, removed, changed or delivery. Items pair with the
        lines they became by offer id, then by product code; the salesperson's own lines (no
        Epicentr marks) are left out."""
        delivery = self._product(DELIVERY)
        free = order.order_line.filtered(
            lambda l: (l.epicentr_offer_id or l.epicentr_product_code) and l.product_id != delivery)
        paired = {}
        for matches in (lambda item, line: item.offer_id and line.epicentr_offer_id == item.offer_id,
                        lambda item, line: line.epicentr_product_code in item.codes):
            for position, item in enumerate(card.lines):
                line = position not in paired and next((l for l in free if matches(item, l)), None)
                if line:
                    paired[position] = line
                    free -= line
        changes = [("removed", None, line) for line in free]
        for position, item in enumerate(card.lines):
            line = paired.get(position)
            if not line:
                changes.append(("added", item, None))
            elif line.product_uom_qty != item.quantity or abs(epicentr_total(line) - item.total) > 0.005:
                changes.append(("changed", item, line))
        shipping = self._delivery_lines(order)
        known = sum(epicentr_total(line) for line in shipping)
        if card.delivery_price is not None and abs(known - card.delivery_price) > 0.005:
            changes.append(("delivery", Item.delivery(card.delivery_price), shipping))
        return changes

    @api.model
    def _change_quotation(self, order, changes):
        body = self._changes_html(order, changes, self.env._(
            "Epicentr changed the order's items; the quotation follows them:"))  # before the lines go
        values = self._pricing(order)
        products = self._products_for([item for kind, item, _line in changes if kind == "added"], order.company_id)
        commands = []
        for kind, item, line in changes:
            if kind == "removed" or (kind == "delivery" and not item.total):
                commands += [fields.Command.delete(one.id) for one in line]
            elif kind == "added":
                commands.append(fields.Command.create(self._line_values(item, products, values)))
            elif kind == "delivery" and not line:
                commands.append(fields.Command.create(self._delivery_values(item.total, values)))
            else:  # a changed line, or the delivery line at a new price (quantity 1)
                commands.append(fields.Command.update(line[:1].id, {
                    **self._priced(line[:1].product_id, item.quantity, item.total, values, item.price),
                    "epicentr_offer_id": item.offer_id or line[:1].epicentr_offer_id}))
                commands += [fields.Command.delete(extra.id) for extra in line[1:]]
        order.write({"order_line": commands})
        order.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_note")

    @api.model
    def _report(self, order, changes):
        body = self._changes_html(order, changes, self.env._(
            "Epicentr changed the order's items. The order is confirmed, so Odoo did not change "
            "its lines: check with the buyer and adjust the order or its delivery by hand."))
        order.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_note")
        order.activity_schedule("mail.mail_activity_data_warning", user_id=order.user_id.id or self.env.uid,
                                summary=self.env._("Epicentr changed the order's lines"), note=body)

    @api.model
    def _changes_html(self, order, changes, intro):
        def money(amount):
            return formatLang(self.env, amount, currency_obj=order.currency_id)

        def count(quantity):
            return "%g" % quantity  # 3, 2.5: not 3.0

        rows = []
        for kind, item, line in changes:
            if kind == "removed":
                rows.append(self.env._("Removed on Epicentr: %(line)s", line=line.name))
            elif kind == "added":
                rows.append(self.env._("Added on Epicentr: %(title)s, quantity %(quantity)s, %(total)s",
                                       title=item.title, quantity=count(item.quantity), total=money(item.total)))
            elif kind == "delivery":
                rows.append(self.env._("Delivery: %(old)s → %(new)s",
                                       old=money(sum(epicentr_total(one) for one in line)), new=money(item.total)))
            else:
                rows.append(self.env._("%(line)s: quantity %(old_quantity)s → %(quantity)s, total %(old_total)s → %(total)s",
                                       line=line.name, old_quantity=count(line.product_uom_qty), quantity=count(item.quantity),
                                       old_total=money(epicentr_total(line)), total=money(item.total)))
        return Markup("<p>%s</p><ul>%s</ul>") % (intro, Markup("").join(Markup("<li>%s</li>") % row for row in rows))

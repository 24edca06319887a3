"""Money to the cent: an Epicentr order's lines, delivery and total in Odoo are what the buyer pays
on Epicentr, under any tax set-up a seller may have, and so are its invoice and credit note.

Every figure is compared with the sandbox's card (the item subtotals, the delivery price, their
sum) to the cent, at both of Odoo's tax rounding methods."""

import logging
import unittest

from odoo import Command
from odoo.tests import Form, new_test_user, tagged

from ..utils.values import normalize_phone
from ..utils.switches import ServerOnly
from .common import ImportCommon, item
from .epicentr_sandbox.catalogue import CATALOGUE

_logger = logging.getLogger(__name__)

ROUNDING_METHODS = ("round_per_line", "round_globally")


def hard_items(prefix):
    """Items whose totals no unit price before a 20 % tax can make: fractional quantities,
    1,000 × 0.01, a gift at zero, the same product twice, a total above a million."""
    return [
        item(f"{prefix}-HALF", 304.98, 2.5),
        item(f"{prefix}-CENT", 0.01, 1000),
        item(f"{prefix}-GIFT", 0.0, 1),
        item(f"{prefix}-TWICE", 437.99, 1),
        {**item(f"{prefix}-TWICE", 437.99, 3), "offerId": f"offer-{prefix}-TWICE-b"},
        item(f"{prefix}-MILLION", 1234567.89, 1),
        item(f"{prefix}-THIRDS", 33.33, 3),
    ]


def kopeck_fraction_items(prefix):
    """Fractional quantities whose price × quantity has fractions of a kopeck (1.44 m² of tiles):
    Epicentr's subtotal is that rounded."""
    return [item(f"{prefix}-TILE", 529.48, 1.44), item(f"{prefix}-BOARD", 304.99, 2.5), item(f"{prefix}-ROLL", 12.37, 0.75)]


def forty_items(prefix):
    return [item(f"{prefix}-{n:02d}", round(3.17 + n * 97.31 % 2999, 2), 1 + n % 4) for n in range(40)]


class MoneyCommon(ImportCommon):
    """Taxes of the kinds a seller has, products of the items' codes, and the comparisons with the card."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Tax = cls.env["account.tax"]
        cls.vat_excluded = Tax.create({"name": "ПДВ 20%", "amount": 20, "type_tax_use": "sale",
                                       "price_include_override": "tax_excluded"})
        cls.vat_included = Tax.create({"name": "ПДВ 20% (в ціні)", "amount": 20, "type_tax_use": "sale",
                                       "price_include_override": "tax_included"})
        cls.vat7_excluded = Tax.create({"name": "ПДВ 7%", "amount": 7, "type_tax_use": "sale",
                                        "price_include_override": "tax_excluded"})
        cls.excise = Tax.create({"name": "Акциз 5%", "amount": 5, "type_tax_use": "sale",
                                 "price_include_override": "tax_excluded"})

    def products(self, items, taxes, company=None):
        """A product for each code of ``items`` (invoiced on order), with ``taxes``."""
        codes = dict.fromkeys(i["productExternalId"] or i["sku"] for i in items)
        return self.env["product.product"].create([
            {"name": code, "default_code": code, "type": "service", "invoice_policy": "order",
             "taxes_id": [Command.set(taxes.ids)], "company_id": company and company.id} for code in codes])

    def add_order(self, items, delivery=None, source=None):
        """A confirmed order of ``items`` on the sandbox, delivered at ``delivery`` (None: free)."""
        return self.add(statusCode="confirmed", items=items, subtotal=round(sum(i["subtotal"] for i in items), 2),
                        address={"shipment": {"isFree": delivery is None, "deliveryPrice": delivery or 0}})

    def paid(self, card):
        shipment = card["address"]["shipment"]
        return round(card["subtotal"] + (0.0 if shipment["isFree"] else shipment["deliveryPrice"]), 2)

    def assert_to_the_cent(self, order, card):
        """Every Epicentr line, the delivery line and the order's total are the card's, to the cent.
        Rounding globally, Odoo rounds the sums of the bases and of the taxes apart, so a
        price-included total can be a kopeck off the sum of its lines: the order then says so."""
        currency = order.currency_id
        lines = {line.epicentr_offer_id: line for line in order.order_line if line.epicentr_offer_id}
        self.assertEqual(len(lines), len(card["items"]), "one line an item")
        for entry in card["items"]:
            line = lines[entry["offerId"]]
            self.assertFalse(currency.compare_amounts(line.price_total, entry["subtotal"]),
                             f"{line.name}: {line.price_total} instead of Epicentr's {entry['subtotal']}")
        shipping = card["address"]["shipment"]
        delivery = order.order_line.filtered(lambda l: l.product_id == self.delivery_product)
        self.assertAlmostEqual(sum(delivery.mapped("price_total")), 0.0 if shipping["isFree"] else shipping["deliveryPrice"],
                               places=2)
        if order.company_id.tax_calculation_rounding_method == "round_globally":
            self.assertAlmostEqual(order.amount_total, self.paid(card), delta=0.011)
            self.assertEqual(order.epicentr_total_mismatch, bool(currency.compare_amounts(order.amount_total, self.paid(card))))
            return
        self.assertEqual(order.amount_total, self.paid(card),
                         f"{order.name}: {order.amount_total} instead of {self.paid(card)}")
        self.assertFalse(order.epicentr_total_mismatch)

    def assert_invoice_is_the_payment(self, order):
        """The invoice of the order and its credit note are of the order's total: Epicentr's
        remittance reconciles them exactly; their VAT is the part of the price that is VAT."""
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.action_post()
        self.assertEqual(invoice.amount_total, order.amount_total)
        self.assertEqual(invoice.amount_untaxed + invoice.amount_tax, invoice.amount_total)
        self.assertEqual(invoice.amount_tax, order.amount_tax)
        refund = invoice._reverse_moves()
        refund.action_post()
        self.assertEqual(refund.amount_total, order.amount_total)
        return invoice

    @classmethod
    def set_up_delivery_product(cls):
        cls.delivery_product = cls.env.ref("epicentr_connector.product_epicentr_delivery")


@tagged("post_install", "-at_install")
class TestMoney(MoneyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.set_up_delivery_product()
        company = cls.env.company
        customer_position = cls.env["account.fiscal.position"].create({
            "name": "Знижений ПДВ", "tax_ids": [Command.create({"tax_src_id": cls.vat_excluded.id,
                                                               "tax_dest_id": cls.vat7_excluded.id})]})
        cls.tax_setups = {  # name: (the products' taxes, the buyer's fiscal position)
            "no tax": (cls.env["account.tax"], None),
            "a price-included tax": (cls.vat_included, None),
            "a price-excluded tax": (cls.vat_excluded, None),
            "the chart's default sales tax": (company.account_sale_tax_id, None),
            "two taxes on one product": (cls.vat_excluded | cls.excise, None),
            "a fiscal position on the customer": (cls.vat_excluded, customer_position),
        }

    def test_every_tax_setup_and_rounding_method_pays_what_the_buyer_pays(self):
        for rounding in ROUNDING_METHODS:
            self.env.company.tax_calculation_rounding_method = rounding
            for number, (setup, (taxes, position)) in enumerate(self.tax_setups.items()):
                with self.subTest(setup=setup, rounding=rounding):
                    prefix = f"{rounding[6]}{number}"
                    hard, forty = hard_items(f"H{prefix}"), forty_items(f"F{prefix}")
                    hard += kopeck_fraction_items(f"K{prefix}")
                    self.products(hard + forty, taxes)
                    self.delivery_product.taxes_id = taxes
                    cards = [self.add_order(hard, delivery=85.5), self.add_order(forty, delivery=None)]
                    if position:  # a buyer of their own (the sandbox's buyers come back), known with that position
                        for n, card in enumerate(cards):
                            card["address"]["phone"] = f"38067{number:03d}{n:04d}"
                            self.env["res.partner"].create({"name": "Покупець", "phone": normalize_phone(card["address"]["phone"]),
                                                            "property_account_position_id": position.id})
                    self.sync()
                    for card in cards:
                        order = self.imported(card)
                        if position:
                            self.assertEqual(order.fiscal_position_id, position, "the customer's own mapping is kept")
                        self.assert_to_the_cent(order, card)
                        if any(tax.amount for tax in taxes):
                            self.assertGreater(order.amount_tax, 0, "the VAT is not lost")
                        self.assert_invoice_is_the_payment(order)

    def test_prices_stay_epicentr_and_the_tax_is_backed_out(self):
        """Under the default price-excluded tax, a line keeps Epicentr's unit price; its tax is
        the twin that includes it, with the same rate, group and accounts, made once."""
        card = self.add_order([item("G-1", 1200.0, 2)], delivery=70.0)
        self.products(card["items"], self.vat_excluded)
        self.delivery_product.taxes_id = self.vat_excluded
        self.sync()
        order = self.imported(card)
        line = order.order_line.filtered("epicentr_offer_id")
        twin = line.tax_id
        self.assertEqual((line.price_unit, line.discount, line.price_total), (1200.0, 0.0, 2400.0))
        self.assertTrue(twin.price_include)
        self.assertEqual((twin.amount, twin.amount_type, twin.tax_group_id), (20.0, "percent", self.vat_excluded.tax_group_id))
        self.assertEqual(twin.invoice_repartition_line_ids.account_id, self.vat_excluded.invoice_repartition_line_ids.account_id)
        self.assertEqual(twin.refund_repartition_line_ids.tag_ids, self.vat_excluded.refund_repartition_line_ids.tag_ids)
        self.assertIn(self.vat_excluded.name, twin.name)
        self.assertAlmostEqual(line.price_subtotal, 2000.0, places=2)
        self.assertAlmostEqual(order.amount_tax, 411.67, places=2)  # 400 of the goods, 11.67 of the delivery
        self.assertEqual(order.fiscal_position_id.map_tax(self.vat_excluded), twin, "the order's fiscal position says so")
        self.assertTrue(order.fiscal_position_id.epicentr_gross_prices)
        # the next order uses the same twin and the same fiscal position: nothing made twice
        taxes_before = self.env["account.tax"].search_count([])
        again = self.add_order([item("G-1", 1200.0, 1)])
        self.sync()
        self.assertEqual(self.imported(again).order_line.tax_id, twin)
        self.assertEqual(self.imported(again).fiscal_position_id, order.fiscal_position_id)
        self.assertEqual(self.env["account.tax"].search_count([]), taxes_before)
        invoice = self.assert_invoice_is_the_payment(order)
        tax_line = invoice.line_ids.filtered(lambda l: l.tax_line_id == twin)
        self.assertAlmostEqual(tax_line.balance, -411.67, places=2, msg="the VAT is the part of Epicentr's price that is VAT")

    def test_a_subtotal_that_is_not_price_times_quantity(self):
        """A promotion on Epicentr: the subtotal is below price × quantity. The unit price is the
        one that makes it; where no price of two decimals can, the nearest, and the order says so."""
        promo = self.add_order([{**item("PR-1", 100.0, 1), "subtotal": 90.0}, {**item("PR-2", 50.0, 2), "subtotal": 98.0}])
        odd = self.add_order([{**item("PR-3", 100.0, 3), "subtotal": 290.0}])
        self.products(promo["items"] + odd["items"], self.vat_excluded)
        self.sync()
        order = self.imported(promo)
        self.assertEqual(order.order_line.sorted("epicentr_product_code").mapped("price_unit"), [90.0, 49.0])
        self.assert_to_the_cent(order, promo)
        flagged = self.imported(odd)
        self.assertEqual(flagged.order_line.price_unit, 96.67)
        self.assertAlmostEqual(flagged.amount_total, 290.01, places=2)
        self.assertTrue(flagged.epicentr_total_mismatch)

    def test_rematch_item_changes_and_edits_keep_the_total(self):
        card = self.add_order([item("RM-1", 975.77, 1), item("RM-2", 162.63, 3)])
        self.products([card["items"][1]], self.vat_excluded)
        self.sync()
        order = self.imported(card)
        self.assertTrue(order.epicentr_needs_mapping)
        self.assert_to_the_cent(order, card)
        # the unknown SKU appears, with the default tax: the button swaps it in at Epicentr's total
        self.products([card["items"][0]], self.vat_excluded)
        order.action_epicentr_rematch_products()
        self.assertFalse(order.epicentr_needs_mapping)
        self.assertTrue(order.order_line.tax_id.price_include)
        self.assert_to_the_cent(order, card)
        # Epicentr changes the items (a quantity, a new item): the quotation follows, to the cent
        self.sandbox.store.platform_edit_items(card["id"], quantities={"offer-RM-1": 3}, add=1)
        self.products([card["items"][-1]], self.vat_excluded)
        self.sync()
        self.assert_to_the_cent(order, card)
        # the rematch at the sync: a new order's unknown code heals by itself, still Epicentr's total
        later = self.add_order([item("RM-3", 99.99, 7)])
        self.sync()
        self.products(later["items"], self.vat_excluded | self.excise)
        self.sync()
        self.assertFalse(self.imported(later).epicentr_needs_mapping)
        self.assert_to_the_cent(self.imported(later), later)

    def test_a_line_a_salesperson_adds_is_gross_as_on_epicentr(self):
        seller = new_test_user(self.env, login="money_seller", groups="sales_team.group_sale_salesman")
        self.source.access_user_ids = seller
        card = self.add_order([item("SP-1", 500.0, 1)])
        self.sync()
        order = self.imported(card)
        wrap = self.env["product.product"].create({"name": "Пакування", "list_price": 30.0,
                                                   "taxes_id": [Command.set(self.vat_excluded.ids)]})
        with Form(order.with_user(seller)) as form:  # as in the order form: the line's onchanges
            with form.order_line.new() as line:
                line.product_id = wrap
        added = order.order_line.filtered(lambda l: l.product_id == wrap)
        self.assertTrue(added.tax_id.price_include)
        self.assertEqual((added.price_unit, added.price_total), (30.0, 30.0), "priced as Epicentr would: gross")
        self.assertTrue(order.epicentr_total_mismatch, "a line of the salesperson's own is a difference")
        added.unlink()
        self.assertFalse(order.epicentr_total_mismatch)
        order.order_line.discount = 10
        self.assertTrue(order.epicentr_total_mismatch, "so is a discount")

    def test_orders_priced_the_old_way_move_to_gross_prices(self):
        """18.0.4 priced a line net of a price-excluded tax, often a kopeck off: the migration
        prices open quotations again and lists the confirmed orders it leaves as they were."""
        self.delivery_product.taxes_id = self.vat_excluded
        cards = [self.add_order([item("OLD-1", 437.99, 1), item("OLD-2", 186.99, 2)], delivery=70.0) for _ in range(3)]
        self.products(cards[0]["items"], self.vat_excluded)
        self.sync()
        quotation, confirmed, cancelled = orders = self.Order.union(*(self.imported(card) for card in cards))
        for order in orders:  # as 18.0.4 left them: no fiscal position, net unit prices (364.99 × 1.2 = 437.99 …)
            order.fiscal_position_id = False
            for line in order.order_line:
                line.write({"tax_id": [Command.set(self.vat_excluded.ids)],
                            "price_unit": round(line.epicentr_price_total / line.product_uom_qty / 1.2, 2)})
        self.assertNotEqual(quotation.amount_total, self.paid(cards[0]))
        confirmed.action_confirm()
        cancelled._action_cancel()
        before = (confirmed.amount_total, confirmed.order_line.mapped("price_unit"))
        self.env.add_to_compute(self.Order._fields["epicentr_total_mismatch"], orders)
        moved, listed = self.env["epicentr.order.lines"]._move_to_gross_prices(orders)
        self.assertEqual((moved, listed), (quotation, confirmed))
        self.assert_to_the_cent(quotation, cards[0])
        self.assertTrue(quotation.fiscal_position_id.epicentr_gross_prices)
        self.assertEqual((confirmed.amount_total, confirmed.order_line.mapped("price_unit")), before, "left as it was")
        note = self.notes(self.source, confirmed.name)
        self.assertEqual(len(note), 1)
        self.assertIn("1 confirmed orders priced the old way", note.body)
        self.assertIn(f"{confirmed.name} (Epicentr {confirmed.epicentr_number})", note.body)

    def test_an_order_not_from_epicentr_is_priced_as_odoo_does(self):
        product = self.env["product.product"].create({"name": "Звичайний", "list_price": 100.0,
                                                      "taxes_id": [Command.set(self.vat_excluded.ids)]})
        order = self.env["sale.order"].create({"partner_id": self.env["res.partner"].create({"name": "Б"}).id,
                                               "order_line": [Command.create({"product_id": product.id})]})
        self.assertEqual((order.order_line.tax_id, order.amount_total), (self.vat_excluded, 120.0))
        self.assertFalse(order.fiscal_position_id)


@tagged("post_install", "-at_install")
class TestMoneySweep(MoneyCommon):
    """The sandbox's whole generated history under a price-excluded 20 % tax: no order off by any amount."""

    sandbox_orders = 300

    def setUp(self):
        history = dict(self.sandbox.store.orders)
        super().setUp()  # (which empties the sandbox for the tests that add their own orders)
        self.sandbox.store.orders.update(history)

    def test_every_order_of_the_history_is_what_the_buyer_pays(self):
        self.set_up_delivery_product()
        self.source.history_days = 90  # the sandbox's history spans 75 days
        self.delivery_product.taxes_id = self.vat_excluded
        self.products([item(external or sku, price, 1) for _t, sku, external, price, _m in CATALOGUE], self.vat_excluded)
        cards = list(self.sandbox.store.orders.values())
        for _round in range(50):
            self.sync()
            if self.Order.search_count([("epicentr_source_id", "=", self.source.id)]) == len(cards):
                break
        orders = {o.epicentr_uuid: o for o in self.Order.search([("epicentr_source_id", "=", self.source.id)])}
        off = [(orders[c["id"]].name, orders[c["id"]].amount_total, self.paid(c)) for c in cards
               if orders[c["id"]].amount_total != self.paid(c)]
        _logger.info("money sweep: %s orders checked, %s off", len(cards), len(off))
        self.assertEqual(len(orders), len(cards), "the whole history was imported")
        self.assertEqual(len(cards), 300)
        self.assertEqual(off, [])


@tagged("post_install", "-at_install")
class TestMoneyUkrainianChart(MoneyCommon):
    """A seller on Odoo's Ukrainian chart (l10n_ua): its default sales tax is VAT 20 %, price-excluded."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.set_up_delivery_product()
        if not cls.env["ir.module.module"].search_count([("name", "=", "l10n_ua"), ("state", "=", "installed")]):
            raise unittest.SkipTest("l10n_ua is not installed (make test installs it)")
        uah = cls.env.ref("base.UAH")
        uah.active = True
        cls.shop = cls.env["res.company"].create({"name": "ТОВ Будмаркет", "country_id": cls.env.ref("base.ua").id,
                                                  "currency_id": uah.id})
        cls.env.user.company_ids |= cls.shop
        cls.env["account.chart.template"].try_loading("ua_psbo", company=cls.shop, install_demo=False)
        cls.vat20 = cls.shop.account_sale_tax_id
        cls.ua_source = cls.env["epicentr.source"].create({
            "name": "Будмаркет на Епіцентрі", "company_id": cls.shop.id, "base_url": cls.sandbox.url,
            "api_token": cls.source.api_token}).with_context(epicentr_client_options=ServerOnly({"backoff": 0.001}))

    def test_the_ukrainian_vat_is_included_in_epicentr_prices(self):
        self.assertEqual((self.vat20.amount, self.vat20.price_include), (20.0, False))
        self.delivery_product.taxes_id |= self.vat20
        cards = [self.add_order(hard_items("UA") + kopeck_fraction_items("UAK"), delivery=85.5),
                 self.add_order(forty_items("UAF"))]
        self.products([i for card in cards for i in card["items"]], self.vat20, company=self.shop)
        self.assertNotIn("busy", self.ua_source._sync_orders())
        for card in cards:
            order = self.Order.search([("epicentr_source_id", "=", self.ua_source.id), ("epicentr_uuid", "=", card["id"])])
            self.assertEqual(order.company_id, self.shop)
            self.assert_to_the_cent(order, card)
            twin = order.order_line.tax_id
            self.assertEqual(len(twin), 1)
            self.assertTrue(twin.price_include)
            self.assertEqual((twin.amount, twin.tax_group_id, twin.company_id), (20.0, self.vat20.tax_group_id, self.shop))
            invoice = self.assert_invoice_is_the_payment(order)
            vat_line = invoice.line_ids.filtered("tax_line_id")
            self.assertTrue(vat_line.account_id.with_company(self.shop).code.startswith("6432"), "the chart's VAT account")
            self.assertAlmostEqual(-vat_line.balance, sum(
                order.currency_id.round(line.price_total / 6) for line in order.order_line), delta=0.01 * len(order.order_line))

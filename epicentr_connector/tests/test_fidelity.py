from odoo import Command
from odoo.tests import tagged

from .common import ImportCommon, item


@tagged("post_install", "-at_install")
class TestFidelity(ImportCommon):
    """What Odoo shows equals what Epicentr has: later changes of the items, company buyers (the
    money, to the cent under every tax set-up: test_money)."""

    def add(self, **overrides):
        """A sandbox order, delivered free unless the test says otherwise."""
        overrides.setdefault("address", {}).setdefault("shipment", {}).setdefault("isFree", True)
        return super().add(**overrides)

    def order_for(self, card):
        order = self.imported(card)
        self.assertTrue(order, "the order was not imported")
        return order

    def lines(self, order):
        return order.order_line.filtered("epicentr_product_code").sorted("epicentr_product_code")

    def assert_totals_are_epicentr(self, order, card):
        shipment = card["address"]["shipment"]
        delivery = 0.0 if shipment["isFree"] else shipment["deliveryPrice"] or 0.0
        self.assertAlmostEqual(order.amount_total, card["subtotal"] + delivery, delta=0.001)
        self.assertFalse(order.epicentr_total_mismatch)

    # ------------------------------------------------------------------ items changed on Epicentr

    def test_quotation_follows_epicentr_items_and_flags_own_lines(self):
        card = self.add(statusCode="confirmed", items=[item("L-1", 100.0, 1), item("L-2", 50.0, 2)], subtotal=200.0)
        self.sync()
        order = self.order_for(card)
        wrap = self.env["product.product"].create({"name": "Подарункове пакування", "list_price": 15.0})
        order.order_line = [Command.create({"product_id": wrap.id, "tax_id": False})]
        self.assertTrue(order.epicentr_total_mismatch, "a line of the salesperson's own makes Odoo differ")
        added = self.sandbox.store.platform_edit_items(
            card["id"], quantities={"offer-L-1": 3}, remove=["offer-L-2"], add=1)["items"][-1]
        self.sync()
        lines = order.order_line.filtered("epicentr_offer_id")
        self.assertEqual(sorted(lines.mapped("epicentr_offer_id")), sorted(["offer-L-1", added["offerId"]]))
        self.assertEqual(lines.filtered(lambda l: l.epicentr_offer_id == "offer-L-1").product_uom_qty, 3)
        self.assertEqual(lines.filtered(lambda l: l.epicentr_offer_id == added["offerId"]).product_uom_qty,
                         added["quantity"])
        self.assertIn(wrap, order.order_line.product_id, "the salesperson's own line is kept")
        self.assertTrue(order.epicentr_total_mismatch)
        self.assertTrue(self.notes(order, "Removed on Epicentr"))
        order.order_line.filtered(lambda l: l.product_id == wrap).unlink()
        self.assert_totals_are_epicentr(order, card)

    def test_confirmed_order_is_not_changed_but_told_once(self):
        card = self.add(statusCode="confirmed", items=[item("C-1", 100.0, 1), item("C-2", 50.0, 2)], subtotal=200.0)
        self.stock_products_for(card)
        self.sync()
        order = self.order_for(card)
        order.action_confirm()
        before = [(l.product_id, l.product_uom_qty, l.price_unit) for l in order.order_line]
        self.sandbox.store.platform_edit_items(card["id"], quantities={"offer-C-1": 4}, remove=["offer-C-2"])
        self.sync()
        self.assertEqual([(l.product_id, l.product_uom_qty, l.price_unit) for l in order.order_line], before)
        note = self.notes(order, "Odoo did not change")
        self.assertEqual(len(note), 1)
        self.assertIn("quantity 1 → 4", note.body)
        self.assertIn("Removed on Epicentr: [C-2]", note.body)
        warning = order.activity_ids.filtered(lambda a: a.summary == "Epicentr changed the order's lines")
        self.assertEqual(len(warning), 1)
        # a later change of something else tells nothing new
        self.sandbox.store.platform_set_status(card["id"], "sent")
        self.sync()
        self.assertEqual(order.epicentr_status, "sent")
        self.assertEqual(len(self.notes(order, "Odoo did not change")), 1)
        self.assertEqual(len(order.activity_ids.filtered(lambda a: a.summary == "Epicentr changed the order's lines")), 1)

    def test_an_order_without_changed_items_is_left_alone(self):
        card = self.add(statusCode="confirmed", items=[item("N-1", 10.0, 1)], subtotal=10.0)
        self.sync()
        order = self.order_for(card)
        order.order_line.filtered("epicentr_offer_id").product_uom_qty = 5  # the salesperson's edit
        self.sandbox.store.platform_set_status(card["id"], "sent")
        self.sync()
        self.assertEqual(order.order_line.filtered("epicentr_offer_id").product_uom_qty, 5)
        self.assertTrue(order.epicentr_total_mismatch)

    # ------------------------------------------------------------------ company buyers

    def company_card(self, name, number, phone, address=None, **extra):
        return self.add(statusCode="confirmed", address={
            "payerName": name, "govNumber": number, "phone": phone, "isAlternateRecipient": False, **(address or {})},
            **extra)

    def test_company_buyer_is_invoiced_with_the_buyer_as_its_contact(self):
        first = self.company_card("ТОВ «Будмайстер»", "41234567", "380671112233")
        second = self.company_card("ТОВ «Будмайстер»", "41234567", "380674445566")
        existing = self.env["res.partner"].create({"name": "ФОП Коваль", "is_company": True, "vat": "UA3012345678"})
        person = self.company_card("ФОП Коваль О. П.", "3012345678", "380677778899")
        self.sync()
        order = self.order_for(first)
        company = order.partner_invoice_id
        self.assertTrue(company.is_company)
        self.assertEqual((company.name, company.vat, company.company_registry), ("ТОВ «Будмайстер»", "41234567", "41234567"))
        self.assertEqual(order.partner_id.parent_id, company, "the buyer is the company's contact")
        self.assertEqual(order.partner_id.phone, "+380671112233")
        self.assertEqual(order.partner_shipping_id, order.partner_id)
        other = self.order_for(second)
        self.assertEqual(other.partner_invoice_id, company, "matched by EDRPOU")
        self.assertNotEqual(other.partner_id, order.partner_id)
        self.assertEqual(self.order_for(person).partner_invoice_id, existing, "an ITN of 10 digits matches too")
        # the next order of the same buyer for the company finds the contact
        again = self.company_card("ТОВ «Будмайстер»", "41234567", "380671112233")
        self.sync()
        self.assertEqual(self.order_for(again).partner_id, order.partner_id)

    def test_company_with_an_invalid_number_has_no_tax_id_and_a_note(self):
        card = self.company_card("ТОВ «Ромашка»", "12345", "380671112299",
                                 address={"isAlternateRecipient": True,
                                          "recipient": {"firstName": "Олег", "lastName": "Бондар", "phone": "380931112233"}})
        self.sync()
        order = self.order_for(card)
        company = order.partner_invoice_id
        self.assertEqual((company.name, company.is_company, company.vat), ("ТОВ «Ромашка»", True, False))
        self.assertTrue(self.notes(order, "12345"))
        self.assertEqual(order.partner_shipping_id.parent_id, company, "delivery goes to the recipient")
        self.assertEqual(order.partner_shipping_id.phone, "+380931112233")

    def test_hidden_payer_waits_for_the_buyer(self):
        self.sandbox.store.hidden_buyer_style = "masked"
        self.addCleanup(setattr, self.sandbox.store, "hidden_buyer_style", "null")
        card = self.add(statusCode="new", address={"payerName": "Т*****", "govNumber": "41***67"})
        self.sync()
        order = self.order_for(card)
        self.assertTrue(order.epicentr_buyer_hidden)
        self.assertFalse(self.env["res.partner"].search([("name", "like", "Т*****")]))
        card["address"].update(payerName="ТОВ «Світанок»", govNumber="40000001")
        self.sandbox.store.platform_set_status(card["id"], "confirmed_by_merchant")
        self.sync()
        self.assertEqual(order.partner_invoice_id.vat, "40000001")
        self.assertEqual(order.partner_id.parent_id, order.partner_invoice_id)

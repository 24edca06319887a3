"""Goods coming back: refused parcels and Epicentr's returns become prepared returns of the
delivery, once; a return request only tells the salesperson. Driven through the sync, as
Epicentr changes the order's status (the sandbox's platform_set_status)."""

from odoo.tests import tagged

from .common import PushCommon


@tagged("post_install", "-at_install")
class TestReturns(PushCommon):

    def shipped(self, stock=10.0, quantity=None, policy="order", invoiced=False, **card_values):
        """An Epicentr order confirmed and shipped from stock (its product storable, ``stock`` of it,
        invoiced by ``policy``, ``quantity`` of it bought), its invoice posted if ``invoiced``."""
        card = self.add("new", **card_values)
        if quantity:
            self.sandbox.store.platform_edit_items(card["id"], quantities={card["items"][0]["offerId"]: quantity})
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.env.company.id)], limit=1)
        for item in card["items"]:
            code = item["productExternalId"] or item["sku"]
            product = self.env["product.product"].search([("default_code", "=", code)]) or self.env[
                "product.product"].create({"name": item["title"], "default_code": code, "is_storable": True,
                                           "invoice_policy": policy})
            self.env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, stock)
        self.source._sync_orders()
        order = self.env["sale.order"].search([("epicentr_uuid", "=", card["id"])])
        order.action_confirm()
        self.send()
        picking = self.delivery(order)
        picking.carrier_tracking_ref = "20450000000001"
        self.validate(picking)
        self.sandbox.store.platform_set_status(card["id"], "sent")
        self.source._sync_orders()
        if invoiced:
            order._create_invoices().action_post()
        return card, order, picking

    def returned(self, card, keep=None):
        """Epicentr confirms the return of a received order; the buyer keeps ``keep`` units (all comes back: None)."""
        self.sandbox.store.platform_set_status(card["id"], "completed")
        if keep is not None:
            self.sandbox.store.platform_edit_items(card["id"], quantities={card["items"][0]["offerId"]: keep})
        self.sandbox.store.platform_set_status(card["id"], "returned")
        self.source._sync_orders()

    def goods(self, order):
        return order.order_line - self.env["epicentr.order.lines"]._delivery_lines(order)

    def credit_notes(self, order):
        return order.invoice_ids.filtered(lambda m: m.move_type == "out_refund")

    def returns_of(self, picking):
        return self.env["stock.picking"].search([("return_id", "=", picking.id)])

    def test_a_refused_parcel_comes_back_as_one_prepared_return(self):
        card, order, picking = self.shipped(policy="delivery", address={"shipment": {"isFree": False, "deliveryPrice": 70.0}})
        self.assertEqual(order.invoice_status, "to invoice")
        product = picking.move_ids.product_id
        self.assertEqual(product.qty_available, 10.0 - card["items"][0]["quantity"])
        self.sandbox.store.platform_set_status(card["id"], "canceled", reasonCode="customer_refused_parcel",
                                               comment="Відмова на пошті")
        self.source._sync_orders()
        back = self.returns_of(picking)
        self.assertEqual(len(back), 1)
        self.assertEqual(back.picking_type_code, "incoming")
        self.assertEqual(back.move_ids.mapped("product_uom_qty"), picking.move_ids.mapped("quantity"))
        self.assertEqual(back.location_dest_id, picking.location_id, "back to the stock it left")
        self.assertEqual(back.carrier_tracking_ref, "20450000000001")
        self.assertIn(card["number"], back.origin)
        self.assertEqual((order.state, order.epicentr_return_state), ("sale", "on_its_way"))
        self.assertTrue(self.notes(order, "The parcel was refused"))
        # nothing of it is the buyer's to pay, its delivery neither, though the parcel is still on its way
        self.assertTrue(self.env["epicentr.order.lines"]._delivery_lines(order))
        self.assertEqual(order.order_line.mapped("qty_to_invoice"), [0.0] * len(order.order_line))
        self.assertEqual(order.invoice_status, "no")
        # every later sync that sees the order: still one return
        self.sandbox.store.touch(card["id"])
        self.source._sync_orders()
        self.sandbox.store.platform_set_status(card["id"], "canceled_by_merchant")
        self.source._sync_orders()
        self.assertEqual(len(self.returns_of(picking)), 1)
        # the parcel arrives: the warehouse validates the return, the stock is back
        self.validate(back)
        self.assertEqual(product.qty_available, 10.0)
        self.assertEqual(order.epicentr_return_state, "returned")
        self.assertEqual(order.order_line.filtered(lambda l: l.product_id == product).qty_delivered, 0.0)
        self.assertEqual((order.invoice_status, self.credit_notes(order)), ("no", self.env["account.move"]))

    def test_a_return_requested_tells_the_salesperson_and_the_confirmed_return_is_prepared(self):
        card, order, picking = self.shipped()
        self.sandbox.store.platform_set_status(card["id"], "completed")
        self.source._sync_orders()
        self.sandbox.store.platform_set_status(card["id"], "return_requested")
        self.source._sync_orders()
        self.assertEqual((order.state, order.epicentr_return_state), ("sale", "requested"))
        self.assertFalse(self.returns_of(picking), "nothing comes back before Epicentr confirms the return")
        self.assertTrue(order.activity_ids.filtered(lambda a: a.summary == "Return requested on Epicentr"))
        self.sandbox.store.platform_set_status(card["id"], "returned")
        self.source._sync_orders()
        self.assertEqual(len(self.returns_of(picking)), 1)
        self.assertEqual(order.epicentr_return_state, "on_its_way")
        self.assertTrue(self.notes(order, "Epicentr confirmed the return of the goods"))

    def test_a_partial_return_brings_back_what_the_buyer_returned_and_the_rest_stays_to_invoice(self):
        card, order, picking = self.shipped(quantity=3)
        self.returned(card, keep=1)
        back = self.returns_of(picking)
        self.assertEqual(back.move_ids.mapped("product_uom_qty"), [2.0], "the 2 units the buyer gave back")
        self.sandbox.store.touch(card["id"])
        self.source._sync_orders()
        self.assertEqual(len(self.returns_of(picking)), 1)
        line = self.goods(order)
        self.assertEqual((line.qty_to_invoice, order.invoice_status), (1.0, "to invoice"))
        invoiced = order._create_invoices().invoice_line_ids.filtered(lambda l: l.sale_line_ids == line)
        self.assertEqual(invoiced.quantity, 1.0)
        self.assertAlmostEqual(invoiced.price_total, line.price_total / 3, places=2)
        self.validate(back)
        self.assertEqual(line.product_id.qty_available, 10.0 - 1)

    def test_an_invoiced_return_gets_a_draft_credit_note_for_what_comes_back(self):
        card, order, picking = self.shipped(quantity=2, invoiced=True)
        line = self.goods(order)
        self.returned(card, keep=1)
        credit_note = self.credit_notes(order)
        self.assertEqual(len(credit_note), 1)
        self.assertEqual(credit_note.state, "draft", "the seller posts it")
        self.assertEqual(credit_note.reversed_entry_id, order.invoice_ids.filtered(lambda m: m.move_type == "out_invoice"))
        self.assertEqual(credit_note.invoice_line_ids.sale_line_ids, line)
        self.assertAlmostEqual(credit_note.amount_total, line.price_total / 2, places=2)
        self.assertEqual((line.qty_invoiced, line.qty_to_invoice, order.invoice_status), (1.0, 0.0, "no"))
        self.assertTrue(self.notes(order, credit_note.display_name))
        # later syncs: still the one credit note
        self.sandbox.store.touch(card["id"])
        self.source._sync_orders()
        self.assertEqual(self.credit_notes(order), credit_note)

    def test_what_arrives_short_lowers_the_draft_credit_note_of_a_refused_parcel(self):
        card, order, picking = self.shipped(quantity=3, invoiced=True, address={
            "shipment": {"isFree": False, "deliveryPrice": 70.0}})
        self.sandbox.store.platform_set_status(card["id"], "canceled", reasonCode="customer_refused_parcel")
        self.source._sync_orders()
        credit_note = self.credit_notes(order)
        self.assertAlmostEqual(credit_note.amount_total, order.amount_total, places=2, msg="goods and delivery: all of it")
        # two of the three units arrive; no more is expected
        back = self.returns_of(picking)
        back.move_ids.quantity = 2.0
        back.with_context(skip_backorder=True, picking_ids_not_to_backorder=back.ids).button_validate()
        self.assertEqual(back.state, "done")
        line = self.goods(order)
        self.assertEqual(credit_note.invoice_line_ids.filtered(lambda l: l.sale_line_ids == line).quantity, 2.0)
        self.assertAlmostEqual(credit_note.amount_total, order.amount_total - line.price_total / 3, places=2)
        self.assertEqual((line.qty_to_invoice, line.product_id.qty_available), (0.0, 10.0 - 1))

    def test_a_draft_invoice_loses_what_comes_back(self):
        card, order, picking = self.shipped(quantity=2, address={"shipment": {"isFree": True, "deliveryPrice": 0}})
        invoice = order._create_invoices()
        self.returned(card)
        self.assertFalse(self.credit_notes(order), "nothing was invoiced yet: nothing to credit")
        self.assertFalse(invoice.exists(), "the draft held only what came back")
        self.assertEqual(order.invoice_status, "no")

    def test_cancelled_before_the_delivery_is_cancelled_with_nothing_to_return(self):
        card = self.add("new")
        order = self.confirmed_in_odoo(card)
        self.sandbox.store.platform_set_status(card["id"], "canceled")
        self.source._sync_orders()
        self.assertEqual(order.state, "cancel")
        self.assertFalse(order.epicentr_return_state)
        self.assertFalse(self.env["stock.picking"].search([("return_id", "in", order.picking_ids.ids)]))

    def test_the_report_counts_refusals_and_returns_of_the_shipped_orders(self):
        refused_card, refused, _picking = self.shipped()
        returned_card, returned, _picking = self.shipped(quantity=2)
        self.shipped()  # kept by its buyer
        self.sandbox.store.platform_set_status(refused_card["id"], "canceled")
        self.returned(returned_card, keep=1)
        [row] = self.env["epicentr.order.report"].read_group(
            [("source_id", "=", self.source.id)],
            ["shipped_count:sum", "refused_count:sum", "returned_count:sum", "came_back_rate:avg",
             "came_back_amount:sum"], ["source_id"])
        self.assertEqual((row["shipped_count"], row["refused_count"], row["returned_count"]), (3, 1, 1))
        self.assertAlmostEqual(row["came_back_rate"], 200 / 3)
        self.assertAlmostEqual(row["came_back_amount"], sum(self.goods(refused).mapped("price_total"))
                               + self.goods(returned).price_total / 2, msg="of the return, the half that came back")

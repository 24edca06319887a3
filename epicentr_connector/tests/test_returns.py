"""Goods coming back: refused parcels and Epicentr's returns become prepared returns of the
delivery, once; a return request only tells the salesperson. Driven through the sync, as
Epicentr changes the order's status (the sandbox's platform_set_status)."""

from odoo.tests import tagged

from .common import PushCommon


@tagged("post_install", "-at_install")
class TestReturns(PushCommon):

    def shipped(self, stock=10.0):
        """An Epicentr order confirmed and shipped from stock (its products storable, ``stock`` each)."""
        card = self.add("new")
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.env.company.id)], limit=1)
        for item in card["items"]:
            code = item["productExternalId"] or item["sku"]
            product = self.env["product.product"].search([("default_code", "=", code)]) or self.env[
                "product.product"].create({"name": item["title"], "default_code": code, "is_storable": True})
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
        return card, order, picking

    def returns_of(self, picking):
        return self.env["stock.picking"].search([("return_id", "=", picking.id)])

    def test_a_refused_parcel_comes_back_as_one_prepared_return(self):
        card, order, picking = self.shipped()
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
        returned_card, returned, _picking = self.shipped()
        self.shipped()  # kept by its buyer
        self.sandbox.store.platform_set_status(refused_card["id"], "canceled")
        self.sandbox.store.platform_set_status(returned_card["id"], "completed")
        self.sandbox.store.platform_set_status(returned_card["id"], "returned")
        self.source._sync_orders()
        [row] = self.env["epicentr.order.report"].read_group(
            [("source_id", "=", self.source.id)],
            ["shipped_count:sum", "refused_count:sum", "returned_count:sum", "came_back_rate:avg",
             "came_back_amount:sum"], ["source_id"])
        self.assertEqual((row["shipped_count"], row["refused_count"], row["returned_count"]), (3, 1, 1))
        self.assertAlmostEqual(row["came_back_rate"], 200 / 3)
        self.assertAlmostEqual(row["came_back_amount"], refused.amount_total + returned.amount_total)

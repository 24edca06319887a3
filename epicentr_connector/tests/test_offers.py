import itertools

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import SQL

from ..utils.switches import ServerOnly
from .common import EpicentrCommon

_numbers = itertools.count(1)


def epicentr_id(product):
    """The productId Epicentr has for a product of these tests."""
    return str(37_000_000 + int(product.default_code[3:]))


@tagged("post_install", "-at_install")
class TestOffers(EpicentrCommon):
    """Prices and availability of the seller's offers, sent to the sandbox's /v1/offers over real
    HTTP by the publication cron's code (it does not commit in tests)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source = cls.source.with_context(epicentr_client_options=ServerOnly({"backoff": 0.001}))
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.env.company.id)], limit=1)
        cls.pricelist = cls.env["product.pricelist"].create({"name": "Epicentr prices"})
        cls.source.write({"publish_availability": True, "publish_prices": True, "offer_pricelist_id": cls.pricelist.id,
                          "offer_warehouse_id": cls.warehouse.id})

    def setUp(self):
        super().setUp()
        self.book = self.sandbox.offers
        self.book.set_delay(0)
        self.book.set_rate(10_000, 120)
        self.source.offers_confirmed_at = fields.Datetime.now()

    # ------------------------------------------------------------------ helpers

    def product(self, price=100.0, stock=0.0, on_epicentr=True, **values):
        """A storable product with ``stock`` free in the source's warehouse, an offer of the source
        named by its SKU, and the same offer on the sandbox's Epicentr (in stock at ``price``)."""
        sku = f"OF-{next(_numbers):05d}"
        product = self.env["product.product"].create({
            "name": f"Product {sku}", "default_code": sku, "is_storable": True, "list_price": price, **values})
        if stock:
            self.env["stock.quant"]._update_available_quantity(product, self.warehouse.lot_stock_id, stock)
        if on_epicentr:
            self.book.add_offer(epicentr_id(product), sku, price)
        self.env["epicentr.offer"].create({"source_id": self.source.id, "product_id": product.id, "sku": sku})
        return product

    def offer(self, product):
        return self.env["epicentr.offer"].search([("source_id", "=", self.source.id), ("product_id", "=", product.id)])

    def publish(self):
        """One cron call, then its results read by the next: Epicentr's results are asked for a
        moment after the request (the offers' send time is moved back, as time would)."""
        self.env.cr.precommit.run()  # what the commit of the user's transaction does
        self.env["epicentr.offer"]._cron_publish()
        self.env.flush_all()
        self.env.cr.execute(SQL("UPDATE epicentr_offer SET sent_at = sent_at - interval '5 seconds' "
                                "WHERE state = 'queued'"))
        self.env.invalidate_all()
        self.env["epicentr.offer"]._cron_publish()

    def posts(self):
        return [r.json for r in self.sandbox.requests if r.method == "POST" and r.path == "/v1/offers"]

    def sent_items(self):
        return [item for body in self.posts() for item in body["items"]]

    # ------------------------------------------------------------------ tests

    def test_availability_and_price_reach_epicentr_and_are_shown_on_the_offer(self):
        product = self.product(price=100.0, stock=5)
        self.pricelist.item_ids = [fields.Command.create({
            "applied_on": "0_product_variant", "product_id": product.id, "fixed_price": 149.5})]
        self.publish()
        self.assertEqual(self.sent_items(), [{"sku": product.default_code, "availability": "in_stock",
                                              "prices": {"price": 149.5}}])
        on_epicentr = self.book.offer(epicentr_id(product))
        self.assertEqual((on_epicentr["price"], on_epicentr["availability"]), (149.5, "in_stock"))
        offer = self.offer(product)
        self.assertEqual((offer.state, offer.sent_availability, offer.sent_price), ("done", "in_stock", 149.5))
        self.assertTrue(offer.sent_at)

        self.sandbox.clear_requests()
        self.publish()
        self.assertEqual(self.sandbox.requests, [], "nothing changed: nothing sent, no result to read")

    def test_nothing_is_sent_before_the_confirmation_off_or_read_only(self):
        product = self.product(stock=3)
        for values in ({"offers_confirmed_at": False}, {"publish_availability": False, "publish_prices": False},
                       {"read_only": True}):
            with self.subTest(values=values):
                saved = {name: self.source[name] for name in values}
                self.source.write(values)
                self.publish()
                self.assertEqual(self.sandbox.requests, [])
                self.source.write(saved)
        self.assertEqual(self.offer(product).state, "new")

    def test_the_epicentr_product_id_names_the_offer_when_known(self):
        product = self.product(stock=3)
        self.offer(product).epicentr_product_id = epicentr_id(product)
        self.pricelist.item_ids = [fields.Command.create({
            "applied_on": "0_product_variant", "product_id": product.id, "fixed_price": 100.0})]
        self.publish()
        self.assertEqual([set(item) for item in self.sent_items()], [{"productId", "availability", "prices"}])
        self.assertEqual(self.sent_items()[0]["productId"], epicentr_id(product))
        self.assertEqual(self.offer(product).state, "done")

    def test_availability_follows_free_stock_against_the_threshold(self):
        self.source.publish_prices = False
        self.source.offer_stock_threshold = 2
        at_threshold = self.product(stock=2)
        above = self.product(stock=3)
        orderable = self.product(stock=2)
        self.offer(orderable).orderable = True
        self.publish()
        sent = {item["sku"]: item["availability"] for item in self.sent_items()}
        self.assertEqual(sent, {at_threshold.default_code: "not_available", above.default_code: "in_stock",
                                orderable.default_code: "under_the_order"})

        # a reservation takes free stock away; the commit marks the offer, the cron sends it alone
        self.sandbox.clear_requests()
        self.env["stock.quant"]._update_reserved_quantity(above, self.warehouse.lot_stock_id, 1)
        self.assertFalse(self.offer(above).to_check, "marked at the commit, not before")
        self.env.cr.precommit.run()
        self.assertTrue(self.offer(above).to_check)
        self.publish()
        self.assertEqual(self.sent_items(), [{"sku": above.default_code, "availability": "not_available"}])

    def test_an_archived_product_is_not_available(self):
        product = self.product(stock=10)
        self.publish()
        self.sandbox.clear_requests()
        product.product_tmpl_id.active = False
        self.publish()
        self.assertEqual(self.sent_items(), [{"sku": product.default_code, "availability": "not_available"}])
        self.assertEqual(self.book.offer(epicentr_id(product))["availability"], "not_available")

    def test_an_archived_offer_is_sent_once_as_not_available_then_left_alone(self):
        self.source.publish_prices = False
        product = self.product(stock=10)
        self.publish()
        self.sandbox.clear_requests()
        self.offer(product).active = False
        self.publish()
        self.assertEqual(self.sent_items(), [{"sku": product.default_code, "availability": "not_available"}])
        self.sandbox.clear_requests()
        self.env["stock.quant"]._update_available_quantity(product, self.warehouse.lot_stock_id, -10)
        self.publish()
        self.assertEqual(self.posts(), [], "an archived offer is no longer updated")

    def test_old_price_from_the_sales_price_and_its_removal(self):
        self.source.publish_availability = False
        self.source.offer_old_price = "list_price"
        product = self.product(price=200.0, stock=1)
        self.pricelist.item_ids = [fields.Command.create({
            "applied_on": "0_product_variant", "product_id": product.id, "fixed_price": 150.0})]
        self.publish()
        self.assertEqual(self.sent_items(), [{"sku": product.default_code, "prices": {"price": 150.0, "oldPrice": 200.0}}])
        self.assertEqual(self.book.offer(epicentr_id(product))["oldPrice"], 200.0)
        self.sandbox.clear_requests()
        self.pricelist.item_ids.fixed_price = 250.0  # above the sales price: no old price any more
        self.publish()
        self.assertEqual(self.sent_items(), [{"sku": product.default_code, "prices": {"price": 250.0, "oldPrice": 250.0}}])
        self.assertIsNone(self.book.offer(epicentr_id(product))["oldPrice"])
        self.assertEqual((self.offer(product).sent_price, self.offer(product).sent_old_price), (250.0, 0.0))

    def test_a_price_refused_for_a_promotion_is_shown_and_not_sent_again(self):
        self.source.publish_availability = False
        product = self.product(price=100.0)
        self.book.set_promotion(epicentr_id(product))
        self.pricelist.item_ids = [fields.Command.create({
            "applied_on": "0_product_variant", "product_id": product.id, "fixed_price": 90.0})]
        self.publish()
        offer = self.offer(product)
        self.assertEqual(offer.state, "refused")
        self.assertIn("promotion", offer.answer)
        self.assertEqual(self.book.offer(epicentr_id(product))["price"], 100.0)
        self.sandbox.clear_requests()
        product.write({"standard_price": 5})  # marks the offer; its value is the one refused
        self.publish()
        self.assertEqual(self.posts(), [], "the refused value is not sent again")

    def test_unknown_sku_is_refused_in_words(self):
        product = self.product(stock=1, on_epicentr=False)
        self.publish()
        offer = self.offer(product)
        self.assertEqual(offer.state, "refused")
        self.assertIn("no such product", offer.answer)

    def test_a_server_error_is_sent_again_later_and_429_waits(self):
        product = self.product(stock=1)
        self.sandbox.fault("500", count=1, path_contains="/v1/offers")
        self.publish()
        offer = self.offer(product)
        self.assertEqual(offer.state, "retry")
        self.assertTrue(offer.to_check and offer.next_attempt_at)
        self.assertEqual(len(self.posts()), 1, "not sent again before its time")
        offer.next_attempt_at = fields.Datetime.now()
        self.sandbox.fault("429", count=1, path_contains="/v1/offers", retry_after=30)
        self.publish()
        self.assertNotEqual(self.offer(product).state, "done")
        self.assertEqual(self.env["ir.cron.trigger"].search(
            [("cron_id", "=", self.env.ref("epicentr_connector.ir_cron_epicentr_publish_offers").id),
             ("call_at", ">", fields.Datetime.now())], limit=1).mapped("cron_id").ids,
            self.env.ref("epicentr_connector.ir_cron_epicentr_publish_offers").ids, "woken after Retry-After")
        self.assertGreater(self.offer(product).next_attempt_at, fields.Datetime.now())
        self.offer(product).next_attempt_at = fields.Datetime.now()  # Retry-After has passed
        self.publish()
        self.assertEqual(self.offer(product).state, "done")

    def test_a_request_dropped_after_epicentr_took_it_is_sent_again_without_harm(self):
        product = self.product(stock=4)
        self.sandbox.fault("drop_after", count=1, path_contains="/v1/offers")
        self.publish()
        self.assertEqual(self.offer(product).state, "retry")
        self.assertEqual(self.book.offer(epicentr_id(product))["availability"], "in_stock")
        self.offer(product).next_attempt_at = fields.Datetime.now()
        self.publish()
        self.assertEqual(self.offer(product).state, "done", "Epicentr has it already: that is done")
        self.assertEqual(len(self.posts()), 2)

    def test_results_are_read_until_final(self):
        self.book.set_delay(3600)  # Epicentr is slow today
        product = self.product(stock=2)
        self.publish()
        self.assertEqual(self.offer(product).state, "queued")
        reads = [r for r in self.sandbox.requests if "/update-results/" in r.path]
        self.assertEqual(len(reads), 1)
        self.book.set_delay(0)
        self.publish()
        self.assertEqual(self.offer(product).state, "done")

    def test_offers_are_learned_from_imported_orders(self):
        card = self.sandbox.store.add_order(statusCode="confirmed")
        item = card["items"][0]
        product = self.env["product.product"].create({"name": item["title"], "default_code": item["productExternalId"]})
        self.assertEqual(self.source._sync_orders()["failed"], {})
        offer = self.offer(product)
        self.assertEqual((offer.epicentr_product_id, offer.sku, offer.epicentr_price),
                         (item["productId"], item["sku"], item["price"]))

    def test_preview_counts_and_confirmation(self):
        self.source.offers_confirmed_at = False
        self.product(stock=5)
        self.product(stock=0)
        big = self.product(price=100.0, stock=1)
        self.offer(big).sudo().write({"sent_price": 100.0})
        self.pricelist.item_ids = [fields.Command.create({
            "applied_on": "0_product_variant", "product_id": big.id, "fixed_price": 180.0})]
        preview = Form(self.env["epicentr.offer.preview"].with_context(default_source_id=self.source.id))
        self.assertEqual((preview.in_stock_count, preview.not_available_count, preview.big_change_count), (2, 1, 1))
        self.assertIn(big.display_name, preview.big_changes)
        self.assertEqual(self.sandbox.requests, [], "a preview sends nothing")
        preview.save().action_confirm()
        self.assertTrue(self.source.offers_confirmed_at)
        self.publish()
        self.assertEqual(len(self.sent_items()), 3)

    def test_salespeople_cannot_change_publication_nor_read_offers(self):
        product = self.product(stock=1)
        salesman = new_test_user(self.env, "offer_salesman", groups="sales_team.group_sale_salesman_all_leads")
        with self.assertRaises(AccessError):
            self.source.with_user(salesman).write({"publish_prices": False})
        with self.assertRaises(AccessError):
            self.offer(product).with_user(salesman).read(["sent_price"])
        with self.assertRaises(AccessError):
            self.offer(product).with_user(salesman).action_send_again()

    def test_offers_of_another_company_are_walled_off(self):
        product = self.product(stock=1)
        other = self.env["res.company"].create({"name": "Other shop"})
        manager = new_test_user(self.env, "offer_manager_other", company_id=other.id, company_ids=[other.id],
                                groups="sales_team.group_sale_manager,epicentr_connector.group_epicentr_manager")
        self.assertFalse(self.env["epicentr.offer"].with_user(manager).search([("product_id", "=", product.id)]))
        self.assertFalse(self.env["epicentr.offer.request"].with_user(manager).search([]))

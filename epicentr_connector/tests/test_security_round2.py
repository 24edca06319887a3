"""The second security review: the features added after the first round keep its walls. One test
per finding, as the attacking user (``with_user``: that user's rights, rules and companies, as an
RPC call has them) or against a hostile sandbox; each failed before its fix."""
import uuid
from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import SecurityCommon

SOURCE_LOGGER = "odoo.addons.epicentr_connector.models.epicentr_source"


@tagged("post_install", "-at_install")
class TestSecuritySecondRound(SecurityCommon):

    # 1. Epicentr's fields, whatever their way into create()

    def test_defaults_plant_no_epicentr_field(self):
        victim = self.env["res.partner"].create({"name": "A real contact", "phone": "+380671234500"})
        planted = {"default_epicentr_source_id": self.source.id, "default_epicentr_uuid": str(uuid.uuid4()),
                   "default_epicentr_confirmed_at": fields.Datetime.now(), "default_epicentr_buyer_hidden": True,
                   "default_epicentr_buyer_placeholder_id": victim.id, "default_epicentr_offer_id": "offer-x"}
        self.env["ir.default"].set("sale.order", "epicentr_number", "58192585", user_id=self.with_access.id)
        Order = self.env["sale.order"].with_user(self.with_access).with_context(**planted)
        order = Order.create({"partner_id": victim.id, "order_line": [Command.create({"name": "Line", "product_uom_qty": 1,
                                                                                      "display_type": "line_note"})]})
        self.assertEqual((order.epicentr_source_id, order.epicentr_uuid, order.epicentr_confirmed_at,
                          order.epicentr_buyer_hidden, order.epicentr_buyer_placeholder_id, order.epicentr_number),
                         (self.env["epicentr.source"], False, False, False, self.env["res.partner"], False))
        self.assertFalse(order.order_line.epicentr_offer_id)
        with self.assertRaises(AccessError):  # nor a line's, given outright
            order.with_user(self.with_access).write({"order_line": [Command.create(
                {"name": "Planted", "display_type": "line_note", "epicentr_offer_id": "offer-of-another-order"})]})

    def test_the_reveal_removes_only_a_placeholder_of_its_own(self):
        card = self.add("new")
        order = self.import_order(card)
        # a contact other orders name, put where the placeholder was (as a planted default would have)
        victim = self.env["res.partner"].create({"name": "A real contact"})
        self.env["sale.order"].create({"partner_id": victim.id})
        order.epicentr_buyer_placeholder_id = victim
        order.partner_id = victim
        self.sandbox.store.platform_set_status(card["id"], "confirmed_by_merchant")
        self.source._sync_orders()
        self.assertFalse(order.epicentr_buyer_hidden)
        self.assertTrue(victim.exists() and victim.active, "the reveal removed a real contact")

    # 2. a wizard belongs to its creator

    def test_wizards_belong_to_their_creator(self):
        order = self.import_order(self.add("confirmed_by_merchant"))
        action = order.with_user(self.with_access).action_epicentr_comment()
        draft = self.env[action["res_model"]].with_user(self.with_access).with_context(**action["context"]).create(
            {"comment": "Покупець просить зателефонувати після 18:00"})
        other = self.env["epicentr.comment.wizard"].with_user(self.without_access)
        self.assertFalse(other.search([]), "another salesperson lists the comments being written")
        with self.assertRaises(AccessError):
            draft.with_user(self.without_access).read(["comment"])
        for model, values in (("epicentr.comment.wizard", {"comment": "?"}), ("epicentr.call.wizard", {"call_status": "success"}),
                              ("epicentr.items.wizard", {})):
            with self.subTest(model), self.assertRaises(AccessError):
                self.env[model].with_user(self.without_access).create({"order_id": order.id, **values})
        with self.assertRaises(AccessError):
            self.env["epicentr.cancel.wizard"].with_user(self.without_access).create(
                {"order_ids": [Command.set(order.ids)], "reason_key": "order.cancel_reason.order_not_actual"})

    # 3. Edit on Epicentr checks the browser's lines against the order's

    def test_edit_on_epicentr_only_lowers_the_orders_own_items(self):
        card = self.add("confirmed_by_merchant")
        card["items"] = self.sandbox.store.factory.items(2)
        card["subtotal"] = round(sum(item["subtotal"] for item in card["items"]), 2)
        order = self.import_order(card)
        first = card["items"][0]
        action = order.with_user(self.with_access).action_epicentr_edit_items()
        Wizard = self.env[action["res_model"]].with_user(self.with_access).with_context(**action["context"])
        for lines, refusal in (
                ([{"offer_id": first["offerId"], "quantity": 50, "new_quantity": 50}], "not raise it"),
                ([{"offer_id": first["offerId"], "quantity": first["quantity"] + 1, "new_quantity": first["quantity"] + 1}],
                 "not raise it"),
                ([{"offer_id": str(uuid.uuid4()), "quantity": 2, "new_quantity": 1}], "order's own items")):
            with self.subTest(lines):
                wizard = Wizard.create({"order_id": order.id, "line_ids": [Command.create(line) for line in lines]})
                with self.assertRaisesRegex(UserError, refusal):
                    wizard.action_send()
        self.assertFalse(self.entries(order), "nothing was queued for the live cabinet")

    # 4. the stock moves of hidden orders

    def test_stock_moves_of_hidden_orders(self):
        order = self.import_order(self.add("confirmed"))
        order.action_confirm()
        moves = self.delivery(order).move_ids
        self.assertTrue(moves and moves.move_line_ids)
        for model, records in (("stock.move", moves), ("stock.move.line", moves.move_line_ids)):
            with self.subTest(model):
                Model = self.env[model]
                self.assertFalse(Model.with_user(self.without_access).search([("origin", "=", order.name)]
                                                                              if model == "stock.move" else
                                                                              [("id", "in", records.ids)]))
                with self.assertRaises(AccessError):
                    records.with_user(self.without_access).read(["partner_id" if model == "stock.move" else "reference"])
                self.assertEqual(Model.with_user(self.with_access).search([("id", "in", records.ids)]), records)
                self.assertEqual(Model.with_user(self.stock_user).search([("id", "in", records.ids)]), records)

    # 5. a source is seen by the users with access to it

    def test_sources_are_seen_by_their_users_only(self):
        self.source.sudo().write({"last_error": "Epicentr refused the token of Іван Петренко"})
        Source = self.env["epicentr.source"]
        self.assertFalse(Source.with_user(self.without_access).search([("id", "=", self.source.id)]))
        with self.assertRaises(AccessError):
            self.source.with_user(self.without_access).read(["last_error", "failed_orders", "connected_as"])
        self.assertEqual(Source.with_user(self.with_access).search([("id", "=", self.source.id)]), self.source)
        self.assertEqual(Source.with_user(self.manager).search([("id", "=", self.source.id)]), self.source)

    # 6. a bad or endless publication request does not stop publishing

    def publishing(self):
        """An offer to publish (named by its SKU), Epicentr answering at once."""
        self.sandbox.offers.set_delay(0)
        self.sandbox.offers.set_rate(10_000, 120)
        product = self.env["product.product"].create({"name": "Плитка", "default_code": "PUB-1", "list_price": 100})
        self.sandbox.offers.add_offer("37000001", "PUB-1", 90.0)
        self.source.write({"publish_availability": True, "publish_prices": True,
                           "offer_pricelist_id": self.env["product.pricelist"].create({"name": "Epicentr"}).id,
                           "offers_confirmed_at": fields.Datetime.now()})
        return self.env["epicentr.offer"].create({"source_id": self.source.id, "product_id": product.id, "sku": "PUB-1"})

    def publish(self):
        """One call of the publication cron (results are asked for a second after a request)."""
        self.env["epicentr.offer"]._cron_publish()
        self.env.flush_all()
        self.env.cr.execute("UPDATE epicentr_offer SET sent_at = sent_at - interval '5 seconds' WHERE state = 'queued'")
        self.env.invalidate_all()

    def posts(self):
        return [r for r in self.sandbox.requests if r.method == "POST" and r.path == "/v1/offers"]

    @mute_logger(SOURCE_LOGGER)
    def test_a_bad_request_id_does_not_stop_publishing(self):
        offer = self.publishing()
        self.sandbox.fault("replace", count=1, path_contains="/v1/offers", field="requestId", value="../../v1/my/user")
        self.publish()
        self.assertEqual((offer.state, offer.request_id), ("retry", False))
        self.assertIn("request id", offer.answer)
        offer.next_attempt_at = fields.Datetime.now() - timedelta(seconds=1)
        self.publish()
        self.assertIn(offer.state, ("queued", "done"), "the offer went out again")

    @mute_logger(SOURCE_LOGGER)
    def test_a_request_enqueued_forever_is_given_up_and_send_again_releases_it(self):
        offer = self.publishing()
        self.sandbox.fault("replace", count=10**4, path_contains="/v1/offers/update-results/",
                            field="items.0.status", value="enqueued")
        self.publish()
        self.assertEqual(offer.state, "queued")
        # Send again, while Epicentr still has it: released at once, compared and sent anew
        offer.with_user(self.manager).action_send_again()
        self.assertEqual((offer.state, offer.request_id, offer.to_check), ("retry", False, True))
        self.publish()
        self.assertEqual(offer.state, "queued")
        # never finished: after half an hour the request is given up and the offer sent again
        offer.sent_at = fields.Datetime.now() - timedelta(minutes=31)
        self.publish()
        self.assertNotEqual(offer.request_id, False)
        self.assertEqual(offer.state, "queued", "sent again in a new request")
        self.assertEqual(len(self.posts()), 3)

    # 7. an unstorable character from Epicentr is cleaned, not a jam

    @mute_logger(SOURCE_LOGGER)
    def test_nul_from_epicentr_is_cleaned_everywhere_it_is_stored(self):
        office = str(uuid.uuid4())
        card = self.add("confirmed", office={"id": office, "title": "Відділення №1\x00 (до 30 кг)"},
                        address={"shipment": {"officeId": office}})
        order = self.import_order(card)
        place = self.env["epicentr.place"].search([("source_id", "=", self.source.id), ("epicentr_uuid", "=", office)])
        self.assertEqual(place.title, "Відділення №1 (до 30 кг)")
        self.assertNotIn("\x00", order.epicentr_office or "")
        # cancel reasons
        self.sandbox.fault("replace", count=2, path_contains="order-cancel-reasons", field="items.0.title",
                            value="Немає\x00 в наявності" + "!" * 5000)
        self.source.sudo().cancel_reasons_at = False
        self.env["epicentr.cancel.reason"]._refresh(self.source)
        reasons = self.env["epicentr.cancel.reason"].search([("source_id", "=", self.source.id)])
        self.assertTrue(reasons)
        self.assertFalse([r.name for r in reasons if "\x00" in r.name or len(r.name) > 256])
        # an offer's answer
        offer = self.publishing()
        self.sandbox.fault("replace", count=1, path_contains="/v1/offers", field="items.0", value={
            "id": "PUB-1", "idType": "sku", "status": "error", "errors": {"sku": ["batch_update.\x00unknown" + "x" * 5000]}})
        self.publish()
        self.assertNotIn("\x00", offer.answer or "")
        self.assertLessEqual(len(offer.answer or ""), 1000)
        # Epicentr's message of an error, kept as the source's last error
        self.sandbox.fault("refuse", count=3, path_contains="/oms/orders", status=400,
                            message="Некоректний\x00 запит " + "ж" * 5000)
        self.source._sync_orders()
        self.assertIn("Некоректний запит", self.source.last_error)
        self.assertLess(len(self.source.last_error), 2000)

    # 8. comments cannot flood the chatter

    def test_a_flood_of_comments_is_bounded(self):
        card = self.add("confirmed_by_merchant")
        order = self.import_order(card)
        for n in range(130):
            self.sandbox.store.platform_add_comment(card["id"], f"Коментар {n} " + "ж" * (20000 if n == 129 else 10))
        before = len(order.message_ids)
        self.source._sync_orders()
        posted = order.message_ids[:len(order.message_ids) - before]
        self.assertLessEqual(len(posted), 51, "at most 50 comments and one note of the rest")
        self.assertTrue(any("more comments on Epicentr" in (m.body or "") for m in posted))
        self.assertLessEqual(max(len(m.body or "") for m in posted), 4500)
        self.assertEqual(order.epicentr_comments_read, 130, "the rest is not read again and again")

    # 9. Import an Order by number keeps to a few pages

    @mute_logger(SOURCE_LOGGER)
    def test_import_by_number_does_not_page_without_end(self):
        card = self.add("confirmed")
        entry = {key: card[key] for key in ("id", "number")}
        self.sandbox.fault("endless", count=40, path_contains="/oms/orders?", items=[entry], fresh=True)
        wizard = self.env["epicentr.order.import.wizard"].with_user(self.manager).create(
            {"source_id": self.source.id, "number": card["number"]})
        with self.assertRaises(UserError):  # none of the endless entries is a card Epicentr has
            wizard.action_import()
        lists = [r for r in self.sandbox.requests if r.method == "GET" and "/oms/orders" in r.path and card["id"] not in r.path]
        self.assertLessEqual(len(lists), 3)

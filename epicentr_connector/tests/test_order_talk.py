from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from .common import PushCommon


@tagged("post_install", "-at_install")
class TestOrderTalk(PushCommon):
    """What a salesperson tells Epicentr without the cabinet (the call's result, a comment), and
    the comments Epicentr's side writes, in the order's chatter."""

    def setUp(self):
        super().setUp()
        self.card = self.add("confirmed_by_merchant")
        self.order = self.import_order(self.card)

    def wizard(self, action, **values):
        action = getattr(self.order, action)()
        form = Form(self.env[action["res_model"]].with_context(**action["context"]))
        for name, value in values.items():
            setattr(form, name, value)
        return form.save()

    def posted(self, path_end):
        return [r for r in self.sandbox.requests if r.method == "POST" and r.path.endswith(path_end)]

    def test_call_result_reaches_epicentr_and_shows_on_the_order(self):
        self.wizard("action_epicentr_call_result", call_status="first_fail").action_send()
        self.assertEqual(self.sandbox.requests, [], "nothing sent inside the click")
        self.send()
        self.assertEqual([r.json for r in self.posted("/call-status")], [{"callStatus": "first_fail"}])
        self.assertEqual(self.sandbox.store.orders[self.card["id"]]["callStatus"], "first_fail")
        self.assertEqual(self.order.epicentr_call_status, "first_fail")
        self.assertIn(self.order, self.env["sale.order"].search([("epicentr_call_status", "in", ("first_fail", "second_fail"))]))

    def test_call_result_held_in_read_only_mode(self):
        self.source.read_only = True
        self.wizard("action_epicentr_call_result", call_status="success").action_send()
        self.send()
        self.assertEqual(self.sandbox.writes(), [])
        self.assertEqual(self.order.epicentr_outbox_ids.filtered(lambda e: e.kind == "call_status").state, "held")

    def test_a_comment_goes_to_epicentr_once_and_is_not_imported_back(self):
        self.wizard("action_epicentr_comment", comment="Доставка після 18:00").action_send()
        self.send()
        self.assertEqual([r.json for r in self.posted("/comments")], [{"content": "Доставка після 18:00"}])
        self.assertTrue(self.notes(self.order, "Доставка після 18:00"), "the chatter says it was sent")
        before = len(self.order.message_ids)
        self.source._sync_orders()  # Epicentr now counts one comment: the seller's own
        self.assertEqual(len(self.order.message_ids), before, "the seller's own comment is not posted twice")

    def test_a_dropped_answer_does_not_post_the_comment_twice(self):
        self.sandbox.fault("drop_after", count=1, path_contains="/comments")
        self.wizard("action_epicentr_comment", comment="Зателефонуйте, будь ласка").action_send()
        self.send()
        entry = self.order.epicentr_outbox_ids.filtered(lambda e: e.kind == "comment")
        self.assertEqual(entry.state, "pending", "a lost answer is tried again")
        entry.next_attempt_at = False
        self.send()
        self.assertEqual(entry.state, "done")
        self.assertEqual(len(self.posted("/comments")), 1, "it arrived the first time: not sent again")

    def test_epicentr_comments_arrive_signed_only_when_the_count_grows(self):
        self.sandbox.store.platform_add_comment(self.card["id"], "Покупець просить чек", "Ірина", "Call-центр")
        self.source._sync_orders()
        notes = self.notes(self.order, "Покупець просить чек")
        self.assertEqual(len(notes), 1)
        self.assertIn("Ірина Call-центр", notes.body)
        reads = [r for r in self.sandbox.requests if r.method == "GET" and r.path.endswith("/comments")]
        self.assertEqual(len(reads), 1)
        self.sandbox.clear_requests()
        self.source._sync_orders()  # idle poll: no comment read
        self.assertEqual([r.path for r in self.sandbox.requests if r.path.endswith("/comments")], [])
        self.assertEqual(len(self.notes(self.order, "Покупець просить чек")), 1)

    def test_only_who_may_change_the_order_tells_epicentr(self):
        outsider = new_test_user(self.env, "talk_outsider", groups="sales_team.group_sale_salesman")
        with self.assertRaises(AccessError):
            self.order.with_user(outsider).action_epicentr_comment()
        wizard = self.env["epicentr.comment.wizard"].create({"order_id": self.order.id, "comment": "Hi"})
        with self.assertRaises(AccessError):
            wizard.with_user(outsider).action_send()
        self.assertFalse(self.order.epicentr_outbox_ids.filtered(lambda e: e.kind == "comment"))

    # ------------------------------------------------------------------ items changed on Epicentr

    def cash_order_of_two_items(self, first_quantity=None):
        """An order Epicentr lets the seller edit: confirmed by the seller, cash on delivery."""
        card = self.add("confirmed_by_merchant")
        card["items"] = self.sandbox.store.factory.items(2)
        if first_quantity:
            first = card["items"][0]
            first.update(quantity=first_quantity, subtotal=round(first["price"] * first_quantity, 2))
        card["subtotal"] = round(sum(item["subtotal"] for item in card["items"]), 2)
        card["address"]["shipment"].update(paymentProvider="pay_on_delivery", paymentStatus="none")
        return self.import_order(card), card

    def edit_items(self, order, quantities):
        """The Edit on Epicentr wizard with new quantities by offer id, sent."""
        action = order.action_epicentr_edit_items()
        form = Form(self.env[action["res_model"]].with_context(**action["context"]))
        for index in range(len(form.line_ids)):
            with form.line_ids.edit(index) as line:
                if line.offer_id in quantities:
                    line.new_quantity = quantities[line.offer_id]
        form.save().action_send()

    def test_items_changed_on_epicentr_then_the_quotation_follows(self):
        order, card = self.cash_order_of_two_items(first_quantity=3)
        first, second = card["items"]
        self.edit_items(order, {first["offerId"]: 2, second["offerId"]: 0})
        self.assertEqual(len(order.order_line.filtered("epicentr_offer_id")), 2, "nothing changes before Epicentr says")
        self.send()
        changed = [(r.method, r.path.rsplit("/", 1)[-1], r.json) for r in self.sandbox.requests if r.method in ("PUT", "DELETE")]
        self.assertEqual(changed, [("PUT", first["offerId"], {"quantity": 2}),
                                   ("DELETE", second["offerId"], None)])
        lines = order.order_line.filtered("epicentr_offer_id")
        self.assertEqual(lines.mapped("epicentr_offer_id"), [first["offerId"]])
        self.assertEqual(lines.product_uom_qty, 2)
        self.assertAlmostEqual(order.epicentr_total, self.sandbox.store.orders[card["id"]]["subtotal"])
        # under the products' default (price-excluded) tax, still what the buyer pays, to the kopeck
        edited = self.sandbox.store.orders[card["id"]]
        shipment = edited["address"]["shipment"]
        self.assertEqual(order.amount_total, round(edited["subtotal"] + (0 if shipment["isFree"] else shipment["deliveryPrice"]), 2))
        self.assertFalse(order.epicentr_total_mismatch)

    def test_items_refused_by_epicentr_leave_the_lines_alone(self):
        order, card = self.cash_order_of_two_items()
        self.sandbox.store.platform_set_status(card["id"], "confirmed")  # meanwhile, in the cabinet
        self.edit_items(order, {card["items"][0]["offerId"]: 0})
        self.send()
        entry = order.epicentr_outbox_ids.filtered(lambda e: e.kind == "items")
        self.assertEqual(entry.state, "failed")
        self.assertIn("confirmed by the seller", entry.last_error)
        self.assertEqual(len(order.order_line.filtered("epicentr_offer_id")), 2)
        self.assertFalse([r for r in self.sandbox.requests if r.method in ("PUT", "DELETE")])

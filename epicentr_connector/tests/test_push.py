"""Push to Epicentr: statuses and cancellations, transactions, and what the import never sends.
How these tests drive the outbox, and how they travel in time: PushCommon (common.py)."""

from contextlib import closing
from unittest.mock import patch

from odoo.sql_db import db_connect
from odoo.tests import new_test_user, tagged

from odoo.addons.epicentr_connector import const

from ..sync.order_sync import SYNC_LOCK_NAMESPACE
from ..utils.order_card import Card
from .common import MERCHANT_REASON, PushCommon


@tagged("post_install", "-at_install")
class TestPush(PushCommon):
    """Odoo → Epicentr: statuses and cancellations, transactions, and what the import never sends."""

    # ------------------------------------------------------------------ statuses

    def test_confirming_a_quotation_walks_new_to_confirmed(self):
        card = self.add("new")
        order = self.import_order(card)
        triggers_before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.push_cron.id)])
        order.action_confirm()
        self.end_transaction()
        # Nothing is sent inside the user's transaction; the sender cron is woken.
        self.assertEqual(self.sandbox.requests, [])
        self.assertEqual(self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.push_cron.id)]),
                         triggers_before + 1)
        entry = self.entries(order)
        self.assertRecordValues(entry, [{"kind": "status", "target_status": "confirmed", "state": "pending"}])
        self.assertEqual(order.epicentr_push_state, "pending")

        self.send()
        # allowed-statuses is read before each step; no step is skipped
        self.assertEqual(self.log(), [
            ("GET", "card"),
            ("GET", "allowed"), ("POST", "to confirmed_by_merchant"),
            ("GET", "allowed"), ("POST", "to confirmed"),
            ("GET", "card"),  # read back: the order follows what Epicentr has
        ])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "confirmed")
        self.assertRecordValues(entry, [{"state": "done", "attempts": 1, "last_error": False}])
        self.assertEqual(order.epicentr_push_state, "ok")

        # idempotence: the sender again has nothing to send
        self.sandbox.clear_requests()
        self.send()
        self.assertEqual(self.sandbox.requests, [])

    def test_confirming_through_the_connector_settles_the_deadline_activity(self):
        seller = new_test_user(self.env, login="epc_push_seller", groups="sales_team.group_sale_salesman_all_leads")
        self.source.salesperson_ids = seller
        self.source.access_user_ids = seller
        order = self.import_order(self.add("new"))
        confirm = self.env.ref("epicentr_connector.mail_activity_epicentr_confirm")
        self.assertTrue(order.activity_ids.filtered(lambda a: a.activity_type_id == confirm))
        order.with_user(seller).action_confirm()
        self.send()
        self.assertEqual(order.epicentr_status, "confirmed")
        self.assertFalse(order.activity_ids.filtered(lambda a: a.activity_type_id == confirm),
                         "the activity stays open after the connector confirmed the order")
        self.assertTrue(self.notes(order, "Confirmed on Epicentr."), "the activity is marked done, with a note")

    def test_confirmation_is_recorded_once_the_delivery_exists(self):
        """The hooks note; the outbox records once Odoo's action has finished: the confirmation's
        entry names the delivery sale_stock made during it."""
        order = self.import_order(self.add("new"))
        order.action_confirm()
        self.assertFalse(self.Push.search([("order_id", "=", order.id)]), "recorded before the action ended")
        self.assertEqual(self.entries(order).picking_id, self.delivery(order))

    def test_confirmed_and_cancelled_in_one_action_pushes_the_cancellation_only(self):
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        order._epicentr_cancel(MERCHANT_REASON)
        self.send()
        self.assertEqual(self.entries(order).mapped("target_status"), ["canceled"])
        self.assertEqual([path for _method, path, _body in self.writes()], ["to/canceled"])

    def test_pushed_order_follows_the_card_epicentr_has_then(self):
        """After a push the order follows Epicentr's card at once: the buyer Epicentr hides while
        the order is new arrives with the confirmation, not a sync later."""
        card = self.add("new")
        order = self.import_order(card)
        self.assertTrue(order.epicentr_buyer_hidden)
        order.action_confirm()
        self.send()
        self.assertEqual(self.log()[-1], ("GET", "card"), "the card is read back after the writes")
        self.assertEqual((order.epicentr_status, order.epicentr_buyer_hidden), ("confirmed", False))
        self.assertIn(card["address"]["lastName"], order.partner_id.name)

    def test_following_the_cards_keeps_to_the_calls_budget(self):
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        with patch.object(const, "CRON_CALL_OVERRUN_SECONDS", -10**6):  # the call is far past its budget
            self.send()
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "confirmed", "the sends went out")
        self.assertEqual(order.epicentr_status, "new", "the order follows at the next sync instead")
        self.source._sync_orders()
        self.assertEqual(order.epicentr_status, "confirmed")

    def test_a_running_sync_follows_the_orders_instead_of_the_push(self):
        """The push's follow is an import: under the source's sync lock, else left to the sync
        that holds it (two imports writing the same orders in another order would deadlock)."""
        card = self.add("new")
        raw = self.source._get_client().get_order(card["id"])
        self.env["epicentr.order.import"]._import_cards(self.source, [Card(raw)])  # no sync: no lock held here
        order = self.env["sale.order"].search([("epicentr_uuid", "=", card["id"])])
        order.action_confirm()
        with closing(db_connect(self.env.cr.dbname).cursor()) as other:  # another worker's sync
            other.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (SYNC_LOCK_NAMESPACE, self.source.id))
            self.assertTrue(other.fetchone()[0])
            self.send()
            other.rollback()
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "confirmed", "the sends went out")
        self.assertEqual(order.epicentr_status, "new", "the sync holding the source brings it")

    def test_change_already_made_on_epicentr_is_not_sent_again(self):
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        # the seller confirmed the order in the cabinet before the sender ran
        self.sandbox.store.platform_set_status(card["id"], "confirmed")
        self.send()
        self.assertEqual(self.sandbox.writes(), [])
        self.assertEqual(self.entries(order).state, "done")
        self.assertEqual(order.epicentr_push_state, "ok")

    def test_confirming_an_order_epicentr_already_shipped_is_not_an_error(self):
        # Imported while `sent` (a quotation in Odoo): confirming it in Odoo asks for
        # "confirmed", which the order has already passed on Epicentr.
        card = self.add("sent")
        order = self.import_order(card)
        self.assertEqual(order.state, "draft")
        order.action_confirm()
        self.send()
        self.assertEqual(self.sandbox.writes(), [])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "sent")
        self.assertEqual(self.entries(order).state, "done")
        self.assertEqual(order.epicentr_push_state, "ok")
        self.assertFalse(self.error_activities(order))

    def test_refusal_is_shown_on_the_order_and_retry_resends(self):
        # An order whose card payment is awaited cannot be cancelled on Epicentr.
        card, order = self.refused_cancellation()
        # refused from allowed-statuses, without a write
        self.assertEqual(self.sandbox.writes(), [])
        # Epicentr still has the order open: so has Odoo, with the reason
        self.assertEqual(order.state, "draft")
        self.assertTrue(self.notes(order, "Epicentr did not cancel the order, so it is open again"))
        entry = self.entries(order).filtered(lambda e: e.state != "superseded")
        self.assertRecordValues(entry, [{"state": "failed", "target_status": "canceled"}])
        self.assertIn("does not allow", entry.last_error)
        self.assertEqual(order.epicentr_push_state, "failed")
        self.assertEqual(order.epicentr_push_error, entry.last_error)
        self.assertEqual(len(self.notes(order, "Could not send to Epicentr")), 1)
        self.assertEqual(len(self.error_activities(order)), 1)

        # Retry while Epicentr still refuses: a second note, still one activity.
        order.action_epicentr_retry()
        self.assertEqual(order.epicentr_push_state, "pending")
        self.send()
        self.assertEqual(self.sandbox.writes(), [])
        self.assertEqual(entry.state, "failed")
        self.assertEqual(len(self.notes(order, "Could not send to Epicentr")), 2)
        self.assertEqual(len(self.error_activities(order)), 1)

        # The payment arrives; Retry now lands, and the error is cleared.
        self.sandbox.store.orders[card["id"]]["address"]["shipment"]["paymentStatus"] = "hold_set"
        order.action_epicentr_retry()
        self.send()
        self.assertEqual([(m, p) for m, p, _body in self.writes()], [("POST", "to/canceled")])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "canceled")
        self.assertEqual(entry.state, "done")
        self.assertEqual(order.epicentr_push_state, "ok")
        self.assertFalse(order.epicentr_push_error)
        self.assertFalse(self.error_activities(order))

    def test_http_refusal_shows_epicentrs_message(self):
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        # a reason Epicentr has dropped from its list since it was chosen: the API answers 400 with its message
        order._epicentr_cancel(MERCHANT_REASON)
        self.entries(order).filtered(lambda e: e.state == "pending").cancel_reason_key = "order.cancel_reason.made_up"
        self.send()
        self.assertEqual([(m, p) for m, p, _body in self.writes()], [("POST", "to/canceled")])
        self.assertEqual(self.sandbox.writes()[0].status, 400)
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "confirmed")
        entry = self.entries(order)[-1]
        self.assertEqual(entry.state, "failed")
        self.assertIn("Epicentr refused: Invalid request parameters", entry.last_error)
        self.assertIn("translationKey: Required", entry.last_error, "Epicentr's reason is not shown")
        self.assertEqual(order.epicentr_push_state, "failed")
        self.assertIn("Invalid request parameters", order.epicentr_push_error)
        self.assertEqual(len(self.error_activities(order)), 1)

    # ------------------------------------------------------------------ cancellation

    def test_cancel_through_the_wizard_sends_the_reason(self):
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        self.cancel_with_wizard(order, comment="Закінчився на складі")
        self.assertEqual(self.sandbox.writes(), [], "nothing is sent inside the user's transaction")
        self.send()
        self.assertEqual(self.writes(), [("POST", "to/canceled", {
            "reason_code": "merchant_product_is_not_available",
            "translationKey": MERCHANT_REASON,
            "comment": "Закінчився на складі",
        })])
        stored = self.sandbox.store.orders[card["id"]]
        self.assertEqual(stored["statusCode"], "canceled")
        self.assertEqual(stored["cancel"]["initiatorCode"], "merchant")
        self.assertEqual(stored["cancel"]["reasonTranslationKey"], MERCHANT_REASON)
        self.assertEqual(order.epicentr_push_state, "ok")

    def test_cancel_without_comment_sends_no_comment(self):
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        self.send()
        self.sandbox.clear_requests()
        self.cancel_with_wizard(order, reason_key="order.cancel_reason.price_differs")
        self.send()
        self.assertEqual(self.writes(), [("POST", "to/canceled", {
            "reason_code": "price_differs", "translationKey": "order.cancel_reason.price_differs"})])

    # ------------------------------------------------------------------ transactions, coalescing

    def test_a_call_past_its_time_budget_hands_the_rest_to_the_next_call(self):
        orders = self.env["sale.order"]
        for _ in range(3):
            orders |= self.import_order(self.add())
        orders.action_confirm()
        with patch.object(const, "CRON_CALL_SECONDS", 0):  # every call is past its budget after an order
            for sent in (1, 2, 3):
                triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.push_cron.id)])
                self.send()
                self.assertEqual(len({r.path.split("/")[4] for r in self.sandbox.writes()}), sent, "one order a call")
                if sent < 3:
                    self.assertGreater(self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.push_cron.id)]),
                                       triggers, "the call woke the next one")
        self.assertEqual(set(orders.mapped("epicentr_status")), {"confirmed"})
        self.assertEqual(len(self.sandbox.writes()), 6, "two steps an order, each once")

    def test_rolled_back_transaction_sends_nothing(self):
        card = self.add("new")
        order = self.import_order(card)
        Trigger = self.env["ir.cron.trigger"]
        triggers = Trigger.search([("cron_id", "=", self.push_cron.id)])
        with self.assertRaises(ZeroDivisionError), self.env.cr.savepoint():
            order.action_confirm()
            self.assertTrue(self.entries(order), "the click recorded nothing: the test proves nothing")
            raise ZeroDivisionError  # the user's transaction fails after the confirmation (any error does)
        self.assertEqual(order.state, "draft")
        self.assertFalse(self.entries(order))
        self.assertFalse(Trigger.search([("cron_id", "=", self.push_cron.id)]) - triggers)
        self.send()
        self.assertEqual(self.sandbox.requests, [])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "new")

    def test_two_quick_changes_send_the_latest_intent_once(self):
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        self.end_transaction()  # two clicks, two transactions, before the sender runs
        order._epicentr_cancel(MERCHANT_REASON, "Передумали")
        self.send()
        # not new → confirmed_by_merchant → confirmed → canceled: just the cancellation
        self.assertEqual([(m, p) for m, p, _body in self.writes()], [("POST", "to/canceled")])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "canceled")
        self.assertEqual(self.entries(order).mapped("state"), ["superseded", "done"])

    # ------------------------------------------------------------------ import never pushes

    def test_history_import_and_incremental_sync_send_nothing(self):
        cards = {status: self.add(status) for status in
                 ("new", "confirmed_by_merchant", "confirmed", "sent", "completed", "canceled")}
        for card in cards.values():
            for item in card["items"]:
                self.env["product.product"].create(
                    {"name": item["title"], "default_code": item["productExternalId"] or item["sku"], "type": "consu"})
        self.source.send_tracking = True
        self.source.tracking_on_tracking_set = True
        self.source._sync_orders()
        orders = self.env["sale.order"].search([("epicentr_source_id", "=", self.source.id)])
        self.assertEqual(len(orders), len(cards))
        self.assertIn("sale", orders.mapped("state"))
        self.assertIn("cancel", orders.mapped("state"))
        # the platform and the buyer move orders along; the incremental sync follows
        self.sandbox.store.platform_set_status(cards["new"]["id"], "canceled")
        self.sandbox.store.platform_set_status(cards["confirmed"]["id"], "sent")
        self.sandbox.store.platform_set_status(cards["sent"]["id"], "completed")
        self.source._sync_orders()
        self.assertEqual(orders.filtered(lambda o: o.epicentr_uuid == cards["new"]["id"]).state, "cancel")
        self.assertEqual(self.sandbox.writes(), [])
        self.assertFalse(self.Push.search([("order_id", "in", orders.ids)]), "the import recorded a push")
        self.sandbox.clear_requests()
        self.send()
        self.assertEqual(self.sandbox.requests, [])

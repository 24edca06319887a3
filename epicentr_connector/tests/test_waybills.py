"""Ship from Odoo: Epicentr's delivery services as delivery methods, and waybills made by
Epicentr when a delivery is validated. How these tests drive the outbox: PushCommon (common.py)."""

import base64
import io

from PyPDF2 import PdfReader

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from ..utils.order_card import Card
from .common import PushCommon
from .epicentr_sandbox.shipping import dictionary

CLIENT_LOGGER = "odoo.addons.epicentr_connector.api.client"


def sender_place(provider, city="Київ"):
    """(settlement, office) of the sandbox's dictionary of ``provider`` in ``city``."""
    settlements, offices = dictionary(provider)
    settlement = next(s for s in settlements.values() if s["city"] == city)
    return settlement, offices[settlement["id"]][0]


def set_sender(source, providers):
    """The source's sender, and its places for ``providers`` from the sandbox's dictionaries (kept
    as the dictionary search keeps them)."""
    source.write({"waybill_first_name": "Іван", "waybill_last_name": "Петренко", "waybill_phone": "067 123 45 67"})
    Place = source.env["epicentr.place"]
    for provider in providers:
        settlement, office = sender_place(provider)
        Place._keep_places(source, provider, False, [settlement])
        Place._keep_places(source, provider, settlement["id"], [office])
        source.env["epicentr.waybill.sender"].create({
            "source_id": source.id, "provider": provider,
            "settlement_id": Place.search([("epicentr_uuid", "=", settlement["id"])]).id,
            "office_id": Place.search([("epicentr_uuid", "=", office["id"])]).id})


@tagged("post_install", "-at_install")
class TestWaybills(PushCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        set_sender(cls.source, ("nova_poshta", "ukrposhta", "meest"))

    def add_shipped(self, provider="ukrposhta", payment="pay_on_delivery", payment_status="none", delivery=55.0):
        card = self.add("new", provider=provider, address={"shipment": {
            "paymentProvider": payment, "paymentStatus": payment_status, "deliveryPrice": delivery, "isFree": False,
            "number": None}})
        return card

    def validated(self, card, weight=0.0):
        """Import, confirm (sent to Epicentr) and validate the delivery; its products weigh ``weight`` each."""
        order = self.confirmed_in_odoo(card)
        picking = self.delivery(order)
        picking.move_ids.product_id.weight = weight
        self.validate(picking)
        return order, picking

    def shipping_posts(self):
        return [r for r in self.sandbox.writes() if "/shipping/" in r.path]

    # ------------------------------------------------------------------ the delivery method

    def test_the_buyers_delivery_service_is_the_orders_delivery_method_at_epicentrs_price(self):
        for provider, xmlid in (("nova_poshta", "carrier_epicentr_nova_poshta"), ("ukrposhta", "carrier_epicentr_ukrposhta"),
                                ("parcel_box_epicentr", "carrier_epicentr_parcel_box_epicentr")):
            card = self.add_shipped(provider, delivery=67.5)
            order = self.import_order(card)
            carrier = self.env.ref(f"epicentr_connector.{xmlid}")
            self.assertEqual(order.carrier_id, carrier)
            self.assertEqual(carrier.rate_shipment(order)["price"], 67.5, "the price Epicentr charged the buyer")
            order.action_confirm()
            self.assertEqual(self.delivery(order).carrier_id, carrier)
        # the buyer changes the service in the cabinet: the quotation and its delivery follow
        self.sandbox.store.orders[card["id"]]["address"]["shipment"]["provider"] = "meest"
        self.sandbox.store.touch(card["id"])
        self.source._sync_orders()
        self.assertEqual(order.carrier_id, self.env.ref("epicentr_connector.carrier_epicentr_meest"))
        self.assertEqual(self.delivery(order).carrier_id, order.carrier_id)

    # ------------------------------------------------------------------ validate → waybill

    def test_validating_makes_the_waybill_its_number_and_label_are_on_the_delivery(self):
        card = self.add_shipped("ukrposhta")
        order, picking = self.validated(card, weight=1.25)
        self.end_transaction()
        self.assertFalse(self.sandbox.requests, "nothing is sent inside the validation's transaction")
        self.assertEqual(picking.epicentr_waybill_state, "pending")
        self.send()
        stored = self.sandbox.store.orders[card["id"]]
        number = stored["address"]["shipment"]["number"]
        self.assertTrue(number)
        [post] = self.shipping_posts()
        settlement, office = sender_place("ukrposhta")
        self.assertEqual(post.json, {
            "sender": {"name": "Іван", "lastName": "Петренко", "phone": "380671234567",
                       "settlementId": settlement["id"], "officeId": office["id"], "provider": "ukrposhta"},
            "items": [{"weight": 1.25, "length": 30.0, "width": 20.0, "height": 10.0}],
            "deliveryPayer": "client", "isPostPayment": True, "codAmount": card["subtotal"],
            "description": f"Order {card['number']}"})
        self.assertEqual(picking.carrier_tracking_ref, number)
        self.assertEqual(picking.epicentr_waybill_state, "done")
        self.assertIn(number, picking.carrier_tracking_url)
        label = picking._epicentr_label(number)
        self.assertEqual(len(PdfReader(io.BytesIO(label.raw)).pages), 1)
        self.assertTrue(self.notes(picking, f"Waybill {number} made by Epicentr"))
        # Epicentr moved it to "sent" itself; the number is not pushed again as a new TTN
        self.assertEqual(stored["statusCode"], "sent")
        self.assertEqual(order.epicentr_status, "sent")
        self.send()
        self.assertFalse([r for r in self.sandbox.writes() if r.path.endswith("shipment-number")])
        self.assertEqual(len(self.shipping_posts()), 1)

    def test_cash_on_delivery_is_what_the_buyer_still_owes(self):
        cases = [  # payment, status, who pays the carrier → cash on delivery
            ("pay_on_delivery", "none", "client", lambda card: card["subtotal"]),
            ("pay_on_delivery", "none", "merchant", lambda card: round(card["subtotal"] + 55.0, 2)),
            ("pay_on_pickup", "none", "client", lambda card: card["subtotal"]),
            ("easypay", "hold_set", "client", lambda card: None),
            ("monobank", "none", "merchant", lambda card: None),
        ]
        for payment, status, payer, expected in cases:
            with self.subTest(payment=payment, status=status, payer=payer):
                self.source.waybill_delivery_payer = payer
                card = self.add_shipped("nova_poshta", payment=payment, payment_status=status)
                self.validated(card)
                self.sandbox.clear_requests()
                self.send()
                [post] = self.shipping_posts()
                self.assertEqual(post.json["deliveryPayer"], payer)
                self.assertEqual(post.json.get("codAmount"), expected(card))
                self.assertEqual(post.json["isPostPayment"], expected(card) is not None)
                self.assertEqual(post.status, 201)

    def test_nothing_to_collect_when_the_buyers_card_holds_the_money(self):
        def cod(with_delivery, **shipment):
            shipment = {"paymentProvider": "pay_on_delivery", "paymentStatus": "none", "deliveryPrice": 50.25,
                        "isFree": False, **shipment}
            return Card({"subtotal": 100.1, "address": {"shipment": shipment}}).cash_on_delivery(with_delivery)

        self.assertEqual(cod(True), 150.35)
        self.assertEqual(cod(False), 100.1)
        self.assertEqual(cod(True, isFree=True), 100.1)
        self.assertEqual(cod(True, paymentStatus="hold_set"), 0.0)
        self.assertEqual(cod(True, paymentProvider="easypay", paymentStatus="payment_waiting"), 0.0)

    def test_packages_are_parcels_of_their_own_weight(self):
        card = self.add_shipped("meest")
        order = self.confirmed_in_odoo(card)
        picking = self.delivery(order)
        picking.move_ids.product_id.weight = 2.0
        picking.move_ids.quantity = picking.move_ids.product_uom_qty
        package = picking.action_put_in_pack()
        if isinstance(package, dict):  # the package wizard (delivery method set): keep its weight
            wizard = self.env[package["res_model"]].with_context(**package["context"]).create({})
            wizard.action_put_in_pack()
        picking.button_validate()
        self.send()
        [post] = self.shipping_posts()
        quantity = sum(picking.move_ids.mapped("quantity"))
        self.assertEqual([p["weight"] for p in post.json["items"]], [2.0 * quantity])

    # ------------------------------------------------------------------ never twice, never lost

    def test_a_dropped_answer_never_makes_a_second_waybill(self):
        card = self.add_shipped("ukrposhta")
        _order, picking = self.validated(card)
        self.sandbox.fault("drop_after", count=1, path_contains="/shipping/")
        with mute_logger(CLIENT_LOGGER):
            self.send()
        entry = self.entries(picking.sale_id).filtered(lambda e: e.kind == "waybill")
        self.assertEqual(entry.state, "pending")
        self.assertEqual(picking.epicentr_waybill_state, "pending")
        self.make_due(entry)
        self.send()
        self.assertEqual(len(self.shipping_posts()), 1, "the card had the number: not asked again")
        self.assertEqual(picking.carrier_tracking_ref, self.sandbox.store.orders[card["id"]]["address"]["shipment"]["number"])
        self.assertTrue(picking._epicentr_label(picking.carrier_tracking_ref))

    def test_epicentr_down_does_not_block_the_warehouse_the_waybill_follows(self):
        card = self.add_shipped("nova_poshta")
        order = self.confirmed_in_odoo(card)
        self.sandbox.fault("503", count=100)
        picking = self.delivery(order)
        self.validate(picking)
        with mute_logger(CLIENT_LOGGER):
            self.send()
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.epicentr_waybill_state, "pending")
        self.assertIn("503", picking.epicentr_waybill_error)
        self.sandbox.clear_faults()
        self.make_due(self.entries(order).filtered(lambda e: e.kind == "waybill"))
        self.send()
        self.assertEqual(picking.epicentr_waybill_state, "done")
        self.assertTrue(picking.carrier_tracking_ref)
        self.assertFalse(picking._epicentr_label(picking.carrier_tracking_ref), "Nova Poshta's label is Nova Poshta's")

    def test_a_refusal_shows_in_epicentrs_words_and_retry_makes_it(self):
        card = self.add_shipped("ukrposhta")
        _order, picking = self.validated(card, weight=45.0)
        self.send()
        self.assertEqual(picking.epicentr_waybill_state, "failed")
        self.assertIn("0.1 to 30.0 kg", picking.epicentr_waybill_error)
        self.assertTrue(picking.epicentr_waybill_possible, "Retry is offered")
        picking.move_ids.product_id.weight = 4.0
        # Retry is another request: Odoo's delivery weights (not recomputed when a product's weight
        # changes) are read afresh, not from this transaction's cache
        self.env.invalidate_all()
        picking.action_epicentr_create_waybill()
        self.send()
        self.assertEqual(picking.epicentr_waybill_state, "done")
        self.assertEqual([r.status for r in self.shipping_posts()], [422, 201])
        self.assertEqual(picking.sale_id.epicentr_push_state, "ok")

    def test_no_sender_for_the_service_no_waybill_at_validation_and_create_says_what_is_missing(self):
        self.source.waybill_sender_ids.filtered(lambda s: s.provider == "meest").unlink()
        card = self.add_shipped("meest")
        _order, picking = self.validated(card)
        self.send()
        self.assertFalse(picking.epicentr_waybill_state, "a seller who ships without waybills is not asked")
        self.assertFalse(self.error_activities(picking.sale_id))
        picking.action_epicentr_create_waybill()
        self.send()
        self.assertEqual(picking.epicentr_waybill_state, "failed")
        self.assertIn("Choose where Meest parcels are sent from", picking.epicentr_waybill_error)
        self.assertFalse(self.shipping_posts())

    # ------------------------------------------------------------------ safety

    def test_read_only_sources_make_no_waybill(self):
        card = self.add_shipped("ukrposhta")
        order = self.import_order(card)
        self.source.read_only = True
        order.action_confirm()
        picking = self.delivery(order)
        self.validate(picking)
        self.send()
        self.assertFalse(self.sandbox.writes())
        self.assertFalse(picking.epicentr_waybill_state)
        self.assertTrue(self.notes(picking, "Read-only mode: no waybill"))

    def test_who_may_validate_the_delivery_may_create_its_waybill(self):
        card = self.add_shipped("ukrposhta")
        order = self.confirmed_in_odoo(card)
        picking = self.delivery(order)
        # a salesperson of another shop does not see this delivery
        salesman = new_test_user(self.env, "waybill_salesman", groups="sales_team.group_sale_salesman")
        with self.assertRaises(AccessError):
            picking.with_user(salesman).action_epicentr_create_waybill()
        with self.assertRaises(AccessError):  # Odoo's own button, callable over RPC
            picking.with_user(salesman).send_to_shipper()
        self.assertFalse(self.entries(order).filtered(lambda e: e.kind == "waybill"))
        storekeeper = new_test_user(self.env, "waybill_storekeeper", groups="stock.group_stock_user")
        picking.with_user(storekeeper).action_epicentr_create_waybill()
        self.send()
        self.assertEqual(picking.epicentr_waybill_state, "done")
        with self.assertRaises(UserError):  # it has its number now
            picking.with_user(storekeeper).action_epicentr_create_waybill()
        self.assertEqual(len(self.shipping_posts()), 1)

    # ------------------------------------------------------------------ many at once

    def test_a_wave_of_deliveries_prints_its_labels_in_one_document(self):
        pickings = self.env["stock.picking"]
        for _n in range(3):
            pickings |= self.validated(self.add_shipped("meest"))[1]
        self.send()
        self.assertEqual(set(pickings.mapped("epicentr_waybill_state")), {"done"})
        action = pickings.action_epicentr_print_waybills()
        document = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        self.assertEqual(len(PdfReader(io.BytesIO(base64.b64decode(document.datas))).pages), 3)

    # ------------------------------------------------------------------ the sender's settings

    def test_the_senders_places_are_searched_in_epicentrs_dictionary(self):
        Place = self.env["epicentr.place"].with_context(
            epicentr_dictionary={"source_id": self.source.id, "provider": "meest"})
        found = Place.name_search("льві", [("provider", "=", "meest"), ("settlement_uuid", "=", False)])
        self.assertTrue(found and all("Львів" in title for _id, title in found))
        settlement = Place.browse(found[0][0])
        offices = Place.with_context(epicentr_dictionary={
            "source_id": self.source.id, "provider": "meest", "settlement_id": settlement.id,
        }).name_search("№2 Meest", [("settlement_uuid", "=", settlement.epicentr_uuid)])
        self.assertEqual(len(offices), 1)
        self.assertTrue(any(r.query.get("filter[title]") == ["№2 Meest"] for r in self.sandbox.requests))
        salesman = new_test_user(self.env, "dictionary_salesman", groups="sales_team.group_sale_salesman")
        with self.assertRaises(AccessError):
            Place.with_user(salesman).name_search("Київ")

    def test_the_test_button_checks_the_branches_on_epicentr(self):
        result = self.source.action_test_waybills()
        self.assertEqual(result["params"]["type"], "success")
        self.assertIn("Ukrposhta", result["params"]["message"])
        place = self.source.waybill_sender_ids.filtered(lambda s: s.provider == "meest")
        place.office_id.epicentr_uuid = "00000000-0000-4000-8000-000000000000"  # a branch Epicentr closed
        result = self.source.action_test_waybills()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn("no longer has the branch", result["params"]["message"])

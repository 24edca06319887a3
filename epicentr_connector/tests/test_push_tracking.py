"""Push to Epicentr: tracking numbers (TTN) and their formats. How these tests drive the
outbox: PushCommon (common.py)."""

import time

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.epicentr_connector.utils.tracking import expected_tracking_format, normalize_tracking

from .common import PushCommon

NP_TTN = "20450000000001"  # Nova Poshta: 14 digits starting with 20
NP_TTN_2 = "59000000000002"
CLIENT_LOGGER = "odoo.addons.epicentr_connector.api.client"


@tagged("post_install", "-at_install")
class TestPushTracking(PushCommon):
    """Odoo → Epicentr: tracking numbers (TTN) and their formats."""

    # ------------------------------------------------------------------ tracking numbers

    def test_ttn_waits_for_the_trigger_then_lands_and_the_order_is_sent(self):
        self.source.send_tracking = True  # default trigger: the delivery validated
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        self.send()
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "confirmed")
        self.sandbox.clear_requests()
        picking = self.delivery(order)
        picking.carrier_tracking_ref = "20 4500 0000 0001"  # typed with spaces
        self.send()
        self.assertEqual(self.sandbox.requests, [], "sent before the trigger point")
        self.validate(picking)
        self.send()
        self.assertEqual(self.log(), [
            ("GET", "card"), ("PATCH", "ttn"),
            ("GET", "card"), ("GET", "allowed"), ("POST", "to sent"),
            ("GET", "card"),  # the "delivery validated → sent" rule: already there
        ])
        self.assertEqual(self.writes()[0], ("PATCH", "shipment-number", {"number": NP_TTN}))
        self.assertEqual(self.writes()[1], ("POST", "to/sent", {"provider": "nova_poshta", "number": NP_TTN}))
        stored = self.sandbox.store.orders[card["id"]]
        self.assertEqual((stored["statusCode"], stored["address"]["shipment"]["number"]), ("sent", NP_TTN))
        self.assertEqual(set(self.entries(order).mapped("state")), {"done"})
        self.assertEqual(order.epicentr_push_state, "ok")

    def test_ttn_not_sent_again_when_epicentr_moved_to_sent_itself(self):
        self.sandbox.store.ttn_autosend = True  # as the cabinet does when a TTN is entered
        self.source.send_tracking = True
        self.source.tracking_on_tracking_set = True
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        self.delivery(order).carrier_tracking_ref = NP_TTN
        self.send()
        self.assertEqual(self.log(), [("GET", "card"), ("PATCH", "ttn"), ("GET", "card")])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "sent")
        self.assertEqual(self.entries(order)[-1].state, "done")

    def test_ttn_applied_but_answer_lost_is_not_sent_twice(self):
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        # Epicentr stores the TTN only after our client gave up waiting for the answer
        self.sandbox.fault("slow", count=1, path_contains="shipment-number", delay=1.0)
        self.delivery(order).carrier_tracking_ref = NP_TTN
        with mute_logger(CLIENT_LOGGER):
            self.send(timeout=(2, 0.3))
        entry = self.entries(order)[-1]
        self.assertRecordValues(entry, [{"kind": "tracking", "state": "pending", "attempts": 1}])
        shipment = self.sandbox.store.orders[card["id"]]["address"]["shipment"]
        deadline = time.monotonic() + 10
        while shipment["number"] != NP_TTN:  # the sandbox finishes the slow request
            self.assertLess(time.monotonic(), deadline, "the sandbox never applied the slow request")
            time.sleep(0.02)
        self.make_due(entry)
        self.send()
        self.assertEqual([(m, p) for m, p, _body in self.writes()], [("PATCH", "shipment-number"), ("POST", "to/sent")])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "sent")
        self.assertEqual(entry.state, "done")

    def test_ttn_waits_until_epicentr_confirms_when_the_rules_may_not(self):
        self.source.rule_ids.unlink()  # no rule may move the order forward on Epicentr
        self.source.send_tracking = True
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        picking = self.delivery(order)
        picking.carrier_tracking_ref = NP_TTN
        self.validate(picking)
        self.send()
        self.assertEqual(self.sandbox.writes(), [])
        entry = self.entries(order)
        self.assertRecordValues(entry, [{"kind": "tracking", "state": "pending"}])
        self.assertIn("Waiting", entry.last_error)
        self.assertIn("“New”", entry.last_error)
        self.assertEqual(order.epicentr_push_state, "pending")
        self.assertIn("Waiting", order.epicentr_push_error)
        # the seller confirms in the cabinet; at the next attempt the TTN goes
        self.sandbox.store.platform_set_status(card["id"], "confirmed")
        self.sandbox.clear_requests()
        self.send()
        self.assertEqual(self.sandbox.requests, [])
        self.make_due(entry)
        self.send()
        self.assertEqual([(m, p) for m, p, _body in self.writes()], [("PATCH", "shipment-number"), ("POST", "to/sent")])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "sent")
        self.assertEqual(entry.state, "done")

    def test_ttn_on_a_new_order_walks_it_to_confirmed_first(self):
        # Trigger "entered"; no status rule for the confirmation, but one may set "sent".
        self.source.rule_ids.filtered(lambda r: r.odoo_event == "order_confirmed").unlink()
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("new")
        order = self.import_order(card)
        order.action_confirm()
        self.delivery(order).carrier_tracking_ref = NP_TTN
        self.send()
        self.assertEqual([(m, p) for m, p, _body in self.writes()], [
            ("POST", "to/confirmed_by_merchant"), ("POST", "to/confirmed"),
            ("PATCH", "shipment-number"), ("POST", "to/sent")])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "sent")

    def test_invalid_ttn_is_refused_locally(self):
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        self.delivery(order).carrier_tracking_ref = "2045000000000"  # 13 digits
        entry = self.entries(order)[-1]
        self.assertRecordValues(entry, [{"kind": "tracking", "state": "failed", "tracking_number": "2045000000000"}])
        self.assertEqual(order.epicentr_push_state, "failed")
        self.assertIn("2045000000000 is not a valid tracking number for Nova Poshta", order.epicentr_push_error)
        self.assertIn("14 digits starting with 20 or 59", order.epicentr_push_error)
        self.assertEqual(len(self.error_activities(order)), 1)
        self.assertTrue(self.notes(order, "2045000000000 is not a valid"))
        self.send()
        self.assertEqual(self.sandbox.requests, [], "an invalid TTN must not reach Epicentr")
        self.assertIsNone(self.sandbox.store.orders[card["id"]]["address"]["shipment"]["number"])

    def test_no_sent_without_a_valid_ttn(self):
        """Delivery validated with an invalid TTN: the "validated with a tracking number → sent"
        rule waits for a valid one instead of asking Epicentr for "sent" without one."""
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        picking = self.delivery(order)
        picking.carrier_tracking_ref = "2045000000000"  # 13 digits: not a Nova Poshta TTN
        self.validate(picking)
        self.assertFalse(self.entries(order).filtered(lambda e: e.kind == "status" and e.target_status == "sent"))
        self.send()
        self.assertEqual(self.sandbox.writes(), [], "no change-status/to/sent without a valid TTN")
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "confirmed")

    def test_corrected_ttn_clears_the_error(self):
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        picking = self.delivery(order)
        picking.carrier_tracking_ref = "2045000000000"  # refused here: 13 digits
        self.end_transaction()
        self.assertEqual((order.epicentr_push_state, len(self.error_activities(order))), ("failed", 1))
        picking.carrier_tracking_ref = NP_TTN
        self.send()
        self.assertEqual(self.sandbox.store.orders[card["id"]]["address"]["shipment"]["number"], NP_TTN)
        self.assertEqual(order.epicentr_push_state, "ok")
        self.assertFalse(order.epicentr_push_error)
        self.assertFalse(self.error_activities(order), "the error left with its cause")
        self.assertFalse(picking.epicentr_push_error)

    def test_valid_ttn_of_another_carrier_format(self):
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("confirmed", provider="ukrposhta")
        order = self.confirmed_in_odoo(card)
        self.assertEqual(order.epicentr_carrier, "ukrposhta")
        self.delivery(order).carrier_tracking_ref = NP_TTN  # a Nova Poshta number on an Ukrposhta order
        self.end_transaction()
        self.assertIn("13 digits starting with 05", order.epicentr_push_error)
        self.assertEqual(len(self.error_activities(order)), 1)
        self.delivery(order).carrier_tracking_ref = "0500000000001"
        self.send()
        self.assertEqual(self.writes(), [
            ("PATCH", "shipment-number", {"number": "0500000000001"}),
            ("POST", "to/sent", {"provider": "ukrposhta", "number": "0500000000001"})])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "sent")
        # the corrected number landed: the order no longer shows the old error
        self.assertEqual(order.epicentr_push_state, "ok")
        self.assertFalse(order.epicentr_push_error)
        self.assertFalse(self.error_activities(order))

    def test_retry_never_sends_an_invalid_ttn(self):
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        self.delivery(order).carrier_tracking_ref = "12345"
        self.end_transaction()
        self.assertEqual(order.epicentr_push_state, "failed")
        order.action_epicentr_retry()
        self.send()
        self.assertEqual(self.sandbox.writes(), [], "Retry sent a number refused as invalid")
        self.assertEqual(order.epicentr_push_state, "failed")
        self.assertIn("12345 is not a valid tracking number", order.epicentr_push_error)

    def test_delivery_validated_sends_sent_with_the_ttn_when_the_switch_is_off(self):
        # Default source: no "Send tracking number", default rule "delivery validated (with a
        # tracking number) -> sent": the TTN travels in the body of the change to "sent".
        self.assertFalse(self.source.send_tracking)
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        picking = self.delivery(order)
        picking.carrier_tracking_ref = NP_TTN
        self.validate(picking)
        self.send()
        self.assertEqual(self.writes(), [("POST", "to/sent", {"provider": "nova_poshta", "number": NP_TTN})])
        stored = self.sandbox.store.orders[card["id"]]
        self.assertEqual((stored["statusCode"], stored["address"]["shipment"]["number"]), ("sent", NP_TTN))
        self.assertEqual(order.epicentr_push_state, "ok")

    def test_ttn_changed_quickly_sends_the_latest_only(self):
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        picking = self.delivery(order)
        picking.carrier_tracking_ref = NP_TTN
        picking.carrier_tracking_ref = NP_TTN_2
        self.send()
        self.assertEqual([(m, p, b) for m, p, b in self.writes() if m == "PATCH"],
                         [("PATCH", "shipment-number", {"number": NP_TTN_2})])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["address"]["shipment"]["number"], NP_TTN_2)

    def test_ttn_changed_and_changed_back_sends_what_odoo_has(self):
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        picking = self.delivery(order)
        picking.carrier_tracking_ref = NP_TTN
        picking.carrier_tracking_ref = NP_TTN_2  # a typo …
        picking.carrier_tracking_ref = NP_TTN  # … corrected before the sender ran
        self.send()
        self.assertEqual(self.sandbox.store.orders[card["id"]]["address"]["shipment"]["number"], NP_TTN)

    def test_ttn_entered_and_removed_before_sending_sends_nothing(self):
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        picking = self.delivery(order)
        picking.carrier_tracking_ref = NP_TTN
        self.end_transaction()
        picking.carrier_tracking_ref = False  # in a later transaction, before the sender ran
        self.send()
        self.assertEqual(self.sandbox.writes(), [])
        self.assertEqual(self.entries(order).filtered(lambda e: e.kind != "status").mapped("state"),
                         ["superseded", "done"])

    def test_removed_ttn_is_deleted_at_epicentr(self):
        self.source.send_tracking = True  # default trigger: the delivery validated, not reached here
        card = self.add("confirmed")
        # the TTN was typed in the cabinet, and on the delivery in Odoo
        card["address"]["shipment"]["number"] = NP_TTN
        order = self.confirmed_in_odoo(card)
        picking = self.delivery(order)
        picking.carrier_tracking_ref = NP_TTN
        self.send()
        self.assertEqual(self.sandbox.writes(), [])
        picking.carrier_tracking_ref = False
        self.assertEqual(self.entries(order)[-1].kind, "tracking_delete")
        self.send()
        self.assertEqual(self.writes(), [("DELETE", "shipment-number", None)])
        self.assertIsNone(self.sandbox.store.orders[card["id"]]["address"]["shipment"]["number"])
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "confirmed")
        self.assertEqual(order.epicentr_push_state, "ok")

    def test_ttn_entered_removed_and_entered_again_before_sending_is_sent(self):
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        picking = self.delivery(order)
        picking.carrier_tracking_ref = NP_TTN
        picking.carrier_tracking_ref = False
        picking.carrier_tracking_ref = NP_TTN  # what Odoo has in the end
        self.send()
        stored = self.sandbox.store.orders[card["id"]]
        self.assertEqual((stored["statusCode"], stored["address"]["shipment"]["number"]), ("sent", NP_TTN))

    def test_changed_ttn_after_sent_is_refused_with_the_reason(self):
        self.source.write({"send_tracking": True, "tracking_on_tracking_set": True})
        card = self.add("confirmed")
        order = self.confirmed_in_odoo(card)
        picking = self.delivery(order)
        picking.carrier_tracking_ref = NP_TTN
        self.send()
        self.assertEqual(self.sandbox.store.orders[card["id"]]["statusCode"], "sent")
        self.sandbox.clear_requests()
        picking.carrier_tracking_ref = NP_TTN_2
        self.send()
        self.assertEqual(self.sandbox.writes(), [])
        self.assertEqual(order.epicentr_push_state, "failed")
        self.assertIn("only while the order is confirmed", order.epicentr_push_error)
        self.assertIn("“Shipped”", order.epicentr_push_error)

    # ------------------------------------------------------------------ tracking formats (units)

    def test_tracking_number_normalisation(self):
        self.assertEqual(normalize_tracking(" 20 4500-0000 0001 "), "20450000000001")
        self.assertEqual(normalize_tracking("rr123456789ua"), "RR123456789UA")
        self.assertEqual(normalize_tracking(None), "")
        self.assertEqual(normalize_tracking(False), "")

    def test_tracking_number_formats_per_carrier(self):
        valid = {
            "nova_poshta": ["20450000000001", "59000000000002"],
            "ukrposhta": ["0500000000001", "RR123456789UA"],
            "meest": ["CV123456789UA", "1234567890", "12345678901234"],
            "cvz_epicentr": ["CV123456789UA"],
            "parcel_box_epicentr": ["1234567890"],
            "courier_delivery": ["anything", "1"],
            "other": ["x"],
            False: ["free text"],
        }
        invalid = {
            "nova_poshta": ["2045000000000", "204500000000011", "10450000000001", "2045000000000A", ""],
            "ukrposhta": ["050000000001", "0600000000001", "RR123456789US", "RR12345678UA"],
            "meest": ["123456789", "123456789012345", "C1123456789UA"],
            "cvz_epicentr": ["ABC"],
            "parcel_box_epicentr": ["123456789"],
        }
        for carrier, numbers in valid.items():
            for number in numbers:
                with self.subTest(carrier=carrier, number=number):
                    self.assertIsNone(expected_tracking_format(carrier, number))
        for carrier, numbers in invalid.items():
            for number in numbers:
                with self.subTest(carrier=carrier, number=number):
                    self.assertTrue(expected_tracking_format(carrier, number))
        self.assertEqual(str(expected_tracking_format("nova_poshta", "1")), "14 digits starting with 20 or 59")

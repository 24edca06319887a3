from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from ..sync.place_titles import TITLE_MAX_AGE
from .common import ImportCommon


@tagged("post_install", "-at_install")
class TestPlaceTitles(ImportCommon):
    """A live list entry names its settlement and branch by id only. Their titles, once a card gave
    them, complete the next entries to the same place, so that their cards are not read; a title
    too old is read again."""

    def places(self):
        return self.env["epicentr.place"].search([("source_id", "=", self.source.id)])

    def test_an_order_to_a_known_place_is_imported_without_its_card(self):
        first = self.add(statusCode="confirmed", updatedAt=self.ago(minutes=30))
        self.sync()
        self.assertEqual(set(self.card_reads()), {first["id"]}, "the list entry lacks the titles: its card is read")
        shipment = first["address"]["shipment"]
        self.assertEqual(dict(self.places().mapped(lambda p: (p.epicentr_uuid, p.title))), {
            shipment["settlementId"]: first["settlement"]["title"], shipment["officeId"]: first["office"]["title"]})

        self.sandbox.clear_requests()
        same = [self.add_at_place_of(first, statusCode="confirmed", updatedAt=self.ago(minutes=20 - i))
                for i in range(3)]
        elsewhere = self.add_at_new_place(statusCode="confirmed", updatedAt=self.ago(minutes=10))
        stats = self.sync()
        self.assertEqual((stats["created"], stats["failed"]), (4, {}))
        self.assertEqual(set(self.card_reads()), {elsewhere["id"]}, "only the order to a new branch is read whole")
        for card in same:
            order = self.imported(card)
            self.assertEqual((order.epicentr_settlement, order.epicentr_office),
                             (first["settlement"]["title"], first["office"]["title"]))
            self.assertEqual(order.epicentr_number, card["number"])
            self.assertEqual(order.order_line.filtered("epicentr_product_code").mapped("epicentr_product_code"),
                             [item["productExternalId"] or item["sku"] for item in card["items"]])
        self.assertEqual(self.imported(elsewhere).epicentr_office, elsewhere["office"]["title"])
        self.assertIn(elsewhere["office"]["id"], self.places().mapped("epicentr_uuid"))

    def test_a_title_too_old_is_read_again_and_renewed(self):
        first = self.add(statusCode="confirmed", updatedAt=self.ago(minutes=30))
        self.sync()
        office = self.places().filtered(lambda p: p.epicentr_uuid == first["address"]["shipment"]["officeId"])
        office.read_at = fields.Datetime.now() - TITLE_MAX_AGE - timedelta(minutes=1)
        self.sandbox.clear_requests()
        renamed = self.add_at_place_of(first, statusCode="confirmed", updatedAt=self.ago(minutes=10))
        renamed["office"]["title"] = "Відділення №1 (до 200 кг): вул. Нова, 1"
        self.sync()
        self.assertEqual(set(self.card_reads()), {renamed["id"]})
        self.assertEqual(self.imported(renamed).epicentr_office, "Відділення №1 (до 200 кг): вул. Нова, 1")
        self.assertEqual(office.title, "Відділення №1 (до 200 кг): вул. Нова, 1")
        self.assertGreater(office.read_at, fields.Datetime.now() - timedelta(minutes=1))

    def test_places_of_another_source_are_not_used(self):
        first = self.add(statusCode="confirmed", updatedAt=self.ago(minutes=30))
        self.sync()
        other = self.source.copy({"name": "Second shop", "api_token": self.source.api_token})
        self.sandbox.clear_requests()
        second = self.add_at_place_of(first, statusCode="confirmed", updatedAt=self.ago(minutes=10))
        other.with_context(**self.source.env.context)._sync_orders()
        self.assertIn(first["id"], self.card_reads(), "another shop learns the place from a card of its own")
        self.assertNotIn(second["id"], self.card_reads(), "that card, read first, names the place for both")
        self.assertEqual(other.env["sale.order"].search([("epicentr_source_id", "=", other.id),
                                                         ("epicentr_uuid", "=", second["id"])]).epicentr_office,
                         first["office"]["title"])

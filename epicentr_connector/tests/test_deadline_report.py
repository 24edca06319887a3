from datetime import timedelta

from lxml import etree

from odoo import fields
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import PushCommon


@tagged("post_install", "-at_install")
class TestDeadlineReport(PushCommon):
    """The confirmation-deadline report counts what Epicentr rates the seller on."""

    def report(self, groupby=("source_id",)):
        return self.env["epicentr.order.report"].read_group(
            [("source_id", "=", self.source.id)],
            ["received_count:sum", "in_time_count:sum", "late_count:sum", "unconfirmed_count:sum",
             "confirm_minutes:avg"], list(groupby))

    def placed(self, *minutes_ago):
        """Orders placed so many minutes ago, imported (one sync, as the cron would have)."""
        cards = [self.add("new", createdAt=self.ago(minutes), updatedAt=self.ago(minutes)) for minutes in minutes_ago]
        self.source._sync_orders()
        orders = [self.env["sale.order"].search([("epicentr_uuid", "=", card["id"])]) for card in cards]
        self.assertTrue(all(orders))
        self.sandbox.clear_requests()
        return list(zip(orders, cards))

    def ago(self, minutes):
        moment = fields.Datetime.now() - timedelta(minutes=minutes)
        return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")

    def test_in_time_late_unconfirmed_and_the_median(self):
        (in_time, _), (late, late_card), (_quick, quick_card), (dropped, dropped_card) = self.placed(30, 200, 10, 150)
        in_time.action_confirm()  # the confirm rule sends it: confirmed now, 30 minutes after
        self.send()
        self.sandbox.store.platform_set_status(late_card["id"], "confirmed_by_merchant")  # in the cabinet, late
        self.sandbox.store.platform_set_status(quick_card["id"], "confirmed_by_merchant")
        self.sandbox.store.platform_set_status(dropped_card["id"], "canceled", initiatorCode="call_center")
        self.source._sync_orders()
        self.assertTrue(in_time.epicentr_confirmed_at and late.epicentr_confirmed_at)
        self.assertFalse(dropped.epicentr_confirmed_at)
        [row] = self.report()
        self.assertEqual((row["received_count"], row["in_time_count"], row["late_count"], row["unconfirmed_count"]),
                         (4, 2, 1, 1))
        # minutes to confirm: about 10, 30 and 200: the median is the middle one, not the mean (80)
        self.assertAlmostEqual(row["confirm_minutes"], 30, delta=2)

    def test_a_buyers_cancellation_is_not_a_missed_deadline(self):
        [(_order, card)] = self.placed(20)
        self.sandbox.store.platform_set_status(card["id"], "canceled", initiatorCode="customer")
        self.source._sync_orders()
        [row] = self.report()
        self.assertEqual((row["received_count"], row["unconfirmed_count"]), (1, 0))

    def test_at_risk_now_filter_of_the_order_list(self):
        (risky, _), (calm, _), (confirmed, confirmed_card) = self.placed(100, 5, 110)
        self.sandbox.store.platform_set_status(confirmed_card["id"], "confirmed_by_merchant")
        self.source._sync_orders()
        arch = etree.fromstring(self.env.ref("epicentr_connector.sale_order_view_search").arch)
        [domain] = arch.xpath("//filter[@name='epicentr_at_risk']/@domain")
        found = self.env["sale.order"].search(safe_eval(domain) + [("id", "in", (risky | calm | confirmed).ids)])
        self.assertEqual(found, risky, "new with 20 minutes left: at risk; 115 minutes left, or confirmed: not")
        self.assertEqual((risky | calm).mapped("epicentr_at_risk"), [True, False])
        self.assertEqual(self.env["sale.order"].search([("epicentr_at_risk", "!=", True),
                                                        ("id", "in", (risky | calm).ids)]), calm)

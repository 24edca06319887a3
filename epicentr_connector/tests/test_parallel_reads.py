from odoo.tests import tagged

from ..utils.switches import ServerOnly
from .common import ImportCommon


@tagged("post_install", "-at_install")
class TestParallelReads(ImportCommon):
    """The cards of a page are read a few at a time, while the previous page is imported:
    bounded, every order once, a 429 holding back the whole pool."""

    def setUp(self):
        super().setUp()
        self.addCleanup(self.sandbox.set_latency, 0)
        # each at a place of its own: a known place would spare its card (test_place_titles)
        self.cards = [self.add_at_new_place(statusCode="confirmed", updatedAt=self.ago(minutes=60 - i))
                      for i in range(40)]
        self.paged = self.source.with_context(
            epicentr_page_size=ServerOnly(10), epicentr_client_options=ServerOnly({"backoff": 0.001}))

    def sync_paged(self):
        stats = self.paged._sync_orders()
        self.assertNotIn("busy", stats)
        return stats

    def assert_each_once(self):
        for card in self.cards:
            self.assertEqual(len(self.imported(card)), 1, card["number"])

    def test_reads_overlap_within_the_bound(self):
        self.sandbox.set_latency(20)  # an Epicentr 20 ms away: the reads overlap for sure
        self.source.parallel_reads = 3
        stats = self.sync_paged()
        self.assertEqual(stats["created"], 40)
        self.assert_each_once()
        self.assertEqual(self.sandbox.max_in_flight, 3, "up to the bound, never more")
        self.assertEqual(set(self.card_reads().values()), {1}, "each card read once")
        self.sandbox.set_latency(0)
        self.source.parallel_reads = 1
        self.sandbox.clear_requests()
        for card in self.cards[:5]:
            self.sandbox.store.touch(card["id"])
        self.sync_paged()
        self.assertEqual(self.sandbox.max_in_flight, 1)

    def test_dropped_connection_in_the_pool_is_read_again_and_every_order_arrives_once(self):
        self.sandbox.fault("drop", count=2, path_contains="/v6/oms/orders/")
        stats = self.sync_paged()
        self.assertEqual((stats["created"], stats["failed"]), (40, {}))
        self.assert_each_once()
        reads = self.card_reads()
        self.assertEqual(sum(reads.values()), 42, "the two dropped reads again, nothing else")
        # both drops may meet the same card (its read again is the next read): then it is read 3 times
        self.assertLessEqual(max(reads.values()), 3)
        self.assertFalse(self.source.last_error)

    def test_429_in_the_pool_holds_back_every_read(self):
        self.sandbox.set_latency(5)
        self.sandbox.fault("429", count=1, path_contains="/v6/oms/orders/", retry_after=1)
        stats = self.sync_paged()
        self.assertEqual((stats["created"], stats["failed"]), (40, {}))
        self.assert_each_once()
        refused = next(r for r in self.sandbox.requests if r.status == 429)
        # each thread on its own would go on reading for the whole second (some 190 reads each at
        # 5 ms); the pool waits, but for the reads already on their way when the 429 came back (a
        # busy machine may take a moment to hand the answer to the client: the reads of the first
        # 0.3 s are those, at most a round or two of the pool)
        during = [r for r in self.sandbox.requests if refused.received < r.received < refused.received + 0.95]
        self.assertLessEqual(len(during), 2 * self.source.parallel_reads, [r.path for r in during])
        self.assertEqual([r.path for r in during if r.received > refused.received + 0.3], [])
        self.assertEqual(sum(self.card_reads().values()), 41, "the refused read once more, nothing else")

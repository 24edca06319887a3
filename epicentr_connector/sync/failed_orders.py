"""The orders of a source that could not be imported (source.failed_orders, {uuid: failure()}).

An order that fails is tried again at the next sync, then after RETRY_WAITS; after
MAX_ORDER_ATTEMPTS it is given up (told once) until it changes on Epicentr (the list re-offers it
once its entry's fingerprint changes) or a manager dismisses it.
"""

from datetime import timedelta

from odoo import fields

RETRY_WAITS = (timedelta(0), timedelta(minutes=10), timedelta(minutes=40), timedelta(hours=3))
MAX_ORDER_ATTEMPTS = len(RETRY_WAITS) + 1


def failure(number, reason, attempts=1, next_try=None, fingerprint=None):
    """An order that could not be imported, as source.failed_orders keeps it."""
    return {"number": number, "reason": reason, "attempts": attempts, "next_try": next_try, "fingerprint": fingerprint}


class FailedOrders:
    """One sync's view of the failed orders: as it found them, as it leaves them, and what to tell."""

    def __init__(self, stored):
        self.before = dict(stored or {})
        self.now = dict(self.before)  # what the source keeps after this sync
        self.new = {}  # uuid -> (number, reason): failed for the first time, to tell
        self.given_up = {}  # the same, for those given up now

    def fail(self, uuid, number, reason, fingerprint=None):
        """Record that the order failed: a new failure is told, and so is giving it up; the retries
        in between wait longer and longer, quietly."""
        before = self.before.get(uuid)
        attempts = min((before["attempts"] if before else 0) + 1, MAX_ORDER_ATTEMPTS)
        next_try = attempts < MAX_ORDER_ATTEMPTS and fields.Datetime.to_string(
            fields.Datetime.now() + RETRY_WAITS[attempts - 1])
        self.now[uuid] = failure(
            number, reason, attempts, next_try or None, fingerprint or (before and before["fingerprint"]) or None)
        if not before:
            self.new[uuid] = (number, reason)
        elif not next_try and before["attempts"] < MAX_ORDER_ATTEMPTS:
            self.given_up[uuid] = (number, reason)

    def forget(self, uuid):
        """Imported (or gone from Epicentr): no longer waiting."""
        self.now.pop(uuid, None)

    def unchanged(self, entry):
        """Whether ``entry`` (a list entry) is what failed before: the retries see to it."""
        failed = self.before.get(entry.uuid)
        return bool(failed) and failed["fingerprint"] == entry.fingerprint

    def due(self):
        """(uuid, number) of the failed orders to try again now (neither given up nor waiting)."""
        now = fields.Datetime.to_string(fields.Datetime.now())
        return [(uuid, failed["number"]) for uuid, failed in list(self.now.items())
                if failed["attempts"] < MAX_ORDER_ATTEMPTS and (failed["next_try"] or "") <= now]

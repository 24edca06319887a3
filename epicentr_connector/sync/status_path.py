"""Epicentr's rules for the seller's statuses, in one place: the forward path, what counts as
reached, the next step, which statuses allow which change; and the walk that moves an order
along the path, step by step, each step one Epicentr allows at that moment.

Epicentr lets no step be skipped, and offers a step only when the order is ready for it (e.g.
"sent" once it has a tracking number): the walk asks for the allowed statuses before each step
and refuses, without writing, a target it cannot reach.
"""

from .. import const

# The seller's forward path; a target further on is reached by walking it step by step.
SELLER_PATH = ["new", "confirmed_by_merchant", "confirmed", "sent", "delivered"]
FORWARD = [*SELLER_PATH, "completed", "closed"]
# Epicentr lets the seller change an order's items only while it is confirmed by the seller; a
# new order is first moved there (as the cabinet requires).
ITEMS_STATUS = "confirmed_by_merchant"
# Epicentr takes (or removes) a tracking number only while the order is confirmed.
TRACKING_STATUS = "confirmed"
# Statuses whose rules move an order past "confirmed": a tracking number may confirm it first.
CONFIRMING_TARGETS = ("confirmed", "sent", "delivered")


def reached(status, target):
    """Whether an order at ``status`` on Epicentr has what an entry targeting ``target`` asks for:
    the target itself, any cancellation for "canceled", or a later step of the forward path (e.g.
    "confirmed" asked for an order Epicentr already shows as sent): nothing to do."""
    if status == target or (target == "canceled" and status in const.CANCELLED_STATUSES):
        return True
    return status in FORWARD and target in FORWARD and FORWARD.index(status) > FORWARD.index(target)


def before(status, step):
    """Whether ``status`` comes before ``step`` on the seller's path."""
    return status in SELLER_PATH and SELLER_PATH.index(status) < SELLER_PATH.index(step)


def next_step(status, target):
    """The next status on the seller's path from ``status`` towards ``target``, or None."""
    path = SELLER_PATH
    if status in path and target in path and path.index(status) < path.index(target):
        return path[path.index(status) + 1]
    return None


def may_confirm(rules):
    """Whether a source's status rules let the connector move an order forward to "confirmed" on
    Epicentr (a tracking number needs it): some rule sets "confirmed" or a later step."""
    return any(rule.epicentr_status in CONFIRMING_TARGETS for rule in rules)


class StatusWalk:
    """Moves one order along the seller's path on Epicentr."""

    def __init__(self, client, uuid, env):
        self.client, self.uuid, self.env = client, uuid, env
        self.moves = 0  # status changes asked of Epicentr

    def allowed(self):
        return [item.get("code") for item in self.client.get_allowed_statuses(self.uuid)]

    def to(self, status, target, cancel=None, shipment=None):
        """Move the order from ``status`` to ``target``; returns the status reached. ``cancel``:
        (reason key, comment) for a cancellation; ``shipment``: (carrier, tracking number), which
        the body of "sent" may bring when Epicentr does not offer "sent" yet for want of it.
        Raises Refused, before any write, when Epicentr does not allow the way there."""
        for _step in range(len(SELLER_PATH)):
            if reached(status, target):
                return status
            allowed = self.allowed()
            step = target if target in allowed else next_step(status, target)
            with_ttn = step == "sent" and shipment and status == TRACKING_STATUS
            if step not in allowed and not with_ttn:
                raise Refused(self.env._(
                    "Epicentr does not allow “%(target)s” for this order now: it is “%(status)s”, and the "
                    "possible statuses are: %(allowed)s.",
                    target=const.status_title(self.env, target), status=const.status_title(self.env, status),
                    allowed=", ".join(const.status_title(self.env, a) for a in allowed) or "—"))
            self.move(step, cancel, shipment if step == "sent" else None)
            status = step
        return status

    def move(self, step, cancel=None, shipment=None):
        """One status change on Epicentr, with what its body needs."""
        self.moves += 1
        if step == "canceled":
            reason_key, comment = cancel or (None, None)
            if not reason_key:
                raise Refused(self.env._("Epicentr needs a cancel reason: cancel the order again and choose one."))
            self.client.change_status(self.uuid, step, reason_code=reason_key.rsplit(".", 1)[-1],
                                      translation_key=reason_key, comment=comment or None)
        elif shipment:
            carrier, number = shipment
            self.client.change_status(self.uuid, step, provider=carrier, number=number)
        else:
            self.client.change_status(self.uuid, step)


class Refused(Exception):
    """Epicentr's rules (or ours) forbid the change: a person must decide."""


class Waiting(Exception):
    """Not possible yet (e.g. a tracking number before Epicentr's order is confirmed): try again later."""

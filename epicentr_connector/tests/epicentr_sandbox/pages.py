"""The order list's sort fields and its keyset ("cursor") pages."""
import base64
import json

from .store import ApiError

SORT_FIELDS = {
    "createdAt": lambda o: o["createdAt"],  # one fixed format, so text order is time order
    "updatedAt": lambda o: o["updatedAt"],
    "number": lambda o: int(o["number"]),
    "subtotal": lambda o: o["subtotal"],
    "statusCode": lambda o: o["statusCode"],
    "fullName": lambda o: f"{o['address']['lastName'] or ''} {o['address']['firstName'] or ''}",
}


class OrderPage:
    """Keyset ("cursor") pagination over the filtered orders.

    A cursor names a position by the sort values of an order plus its id (the tiebreaker),
    so pages stay right while orders are added; it does not carry the filters, which the
    client sends again with every page.
    """

    def __init__(self, orders, sort, limit, cursor):
        self.sort, self.limit = sort + [("id", False)], limit
        self.orders = sorted(orders, key=lambda o: o["id"])
        for name, descending in reversed(sort):  # stable sorts, least significant first
            self.orders.sort(key=SORT_FIELDS[name], reverse=descending)
        kind, at = self._decode(cursor) if cursor else ("first", None)
        if kind == "first":
            self.start = 0
        elif kind == "last":
            self.start = max(0, len(self.orders) - limit)
        elif kind == "after":
            self.start = self._count_before(at, inclusive=True)
        else:  # before
            self.start = max(0, self._count_before(at, inclusive=False) - limit)
        self.current = cursor or self._encode("first")

    def _key(self, order):
        return [order["id"] if name == "id" else SORT_FIELDS[name](order)
                for name, _descending in self.sort]

    def _compare(self, key, other):
        for (_name, descending), a, b in zip(self.sort, key, other):
            if a != b:
                return (-1 if a < b else 1) * (-1 if descending else 1)
        return 0

    def _count_before(self, at, inclusive):
        """How many orders sort before the position `at` (or at it, when inclusive)."""
        low, high = 0, len(self.orders)
        while low < high:
            middle = (low + high) // 2
            comparison = self._compare(self._key(self.orders[middle]), at)
            if comparison < 0 or (inclusive and comparison == 0):
                low = middle + 1
            else:
                high = middle
        return low

    def _encode(self, kind, at=None):
        raw = json.dumps({"k": kind, "at": at, "sort": self.sort}, ensure_ascii=False)
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def _decode(self, cursor):
        try:
            data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            if data["sort"] != [list(field) for field in self.sort]:
                raise ValueError("the sort changed")
            if data["k"] not in ("first", "last", "after", "before"):
                raise ValueError(data["k"])
            if data["k"] in ("after", "before") and len(data["at"]) != len(self.sort):
                raise ValueError(data["at"])
            return data["k"], data["at"]
        except (ValueError, KeyError, TypeError):
            raise ApiError(400, "Invalid request parameters", {"cursor": [
                "Invalid cursor: pass back the current/next/prev/last value of a page with the "
                "same sort[]."]}) from None

    def body(self, render):
        page = self.orders[self.start:self.start + self.limit]
        body = {"items": [render(order) for order in page],
                "current": self.current, "last": self._encode("last"), "limit": self.limit}
        # The swagger types next/prev as (non-nullable) strings, so they are left out when
        # there is no such page; live clients also cope with null.
        if self.start + len(page) < len(self.orders):
            body["next"] = self._encode("after", self._key(page[-1]))
        if self.start > 0:
            body["prev"] = self._encode("before", self._key(self.orders[self.start]))
        return body

"""What a seller does to an order besides moving it along: comments, the call status and the
item composition, with the rules of Epicentr's cabinet. OrderStore inherits these methods.

  GET|POST /v2/oms/orders/{id}/comments      {content} -> 204; {total, items} (offset, limit)
  POST /v2/oms/orders/{id}/call-status       {callStatus} -> 202
  PUT /v3/oms/orders/{id}/items/{offerId}    {quantity} -> 200 with the item
  DELETE /v2/oms/orders/{id}/items/{offerId} -> 204

Each of these counts as a change of the order (`updatedAt`); a comment also adds to
`commentsCount`, a call status shows in `callStatus`, an item change recomputes the item's
and the order's subtotal. The answers follow one rule on all four routes (Epicentr documents
none of them but 400/403/404), checked in this order:
  400 Invalid request parameters + errors: the body does not fit the spec's schema (a field
      missing or of the wrong type, a callStatus outside its enum): the spec refuses it too
      (and a call-status without a body, which the spec leaves optional: nothing to set);
  422 Validation error + errors: it fits the schema, but the value is refused (a blank
      comment, a quantity that is not a positive integer);
  404 entity.not_found: an unknown order, or an offerId the order does not have;
  410 item was deleted: a deleted order, as its card answers (call status and items; the
      comments keep the 404 of the older order routes);
  403 with a translation key: the order's state forbids changing its items:
      order.items.change_not_allowed_in_status (only while `confirmed_by_merchant`),
      order.items.change_not_allowed_for_card_payment (paid by card on the site: a payment
      method other than cash on delivery/pickup, i.e. the money is held for these items),
      order.items.last_item_cannot_be_deleted (an order keeps at least one item).
"""
import math
import zlib

from .catalogue import CASH_PAYMENTS
from .errors import ApiError
from .generator import format_time
from .vocabulary import USER

CALL_STATUSES = ("success", "first_fail", "second_fail", "email_sent")  # the spec's OrderCallStatus
ITEMS_STATUS = "confirmed_by_merchant"  # the only status in which the items may change
INVALID, REFUSED = "Invalid request parameters", "Validation error"  # 400, 422


def body_value(body, name):
    return body.get(name) if isinstance(body, dict) else None


def checked_content(content):
    """A comment's text: a non-blank string."""
    if not isinstance(content, str):
        raise ApiError(400, INVALID, {"content": ["Required; a string."]})
    if not content.strip():
        raise ApiError(422, REFUSED, {"content": ["This value should not be blank."]})
    return content


def checked_call_status(body):
    call_status = body_value(body, "callStatus")
    if call_status not in CALL_STATUSES:
        raise ApiError(400, INVALID,
                       {"callStatus": [f"Required; one of {', '.join(CALL_STATUSES)}."]})
    return call_status


def checked_quantity(body):
    """A PUT body's quantity: a JSON number (400 otherwise) that is a positive integer (422)."""
    quantity = body_value(body, "quantity")
    if not isinstance(quantity, (int, float)) or isinstance(quantity, bool):
        raise ApiError(400, INVALID, {"quantity": ["Required; a number."]})
    if not math.isfinite(quantity) or quantity <= 0 or quantity != int(quantity):
        raise ApiError(422, REFUSED, {"quantity": ["This value should be a positive integer."]})
    return int(quantity)


class OrderActions:
    """Comments, call status and item edits of OrderStore (uses its lock, orders, deleted,
    comments, now, _order, _live_order, _bump and platform_edit_items)."""

    # -- comments ---------------------------------------------------------------------------

    def comments_of(self, order_id):
        with self.lock:
            self._live_order(order_id)
            return list(self.comments.get(order_id, ()))

    def add_comment(self, order_id, content):
        """POST .../comments: a comment by the token's user."""
        checked_content(content)
        with self.lock:
            self._append_comment(self._live_order(order_id), content, USER["firstName"],
                                 USER["lastName"], str(USER["id"]))

    def platform_add_comment(self, order_id, content, first_name="Оператор",
                             last_name="Епіцентр К", user_id=None):
        """A comment by someone else (the call centre, the buyer); returns it. user_id:
        default derived from the name, the same for the same person."""
        if not isinstance(content, str) or not content.strip():
            raise ValueError("a comment needs a non-blank content")
        if not isinstance(first_name, str) or not isinstance(last_name, str):
            raise ValueError("first_name and last_name are strings")
        if user_id is None:
            user_id = 10_000 + zlib.crc32(f"{first_name} {last_name}".encode()) % 90_000
        with self.lock:
            return self._append_comment(self._order(order_id), content, first_name, last_name,
                                        str(user_id))

    def _append_comment(self, order, content, first_name, last_name, user_id):
        comment = {"content": content, "firstName": first_name, "lastName": last_name,
                   "avatar": "", "userId": user_id, "createdAt": format_time(self.now())}
        self.comments.setdefault(order["id"], []).append(comment)
        order["commentsCount"] += 1
        self._bump(order)
        return dict(comment)

    # -- call status ------------------------------------------------------------------------

    def set_call_status(self, order_id, body):
        """POST .../call-status: the result of the seller's call to the buyer."""
        call_status = checked_call_status(body)
        with self.lock:
            order = self._existing_order(order_id)
            order["callStatus"] = call_status
            self._bump(order)

    # -- items ------------------------------------------------------------------------------

    def change_item_quantity(self, order_id, offer_id, body):
        """PUT .../items/{offerId}: the item with its new quantity and subtotal."""
        quantity = checked_quantity(body)
        with self.lock:
            item = self._editable_item(order_id, offer_id)
            self.platform_edit_items(order_id, quantities={offer_id: quantity})
            return dict(item)

    def delete_item(self, order_id, offer_id):
        """DELETE .../items/{offerId}: the item leaves the order (not its last one)."""
        with self.lock:
            self._editable_item(order_id, offer_id, deleting=True)
            self.platform_edit_items(order_id, remove=[offer_id])

    def _existing_order(self, order_id):
        order = self._order(order_id)
        if order_id in self.deleted:
            raise ApiError(410, "item was deleted")
        return order

    def _editable_item(self, order_id, offer_id, deleting=False):
        order = self._existing_order(order_id)
        item = next((item for item in order["items"] if item["offerId"] == offer_id), None)
        if item is None:
            raise ApiError(404, "entity.not_found")
        if order["statusCode"] != ITEMS_STATUS:
            raise ApiError(403, "order.items.change_not_allowed_in_status")
        if order["address"]["shipment"]["paymentProvider"] not in CASH_PAYMENTS:
            raise ApiError(403, "order.items.change_not_allowed_for_card_payment")
        if deleting and len(order["items"]) == 1:
            raise ApiError(403, "order.items.last_item_cannot_be_deleted")
        return item

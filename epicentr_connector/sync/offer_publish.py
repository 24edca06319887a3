"""One publication of a source's prices and availability to Epicentr (POST /v1/offers), from the
cron, never inside a user's transaction.

Top to bottom: ``run`` → ``_read_results`` (the requests Epicentr has not finished: their final
statuses, applied to their offers) → ``_send`` (the offers marked changed: their values as Odoo has
them now, ``wanted_values``, compared with what Epicentr has, ``item_for``; only the difference
goes, in requests of at most OFFER_BATCH) → ``_record_results`` (Epicentr's answer per offer).

Epicentr processes a request later: an offer stays "waiting" until its result is final, and is
not sent again meanwhile. Within Epicentr's rate (OFFER_RATE requests a window): the source keeps
the times of its recent requests; past the budget the call stops and the next one is woken when
the window frees. A request lost on the way (timeout, dropped connection) is simply sent again
later: the same values again are harmless (Epicentr answers that it has them).
"""

import json
import time
from collections import defaultdict
from datetime import timedelta

from odoo import fields
from odoo.tools import SQL

from .. import const
from ..api import EpicentrAuthError, EpicentrError, EpicentrNotFound, EpicentrRateLimited, EpicentrValidationError
from ..api.wire import is_path_value
from ..utils.cron_frame import commit_and_relock, try_lock
from ..utils.values import clean_text

PUBLISH_LOCK_NAMESPACE = 0x45504F46
RESULT_WAIT = timedelta(seconds=1)  # asking for a result sooner only finds it still queued
RETRY_WAIT = timedelta(minutes=2)  # after a transient failure
RESULT_GIVE_UP = timedelta(minutes=30)  # a request still "enqueued" then is sent again, not read forever


def wanted_values(source, offers, priced=False):
    """{offer id: {"availability", "price", "old_price"}}: what Epicentr should show now. ``priced``
    (the catalogue feed, where a price is required): the price list for offers even when the source
    does not publish prices, else the product's sales price."""
    warehouse = source.offer_warehouse_id or source.warehouse_id or source.env["stock.warehouse"].search(
        [("company_id", "=", source.company_id.id)], limit=1)
    products = offers.product_id.with_context(active_test=False, warehouse_id=warehouse.id)
    free = dict(zip(products.ids, products.mapped("free_qty")))
    prices = old_prices = {}
    if (source.publish_prices or priced) and source.offer_pricelist_id:
        prices = source.offer_pricelist_id._get_products_price(products, 1.0)
        if source.offer_old_price == "pricelist" and source.offer_old_pricelist_id:
            old_prices = source.offer_old_pricelist_id._get_products_price(products, 1.0)
        elif source.offer_old_price == "list_price":
            old_prices = {product.id: product.lst_price for product in products}
    elif priced:
        prices = {product.id: product.lst_price for product in products}
    wanted = {}
    for offer in offers:
        product = offer.product_id
        if not (offer.active and product.active and product.sale_ok):
            availability = "not_available"
        elif not product.is_storable or free[product.id] > source.offer_stock_threshold:
            availability = "in_stock"
        else:
            availability = "under_the_order" if offer.orderable else "not_available"
        price = round(prices.get(product.id, 0.0), 2)
        old_price = round(old_prices.get(product.id, 0.0), 2)
        wanted[offer.id] = {"availability": availability, "price": price,
                            "old_price": old_price if old_price > price else 0.0}
    return wanted


def item_for(source, offer, wanted):
    """(the request item that brings Epicentr to ``wanted``, the values it sends), or (None, None)
    when Epicentr has them already, or refused exactly these before."""
    values = {}
    if source.publish_availability and wanted["availability"] != offer.sent_availability:
        values["availability"] = wanted["availability"]
    if source.publish_prices and wanted["price"] > 0 and (
            wanted["price"], wanted["old_price"]) != (offer.sent_price, offer.sent_old_price):
        values.update(price=wanted["price"], old_price=wanted["old_price"])
    if not values or (offer.state == "refused" and offer.pending_values == values):
        return None, None
    item = {"productId": offer.epicentr_product_id} if offer.epicentr_product_id else {"sku": offer.sku}
    if "availability" in values:
        item["availability"] = values["availability"]
    if "price" in values:
        # an old price equal to the price removes the one Epicentr shows
        item["prices"] = {"price": values["price"]}
        if values["old_price"] or offer.sent_old_price:
            item["prices"]["oldPrice"] = values["old_price"] or values["price"]
    return item, values


def error_keys(errors):
    """Epicentr's per-item errors ({field: [key, ...]}) as a list of keys."""
    return [key for messages in (errors.values() if isinstance(errors, dict) else [errors or []])
            for key in (messages if isinstance(messages, list) else [messages])]


def answer_text(source, errors):
    """Epicentr's per-item errors in words, in the language of the user or, in the cron, of the
    source's company."""
    lang = source.env.lang or source.company_id.partner_id.lang or "en_US"
    return clean_text("; ".join(
        str(const.OFFER_ERRORS[key]._translate(lang)) if key in const.OFFER_ERRORS else clean_text(key, 200)
        for key in error_keys(errors)), 1000)


class OfferPublication:
    def __init__(self, source, commit=False, deadline=None):
        self.source = source
        self.env = source.env
        self.commit = commit
        self.deadline = deadline
        self.client = None
        self.wake_at = None  # when the next call should come (results pending, rate window)
        self.stats = {"requests": 0, "sent": 0, "done": 0, "refused": 0}

    def run(self):
        source = self.source
        if not try_lock(self.env, PUBLISH_LOCK_NAMESPACE, source.id):
            return {"busy": True}
        # a long Retry-After is not waited for in the cron: the next call is woken then
        self.client = source._get_client(retries=1, max_wait=5)
        try:
            self._read_results()
            self._send()
        except EpicentrRateLimited as error:
            self._wake(timedelta(seconds=error.retry_after or 60))
        except EpicentrAuthError as error:
            if error.status != 401:
                raise
            source._pause_revoked_token(error)
        except EpicentrError:  # Epicentr failing or out of reach: the next call tries again
            self._wake(RETRY_WAIT)
        finally:
            self.client.close()
        if self.wake_at:
            self.env.ref("epicentr_connector.ir_cron_epicentr_publish_offers")._trigger(at=self.wake_at)
        return self.stats

    # ------------------------------------------------------------------ the rate

    def _budget_left(self):
        """Whether one more request fits Epicentr's rate; if not, wake the next call when it does."""
        count, seconds = const.OFFER_RATE
        recent = self.env["epicentr.offer.request"].sudo()._recent(self.source, seconds)
        if len(recent) >= count:
            self._wake(recent[0] + timedelta(seconds=seconds + 2) - fields.Datetime.now())
            return False
        if self.deadline and time.monotonic() > self.deadline:
            self._wake(timedelta(0))
            return False
        return True

    def _count_request(self, kind, request_id=None, offer_count=0):
        self.stats["requests"] += 1
        return self.env["epicentr.offer.request"].sudo().create({
            "source_id": self.source.id, "kind": kind, "request_id": request_id, "offer_count": offer_count})

    def _wake(self, delay):
        at = fields.Datetime.now() + delay
        self.wake_at = min(self.wake_at, at) if self.wake_at else at

    def _commit(self):
        if self.commit and not commit_and_relock(self.env, PUBLISH_LOCK_NAMESPACE, self.source.id):
            raise EpicentrError("another worker took over the publication")

    # ------------------------------------------------------------------ results

    def _read_results(self):
        Offer = self.env["epicentr.offer"].sudo()
        Offer.flush_model(["source_id", "state", "request_id", "sent_at"])
        self.env.cr.execute(SQL(
            "SELECT request_id, max(sent_at) <= %s FROM epicentr_offer WHERE source_id = %s AND state = 'queued' "
            "GROUP BY request_id ORDER BY min(id)", fields.Datetime.now() - RESULT_WAIT, self.source.id))
        requests = self.env.cr.fetchall()
        for request_id, due in requests:
            if not due:
                continue
            offers = Offer.search([("source_id", "=", self.source.id), ("request_id", "=", request_id),
                                   ("state", "=", "queued")])
            if not offers:
                continue
            if not is_path_value("request_id", request_id) or min(offers.mapped("sent_at")) < fields.Datetime.now() - RESULT_GIVE_UP:
                offers.write({"state": "retry", "to_check": True, "request_id": False, "answer": self.env._(
                    "Epicentr did not give this request's results within %(minutes)s minutes: it is sent again.",
                    minutes=int(RESULT_GIVE_UP.total_seconds() // 60))})
                continue
            if not self._budget_left():
                return
            self._count_request("results", request_id)
            try:
                answer = self.client.get_offer_results(request_id)
            except EpicentrNotFound:  # results are kept 14 days: send the values again
                offers.write({"state": "retry", "to_check": True, "request_id": False})
                continue
            self._record_results(offers, answer)
            self._commit()
        if Offer.search_count([("source_id", "=", self.source.id), ("state", "=", "queued")], limit=1):
            self._wake(RESULT_WAIT * 2)  # results still to come

    def _record_results(self, offers, answer):
        """Epicentr's statuses for the offers of one request (one write per outcome and values)."""
        results = {(item.get("idType"), str(item.get("id"))): item for item in answer.get("items", [])}
        outcomes = defaultdict(list)  # values to write -> offer ids
        for offer in offers:
            key = ("product_id", offer.epicentr_product_id) if offer.epicentr_product_id else ("sku", offer.sku)
            result = results.get(key)
            status = result and result.get("status")
            errors = (result or {}).get("errors") or {}
            if status in (None, "enqueued"):
                continue
            if status == "processed" or (status == "skipped"
                                         and set(error_keys(errors)) <= {"batch_update.item.cache_noop"}):
                pending = offer.pending_values or {}
                values = {"state": "done", "answer": False}
                if "availability" in pending:
                    values["sent_availability"] = pending["availability"]
                if "price" in pending:
                    values.update(sent_price=pending["price"], sent_old_price=pending["old_price"])
                self.stats["done"] += 1
            else:
                values = {"state": "refused", "answer": answer_text(self.source, errors) or status}
                self.stats["refused"] += 1
            outcomes[tuple(sorted(values.items()))].append(offer.id)
        now = fields.Datetime.now()
        for values, ids in outcomes.items():
            offers.browse(ids).write({**dict(values), "sent_at": now})

    # ------------------------------------------------------------------ sending

    def _send(self):
        Offer = self.env["epicentr.offer"].sudo()
        now = fields.Datetime.now()
        domain = [("source_id", "=", self.source.id), ("to_check", "=", True), ("state", "!=", "queued"),
                  "|", ("next_attempt_at", "=", False), ("next_attempt_at", "<=", now)]
        last_id = 0
        while True:
            # offers are read a batch at a time, so that 20,000 never sit in memory at once
            offers = Offer.with_context(active_test=False).search(domain + [("id", ">", last_id)],
                                                                   order="id", limit=const.OFFER_BATCH)
            if not offers:
                return
            last_id = offers[-1].id
            wanted = wanted_values(self.source, offers)
            items, sending, unchanged, pending = [], [], [], defaultdict(list)
            for offer in offers:
                if not (offer.epicentr_product_id or offer.sku):
                    offer.write({"to_check": False, "state": "refused",
                                 "answer": self.env._("neither an Epicentr product id nor an SKU")})
                    continue
                item, values = item_for(self.source, offer, wanted[offer.id])
                if item is None:
                    unchanged.append(offer.id)
                    continue
                items.append(item)
                sending.append(offer.id)
                pending[json.dumps(values, sort_keys=True)].append(offer.id)
            Offer.browse(unchanged).write({"to_check": False})
            for values, ids in pending.items():
                Offer.browse(ids).write({"pending_values": json.loads(values)})
            sending = Offer.browse(sending)
            if items and not self._post(items, sending):
                return
            self.env.flush_all()
            self._commit()
            self.env.invalidate_all()  # the batch's records leave the cache

    def _post(self, items, offers):
        """Send one request; False when no more may be sent in this call."""
        if not self._budget_left():
            offers.write({"pending_values": False})
            return False
        request = self._count_request("update", offer_count=len(items))
        try:
            answer = self.client.update_offers(items)
        except EpicentrRateLimited as error:  # these wait for Epicentr's Retry-After; the call stops
            offers.write({"next_attempt_at": fields.Datetime.now() + timedelta(seconds=error.retry_after or 60)})
            raise
        except (EpicentrValidationError, EpicentrAuthError) as error:
            if error.status == 401:
                raise
            offers.write({"to_check": False, "state": "refused", "answer": self.source._describe_error(error)})
            return True
        except EpicentrError as error:  # 5xx, timeout, dropped: sent again in a while
            offers.write({"state": "retry", "answer": self.source._describe_error(error),
                          "next_attempt_at": fields.Datetime.now() + RETRY_WAIT})
            self._wake(RETRY_WAIT)
            return True
        if not is_path_value("request_id", answer.get("requestId")):  # its results could never be asked for
            offers.write({"state": "retry", "next_attempt_at": fields.Datetime.now() + RETRY_WAIT, "answer": self.env._(
                "Epicentr's answer had no usable request id: the offers are sent again in a while.")})
            self._wake(RETRY_WAIT)
            return True
        request.request_id = answer["requestId"]
        offers.write({"to_check": False, "state": "queued", "request_id": answer["requestId"],
                      "sent_at": fields.Datetime.now(), "next_attempt_at": False})
        self.stats["sent"] += len(offers)
        self._record_results(offers, answer)
        self._wake(RESULT_WAIT)
        return True

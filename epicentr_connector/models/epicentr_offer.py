from odoo import api, fields, models
from odoo.tools import SQL

from .. import const
from ..sync.offer_publish import OfferPublication
from ..utils.cron_frame import run_units


class EpicentrOffer(models.Model):
    """A product the seller sells on Epicentr through a source: how Epicentr names it (its
    productId, else the seller's SKU), what was last sent and what Epicentr answered.

    ``to_check`` is raised, in SQL, by whatever may change the offer's stock or price (stock
    moves and reservations, price list edits, archiving); the publication (sync/offer_publish.py)
    then compares the offer's values with what Epicentr has and sends only the difference."""

    _name = "epicentr.offer"
    _description = "Epicentr offer"
    _order = "source_id, id"
    _check_company_auto = True

    source_id = fields.Many2one("epicentr.source", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one(related="source_id.company_id", store=True, index=True)
    product_id = fields.Many2one("product.product", required=True, index=True, ondelete="cascade",
                                 check_company=True, readonly=True)
    active = fields.Boolean(default=True, help="An archived offer is sent once more as not available, then no longer updated.")
    epicentr_product_id = fields.Char(
        string="Epicentr Product ID", help="Epicentr's own id of the product (learned from the orders); "
        "when empty, the offer is named by its SKU.")
    sku = fields.Char(string="SKU on Epicentr", help="The seller's article of the product in the Epicentr cabinet "
                      "(«Артикул»), exactly as written there.")
    orderable = fields.Boolean(
        string="Orderable When Out of Stock",
        help="With no free stock, Epicentr shows it as «under the order» instead of «not available»: "
        "the seller can still supply it (bought or made on order).")
    epicentr_price = fields.Float(string="Price Seen on Epicentr", digits="Product Price", readonly=True,
                                  help="The unit price of the product in the last imported Epicentr order.")
    to_check = fields.Boolean(string="Changed", default=True, index=True, readonly=True,
                              help="Its stock or price may have changed since it was last sent.")
    sent_availability = fields.Selection(const.OFFER_AVAILABILITY, string="Availability on Epicentr", readonly=True)
    sent_price = fields.Float(string="Price on Epicentr", digits="Product Price", readonly=True)
    sent_old_price = fields.Float(string="Old Price on Epicentr", digits="Product Price", readonly=True)
    sent_at = fields.Datetime(string="Last Sent", readonly=True)
    # what the last request asked for: {availability, price, old_price}; kept after a refusal, so
    # that the same value is not sent again
    pending_values = fields.Json(readonly=True)
    request_id = fields.Char(string="Epicentr Request", index="btree_not_null", readonly=True)
    state = fields.Selection(const.OFFER_STATES, default="new", required=True, readonly=True, index=True)
    answer = fields.Char(string="Epicentr's Answer", readonly=True)
    next_attempt_at = fields.Datetime(readonly=True)

    _sql_constraints = [
        ("epicentr_offer_uniq", "unique(source_id, product_id)", "A product is offered once per Epicentr source."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if "orderable" not in vals and vals.get("product_id"):
                vals["orderable"] = self.env["product.product"].browse(vals["product_id"])._epicentr_orderable()
        return super().create(vals_list)

    def write(self, vals):
        if vals.keys() & {"epicentr_product_id", "sku", "active", "orderable"}:
            vals = {**vals, "to_check": True}  # named anew or switched: compare again
        return super().write(vals)

    # ------------------------------------------------------------------ what marks offers changed

    @api.model
    def _mark_products(self, product_ids):
        """Offers of these products are to be compared again, after this transaction: one UPDATE
        at its commit, whatever the number of moves, then the publication is woken."""
        self._at_commit("epicentr.offer.marked", product_ids, self._mark)

    @api.model
    def _at_commit(self, key, product_ids, mark):
        """Gather ``product_ids`` under ``key`` until the commit, then ``mark`` their offers once."""
        if not product_ids:
            return
        data = self.env.cr.precommit.data
        if key not in data:
            data[key] = set()
            self.env.cr.precommit.add(lambda: mark(SQL("product_id = ANY(%s)", list(data.pop(key, set())))))
        data[key].update(product_ids)

    @api.model
    def _mark(self, where):
        """Raise ``to_check`` of the active offers ``where`` (SQL) says; wake the publication if any."""
        self.env.cr.execute(SQL("UPDATE epicentr_offer SET to_check = true WHERE active AND NOT to_check AND %s", where))
        if self.env.cr.rowcount:
            self.invalidate_model(["to_check"])
            self.env.ref("epicentr_connector.ir_cron_epicentr_publish_offers")._trigger()
        self._mark_feed(where)  # the feed's price and availability too

    @api.model
    def _mark_pricelists(self, pricelist_ids):
        """Every offer priced by these price lists (as its price or its old price)."""
        if pricelist_ids:
            self._mark(SQL("source_id IN (SELECT id FROM epicentr_source WHERE offer_pricelist_id = ANY(%(ids)s) "
                           "OR offer_old_pricelist_id = ANY(%(ids)s))", ids=list(pricelist_ids)))

    # ------------------------------------------------------------------ learned from orders

    @api.model
    def _learn(self, source, lines, products):
        """Offers for the products of imported order lines, with Epicentr's product id and SKU
        (one statement a page; a known offer gets the id it lacked and the latest price)."""
        rows = {}
        for line in lines:
            product = next((products[code] for code in line.codes if code in products), None)
            if product and (line.epicentr_product_id or line.sku):
                rows[product.id] = (line.epicentr_product_id or None, line.sku or None, line.price)
        if not rows:
            return
        orderable = self.env["product.product"].browse(list(rows))._epicentr_orderable_ids()
        uid, now = self.env.uid, fields.Datetime.now()
        values = [SQL("(%s, %s, %s, %s, %s, %s, true, true, 'new', %s, %s, %s, %s, %s)", source.id, source.company_id.id,
                      product_id, epicentr_id, sku, price, product_id in orderable, uid, now, uid, now)
                  for product_id, (epicentr_id, sku, price) in rows.items()]
        self.env.cr.execute(SQL(
            "INSERT INTO epicentr_offer (source_id, company_id, product_id, epicentr_product_id, sku, epicentr_price, "
            "active, to_check, state, orderable, create_uid, create_date, write_uid, write_date) VALUES %s "
            "ON CONFLICT (source_id, product_id) DO UPDATE SET "
            "epicentr_product_id = COALESCE(epicentr_offer.epicentr_product_id, EXCLUDED.epicentr_product_id), "
            "sku = COALESCE(epicentr_offer.sku, EXCLUDED.sku), epicentr_price = EXCLUDED.epicentr_price",
            SQL(", ").join(values)))
        self.invalidate_model()

    # ------------------------------------------------------------------ the publication

    @api.model
    def _cron_publish(self):
        """Publish the changed offers of every source that publishes, in calls of about
        CRON_CALL_SECONDS (utils/cron_frame.py); read-only sources and unconfirmed ones send nothing."""
        sources = self.env["epicentr.source"].search([
            ("active", "=", True), ("read_only", "=", False), ("token_revoked", "=", False),
            ("offers_confirmed_at", "!=", False), "|", ("publish_availability", "=", True), ("publish_prices", "=", True)])

        def publish(source, commit, deadline):
            # a call that leaves work wakes the next one itself, at the time it is due
            OfferPublication(source.with_company(source.company_id), commit=commit, deadline=deadline).run()

        def failed(source, error):
            source.write({"last_error": self.env._("Publishing prices and availability failed: %(error)s",
                                                   error=str(error))})

        run_units(self.env, sources.filtered(lambda s: s.sudo().api_token), publish, failed,
                  "epicentr_connector.ir_cron_epicentr_publish_offers", "offers of source")

    # ------------------------------------------------------------------ actions

    def action_send_again(self):
        """Compare and send these offers at the next publication, whatever was sent before."""
        self.check_access("write")
        self.source_id._check_manager()
        self.sudo().write({"to_check": True, "sent_availability": False, "sent_price": 0, "sent_old_price": 0,
                           "pending_values": False, "next_attempt_at": False})
        # a request still waited for is given up: these offers go in the next one
        self.sudo().filtered(lambda o: o.state == "queued").write({"state": "retry", "request_id": False})
        self.env.ref("epicentr_connector.ir_cron_epicentr_publish_offers")._trigger()

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..sync.offer_publish import wanted_values

# Price changes larger than this share of the price Epicentr showed are listed for a look.
BIG_CHANGE = 0.2


class EpicentrOfferPreview(models.TransientModel):
    """What the first publication of a source would send, for a manager to confirm: Epicentr has
    no test environment, and this changes the live shop's prices and availability."""

    _name = "epicentr.offer.preview"
    _description = "Preview the first publication to Epicentr"

    source_id = fields.Many2one("epicentr.source", required=True, ondelete="cascade", readonly=True)
    offer_count = fields.Integer(string="Offers", compute="_compute_summary")
    in_stock_count = fields.Integer(string="In Stock", compute="_compute_summary")
    under_the_order_count = fields.Integer(string="Under the Order", compute="_compute_summary")
    not_available_count = fields.Integer(string="Not Available", compute="_compute_summary")
    priced_count = fields.Integer(string="With a Price", compute="_compute_summary")
    unpriced_count = fields.Integer(string="Without a Price", compute="_compute_summary",
                                    help="The price list gives them no price: their price is not sent.")
    big_change_count = fields.Integer(string="Large Price Changes", compute="_compute_summary")
    big_changes = fields.Html(string="Prices That Change by More Than 20%", compute="_compute_summary",
                              sanitize=False)

    @api.depends("source_id")
    def _compute_summary(self):
        for wizard in self:
            wizard.source_id._check_manager()
            wizard.update(self._summary(wizard.source_id))

    @api.model
    def _summary(self, source):
        offers = self.env["epicentr.offer"].search([("source_id", "=", source.id)])
        if not offers:
            raise UserError(self.env._(
                "%(source)s has no offers yet: they are learned from imported orders, or added from the product "
                "list (Action → Publish on Epicentr).", source=source.name))
        wanted = wanted_values(source, offers)
        counts = dict.fromkeys(("in_stock", "under_the_order", "not_available"), 0)
        big = []
        for offer in offers:
            values = wanted[offer.id]
            counts[values["availability"]] += 1
            before = offer.sent_price or offer.epicentr_price
            if source.publish_prices and values["price"] and before and abs(values["price"] - before) > BIG_CHANGE * before:
                big.append((offer.product_id.display_name, before, values["price"]))
        priced = sum(1 for values in wanted.values() if values["price"] > 0)
        rows = Markup("").join(Markup("<tr><td>%s</td><td class='text-end'>%.2f</td><td class='text-end'>%.2f</td></tr>")
                               % (escape(name), before, after) for name, before, after in big[:200])
        table = Markup("<table class='table table-sm'><thead><tr><th>%s</th><th class='text-end'>%s</th>"
                       "<th class='text-end'>%s</th></tr></thead><tbody>%s</tbody></table>") % (
            self.env._("Product"), self.env._("On Epicentr"), self.env._("To send"), rows)
        return {
            "offer_count": len(offers),
            "in_stock_count": counts["in_stock"],
            "under_the_order_count": counts["under_the_order"],
            "not_available_count": counts["not_available"],
            "priced_count": priced if source.publish_prices else 0,
            "unpriced_count": len(offers) - priced if source.publish_prices else 0,
            "big_change_count": len(big),
            "big_changes": table if big else False,
        }

    def action_confirm(self):
        """Start publishing: every offer is compared and sent by the cron, after this commit."""
        self.ensure_one()
        source = self.source_id
        source._check_manager()
        if not (source.publish_availability or source.publish_prices):
            raise UserError(self.env._("Switch on Publish availability or Publish prices first."))
        source.sudo().offers_confirmed_at = fields.Datetime.now()
        offers = self.env["epicentr.offer"].sudo().search([("source_id", "=", source.id)])
        offers.write({"to_check": True})
        self.env.ref("epicentr_connector.ir_cron_epicentr_publish_offers")._trigger()
        return {"type": "ir.actions.act_window_close"}

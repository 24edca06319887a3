from odoo import api, fields, models
from odoo.exceptions import UserError

from ..utils.messages import notification


class EpicentrOfferAddWizard(models.TransientModel):
    """Publish on Epicentr: the chosen products become offers of a source, named by their internal
    reference (the SKU of the Epicentr cabinet) until an order brings Epicentr's own product id."""

    _name = "epicentr.offer.add.wizard"
    _description = "Publish products on Epicentr"

    source_id = fields.Many2one("epicentr.source", string="Epicentr Source", required=True, ondelete="cascade",
                                domain=[("active", "=", True)])
    product_ids = fields.Many2many("product.product", string="Products", required=True)

    @api.model
    def _open_for(self, products):
        sources = self.env["epicentr.source"].search([("active", "=", True)], limit=2)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Publish on Epicentr"),
            "res_model": self._name,
            "view_mode": "form",
            "target": "new",
            "context": {"default_product_ids": products.ids,
                        "default_source_id": sources.id if len(sources) == 1 else False},
        }

    def action_add(self):
        self.ensure_one()
        self.source_id._check_manager()
        Offer = self.env["epicentr.offer"].sudo().with_context(active_test=False)
        known = Offer.search([("source_id", "=", self.source_id.id), ("product_id", "in", self.product_ids.ids)])
        known.filtered(lambda o: not o.active).write({"active": True})
        new = self.product_ids - known.product_id
        without_code = new.filtered(lambda p: not p.default_code)
        if without_code:
            raise UserError(self.env._(
                "These products have no internal reference, which Epicentr knows them by (the SKU of the "
                "cabinet): %(products)s", products=", ".join(without_code.mapped("display_name")[:20])))
        Offer.create([{"source_id": self.source_id.id, "product_id": product.id, "sku": product.default_code}
                      for product in new])
        return notification("success", self.env._("Published on Epicentr"), self.env._(
            "%(count)s products are offers of %(source)s; they are sent at the next publication.",
            count=len(self.product_ids), source=self.source_id.name))

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..utils.messages import notification


class EpicentrOfferAddWizard(models.TransientModel):
    """Publish on Epicentr: the chosen products (or those of a category, or all those a price list
    sells) become offers of a source, named by their internal reference (the SKU of the Epicentr
    cabinet) until an order brings Epicentr's own product id; listed in the catalogue feed if asked."""

    _name = "epicentr.offer.add.wizard"
    _description = "Publish products on Epicentr"

    source_id = fields.Many2one("epicentr.source", string="Epicentr Source", required=True, ondelete="cascade",
                                domain=[("active", "=", True)])
    add_by = fields.Selection([("products", "These products"), ("category", "A product category"),
                               ("pricelist", "What a price list sells")], string="Add", default="products", required=True)
    product_ids = fields.Many2many("product.product", string="Products")
    category_id = fields.Many2one("product.category", string="Product Category")
    pricelist_id = fields.Many2one("product.pricelist", string="Price List")
    in_feed = fields.Boolean(string="List in the Catalogue Feed",
                             help="Epicentr creates and updates these products from the source's catalogue feed.")

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

    def _products(self):
        """The products to add: those chosen, those of the category (and its subcategories), or
        those the price list prices (all sellable products when it has a rule for everything)."""
        if self.add_by == "products":
            return self.product_ids
        domain = [("sale_ok", "=", True), ("company_id", "in", [False, self.source_id.company_id.id])]
        if self.add_by == "category":
            return self.env["product.product"].search([*domain, ("categ_id", "child_of", self.category_id.id)])
        items = self.pricelist_id.item_ids
        if any(item.applied_on == "3_global" for item in items):
            return self.env["product.product"].search(domain)
        return self.env["product.product"].search([*domain, "|", "|", ("id", "in", items.product_id.ids),
                                                   ("product_tmpl_id", "in", items.product_tmpl_id.ids),
                                                   ("categ_id", "child_of", items.categ_id.ids)])

    def action_add(self):
        self.ensure_one()
        self.source_id._check_manager()
        products = self._products()
        without_code = products.filtered(lambda p: not p.default_code)
        if without_code and self.add_by == "products":
            raise UserError(self.env._(
                "These products have no internal reference, which Epicentr knows them by (the SKU of the "
                "cabinet): %(products)s", products=", ".join(without_code.mapped("display_name")[:20])))
        products -= without_code  # of a category or price list: left out, and said so below
        Offer = self.env["epicentr.offer"].sudo().with_context(active_test=False)
        known = Offer.search([("source_id", "=", self.source_id.id), ("product_id", "in", products.ids)])
        known.filtered(lambda o: not o.active).write({"active": True})
        if self.in_feed:
            known.filtered(lambda o: not o.in_feed).write({"in_feed": True})
        Offer.create([{"source_id": self.source_id.id, "product_id": product.id, "sku": product.default_code,
                       "in_feed": self.in_feed} for product in products - known.product_id])
        # (not "source=": the first parameter of env._ is named so)
        message = self.env._("%(count)s products are offers of %(shop)s; they are sent at the next publication.",
                             count=len(products), shop=self.source_id.name)
        if without_code:
            message += " " + self.env._("%(count)s without an internal reference are left out.", count=len(without_code))
        return notification("success", self.env._("Published on Epicentr"), message)

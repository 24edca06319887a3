from odoo import api, fields, models


class AccountFiscalPosition(models.Model):
    _inherit = "account.fiscal.position"

    epicentr_gross_prices = fields.Boolean(
        string="Epicentr's Prices Include Taxes", readonly=True, copy=False,
        help="The fiscal position of Epicentr orders: Epicentr's prices are what the buyer pays, taxes "
        "included, so each price-excluded sales tax maps to its price-included twin. Odoo then keeps "
        "Epicentr's unit prices and backs the tax out of them.",
    )

    @api.model
    def _epicentr_gross_for(self, company):
        """The company's fiscal position for Epicentr's gross prices (made the first time)."""
        position = self.sudo().search([("company_id", "=", company.id), ("epicentr_gross_prices", "=", True)], limit=1)
        if not position:
            shop = self.with_context(lang=company.partner_id.lang or self.env.lang)
            position = self.sudo().create({
                "name": shop.env._("Epicentr K: prices include taxes"),
                "company_id": company.id,
                "epicentr_gross_prices": True,
                "auto_apply": False,
            })
        return position.sudo(False)

    def _epicentr_gross_taxes(self, taxes):
        """``taxes`` with each price-excluded one replaced by its price-included twin: this fiscal
        position's mapping, completed the first time a tax is met."""
        self.ensure_one()
        taxes = taxes._origin  # a line being edited holds new records
        mapped = self.tax_ids.tax_src_id
        missing = taxes.filtered(lambda tax: tax not in mapped and tax._epicentr_needs_twin())
        if missing:
            self.sudo().tax_ids = [fields.Command.create({
                "tax_src_id": tax.id, "tax_dest_id": tax._epicentr_price_included_twin().id}) for tax in missing]
        return self.map_tax(taxes)

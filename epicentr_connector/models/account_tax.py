from odoo import fields, models


class AccountTax(models.Model):
    _inherit = "account.tax"

    def _epicentr_needs_twin(self):
        """Whether a price holding this tax differs from its price before it: a price-excluded tax
        of a non-zero amount (or a group with one)."""
        self.ensure_one()
        if self.amount_type == "group":
            return any(child._epicentr_needs_twin() for child in self.children_tax_ids)
        return not self.price_include and bool(self.amount)

    def _epicentr_price_included_twin(self):
        """This price-excluded sales tax as a price-included one, for prices that already hold it
        (Epicentr's): a tax of the company with the same rate, group, accounts and tax-report tags,
        found, or made once as a copy named after this one in every installed language."""
        self.ensure_one()
        Tax = self.sudo().with_context(active_test=True)
        children = self.env["account.tax"].union(*(
            child._epicentr_price_included_twin() if child._epicentr_needs_twin() else child
            for child in self.children_tax_ids))
        candidates = Tax.search([
            ("company_id", "=", self.company_id.id), ("type_tax_use", "=", self.type_tax_use),
            ("amount_type", "=", self.amount_type), ("amount", "=", self.amount),
            ("tax_group_id", "=", self.tax_group_id.id), ("country_id", "=", self.country_id.id),
            ("price_include", "=", True), ("id", "!=", self.id),
        ])
        found = candidates.filtered(lambda tax: tax._epicentr_signature() == self._epicentr_signature(children))
        if found:
            return found[:1]
        twin = self.sudo().copy({
            "name": self._epicentr_twin_name(self.env.lang or "en_US"),
            "price_include_override": "tax_included",
            "children_tax_ids": [fields.Command.set(children.ids)],
        })
        for lang, _name in self.env["res.lang"].get_installed():
            twin.with_context(lang=lang).name = self._epicentr_twin_name(lang)
        return twin

    def _epicentr_twin_name(self, lang):
        this = self.with_context(lang=lang)
        return this.env._("%(tax)s (included in price)", tax=this.name)

    def _epicentr_signature(self, children=None):
        """What makes two taxes book alike, the price inclusion aside: accounts, tags, base effects."""
        children = self.children_tax_ids if children is None else children
        return (
            self.include_base_amount, self.is_base_affected, self.tax_exigibility,
            self.cash_basis_transition_account_id.id, tuple(children.ids),
            sorted((line.document_type, line.repartition_type, line.factor_percent, line.account_id.id,
                    tuple(sorted(line.tag_ids.ids)), line.use_in_tax_closing)
                   for line in self.repartition_line_ids),
        )

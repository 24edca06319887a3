from odoo import fields, models
from odoo.osv import expression


class EpicentrPimEntry(models.AbstractModel):
    """An entry of Epicentr's catalogue vocabulary (PIM): its code, what the feed writes, and its
    Ukrainian and Russian titles, either found by typing. The vocabulary is Epicentr's and the same
    for every seller: its records are shared (no company)."""

    _name = "epicentr.pim.entry"
    _description = "Epicentr catalogue vocabulary entry"

    code = fields.Char(required=True, readonly=True, index=True)
    name = fields.Char(required=True, readonly=True, help="Epicentr's Ukrainian title.")
    name_ru = fields.Char(string="Russian Name", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)

    def _name_search(self, name, domain=None, operator="ilike", limit=None, order=None):
        if name and operator in ("ilike", "=ilike", "like"):
            return self._search(expression.AND([domain or [], [
                "|", "|", (self._rec_name, operator, name), ("name_ru", operator, name), ("code", "=ilike", name)]]),
                limit=limit, order=order)
        return super()._name_search(name, domain, operator, limit, order)

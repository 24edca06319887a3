from odoo import api, fields, models
from odoo.exceptions import UserError

from ..sync.status_path import ITEMS_STATUS, before


class EpicentrItemsWizard(models.TransientModel):
    """Edit on Epicentr: lower a quantity or drop a line of the buyer's order when stock runs
    short, instead of cancelling it. Only Epicentr's answer changes the Odoo lines: the sender
    changes the items on Epicentr, then reads the order back and the quotation follows it."""

    _name = "epicentr.items.wizard"
    _inherit = "epicentr.talk.mixin"
    _description = "Change the items of an Epicentr order"

    epicentr_status = fields.Char(related="order_id.epicentr_status")
    line_ids = fields.One2many("epicentr.items.wizard.line", "wizard_id", string="Items")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        order = self.env["sale.order"].browse(values.get("order_id") or self.env.context.get("default_order_id"))
        if order and "line_ids" in fields_list:
            values["line_ids"] = [fields.Command.create({
                "offer_id": line.epicentr_offer_id, "name": line.name, "quantity": line.product_uom_qty,
                "new_quantity": line.product_uom_qty}) for line in order.order_line if line.epicentr_offer_id]
        return values

    def action_send(self):
        """Queue the changes, checked against the order's own lines (the browser's copy of the
        items, offer ids and quantities, is not trusted): only its items, only lowered."""
        self.ensure_one()
        order = self.order_id
        order.check_access("write")
        editable = order.epicentr_status == ITEMS_STATUS or before(order.epicentr_status, ITEMS_STATUS)
        if not editable or order.state not in ("draft", "sent"):
            raise UserError(self.env._(
                "Epicentr lets the seller change the items only before the order is confirmed; this one is not a "
                "quotation on Epicentr any more."))
        current = {line.epicentr_offer_id: line.product_uom_qty for line in order.order_line if line.epicentr_offer_id}
        if any(line.offer_id not in current for line in self.line_ids):
            raise UserError(self.env._("Only the order's own items can be changed."))
        if any(line.new_quantity < 0 or line.new_quantity != int(line.new_quantity) for line in self.line_ids):
            raise UserError(self.env._("Quantities are whole numbers, 0 to remove the item."))
        if any(line.new_quantity > current[line.offer_id] for line in self.line_ids):
            raise UserError(self.env._("Epicentr lets the seller lower a quantity or remove an item, not raise it."))
        changes = {line.offer_id: int(line.new_quantity) for line in self.line_ids
                   if line.new_quantity != current[line.offer_id]}
        if not changes:
            raise UserError(self.env._("Nothing changed."))
        if all(changes.get(offer) == 0 for offer in current):
            raise UserError(self.env._("An order keeps at least one item: cancel it instead."))
        return self._enqueue({"kind": "items", "item_changes": changes})

from odoo import fields, models

from ..utils.tracking import normalize_tracking


class StockPicking(models.Model):
    _inherit = "stock.picking"

    # The order's Epicentr sync outcome, shown beside the tracking reference.
    epicentr_sync_state = fields.Selection(related="sale_id.epicentr_sync_state")
    epicentr_sync_error = fields.Text(related="sale_id.epicentr_sync_error")

    def write(self, vals):
        """A tracking number entered, changed or removed on an Epicentr order's delivery is
        recorded for Epicentr (sent after the commit, by the outbox)."""
        if "carrier_tracking_ref" not in vals or self.env.context.get("epicentr_importing"):
            return super().write(vals)
        # sudo: a stock user may validate the delivery of an order they may not read
        before = {p.id: normalize_tracking(p.carrier_tracking_ref) for p in self.sudo() if p.sale_id.epicentr_source_id}
        result = super().write(vals)
        Push = self.env["epicentr.push"]
        for picking in self.filtered(lambda p: p.id in before and p.picking_type_code == "outgoing"):
            now = normalize_tracking(picking.carrier_tracking_ref)
            if now == before[picking.id]:
                continue
            if now:
                Push._record(picking.sudo().sale_id, "tracking_set", picking)
            elif before[picking.id]:
                Push._record_tracking_removed(picking)
        return result

    def _action_done(self):
        result = super()._action_done()
        if not self.env.context.get("epicentr_importing"):
            for picking in self.sudo().filtered(
                    lambda p: p.state == "done" and p.picking_type_code == "outgoing" and p.sale_id.epicentr_source_id):
                self.env["epicentr.push"]._record(picking.sale_id, "delivery_done", picking)
        return result

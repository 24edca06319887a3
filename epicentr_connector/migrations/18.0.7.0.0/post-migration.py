"""18.0.7.0.0: Epicentr's delivery services are delivery methods. The orders imported before
carry the one their buyer chose, and so do their deliveries not yet shipped, so that validating
one asks Epicentr for its waybill. Goods returned before (by hand) are no longer to invoice."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    for provider, carrier in env["delivery.carrier"]._epicentr_carriers().items():
        orders = env["sale.order"].with_context(active_test=False).search(
            [("epicentr_carrier", "=", provider), ("carrier_id", "=", False)])
        orders.write({"carrier_id": carrier.id})
        orders.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing" and not p.carrier_id
                                    and p.state not in ("done", "cancel")).write({"carrier_id": carrier.id})
    # sale.order.line._compute_qty_to_invoice counts returns now: recompute where there are some
    lines = env["stock.move"].search([("origin_returned_move_id", "!=", False),
                                      ("sale_line_id.order_id.epicentr_source_id", "!=", False)]).sale_line_id
    for field in ("qty_to_invoice", "invoice_status"):
        env.add_to_compute(lines._fields[field], lines)
    env.add_to_compute(lines.order_id._fields["invoice_status"], lines.order_id)
    env.flush_all()

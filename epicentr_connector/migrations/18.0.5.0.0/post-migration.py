"""18.0.5.0.0: Epicentr's prices are taken as gross, so that an order's total is what the buyer
pays under any tax set-up. Open quotations are priced again the new way; confirmed and locked
orders are left as they are and listed on their source (epicentr.order.lines._move_to_gross_prices).
The "Total Differs from Epicentr" flag now compares the whole total, so it is computed again."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    orders = env["sale.order"].with_context(active_test=False).search([("epicentr_source_id", "!=", False)])
    env.add_to_compute(env["sale.order"]._fields["epicentr_total_mismatch"], orders)
    env["epicentr.order.lines"]._move_to_gross_prices(orders)
    env.flush_all()

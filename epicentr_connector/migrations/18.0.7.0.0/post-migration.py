"""18.0.7.0.0: Epicentr's delivery services are delivery methods. The orders imported before
carry the one their buyer chose, and so do their deliveries not yet shipped, so that validating
one asks Epicentr for its waybill."""

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
    env.flush_all()

from odoo import fields, models
from odoo.tools import SQL

from .. import const


class EpicentrOrderReport(models.Model):
    """The confirmation deadline, per source, salesperson and day: Epicentr cancels an order not
    confirmed within 120 minutes and rates the seller on it. And what came back of the orders
    shipped: refused parcels and returns, their share and value. One row per Epicentr order."""

    _name = "epicentr.order.report"
    _description = "Epicentr confirmation report"
    _auto = False
    _order = "received_at desc"

    order_id = fields.Many2one("sale.order", readonly=True)
    source_id = fields.Many2one("epicentr.source", string="Epicentr Source", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    received_at = fields.Datetime(string="Placed on Epicentr", readonly=True)
    received_count = fields.Integer(string="Received", readonly=True)
    in_time_count = fields.Integer(string="Confirmed in Time", readonly=True)
    late_count = fields.Integer(string="Confirmed Late", readonly=True)
    unconfirmed_count = fields.Integer(
        string="Cancelled, Not Confirmed", readonly=True,
        help="Cancelled by Epicentr (not by the seller or the buyer) while it was still new.")
    cancelled_count = fields.Integer(string="Cancelled", readonly=True)
    confirm_minutes = fields.Float(
        string="Median Minutes to Confirm", readonly=True, aggregator="avg",
        help="From the order's placing to its confirmation; grouped, the median of the orders.")
    shipped_count = fields.Integer(string="Shipped", readonly=True, help="Its delivery is done in Odoo.")
    refused_count = fields.Integer(
        string="Refused", readonly=True, help="Shipped, then cancelled on Epicentr: the parcel comes back.")
    returned_count = fields.Integer(string="Returned", readonly=True, help="A return Epicentr confirmed.")
    came_back_rate = fields.Float(
        string="Came Back (%)", readonly=True, aggregator="avg",
        help="The share of the shipped orders whose goods came back (refused or returned).")
    came_back_amount = fields.Monetary(
        string="Value Came Back", readonly=True, currency_field="currency_id",
        help="What the goods that came back cost the buyer: all of a refused parcel, the part returned of an order.")
    currency_id = fields.Many2one("res.currency", readonly=True)
    cancel_initiator = fields.Selection(const.CANCEL_INITIATORS, string="Cancelled By", readonly=True)
    cancel_reason = fields.Char(string="Cancel Reason Key", readonly=True)

    @property
    def _table_query(self):
        cancelled = tuple(const.CANCELLED_STATUSES)
        deadline = SQL("o.epicentr_created_at + make_interval(mins => %s)", const.CONFIRM_DEADLINE_MINUTES)
        shipped = SQL("""EXISTS (SELECT 1 FROM stock_picking p JOIN stock_picking_type t ON t.id = p.picking_type_id
                                  WHERE p.sale_id = o.id AND t.code = 'outgoing' AND p.state = 'done')""")
        came_back = SQL("COALESCE(o.epicentr_return_state IN ('on_its_way', 'returned'), FALSE)")
        # the returns' quantities at their lines' prices (what the warehouse received, once it has)
        came_back_amount = SQL("""(SELECT COALESCE(SUM(l.price_total / NULLIF(l.product_uom_qty, 0)
                                                       * CASE WHEN m.state = 'done' THEN m.quantity ELSE m.product_uom_qty END), 0)
                                     FROM stock_move m JOIN sale_order_line l ON l.id = m.sale_line_id
                                    WHERE l.order_id = o.id AND m.origin_returned_move_id IS NOT NULL
                                      AND m.to_refund AND m.state <> 'cancel')""")
        return SQL("""
            SELECT o.id, o.id AS order_id, o.epicentr_source_id AS source_id, o.user_id, o.company_id,
                   o.epicentr_created_at AS received_at, 1 AS received_count,
                   (o.epicentr_confirmed_at <= %(deadline)s)::int AS in_time_count,
                   (o.epicentr_confirmed_at > %(deadline)s)::int AS late_count,
                   (o.epicentr_cancelled_while_new AND o.epicentr_status IN %(cancelled)s
                    AND o.epicentr_cancel_initiator IS DISTINCT FROM 'merchant'
                    AND o.epicentr_cancel_initiator IS DISTINCT FROM 'customer')::int AS unconfirmed_count,
                   (o.epicentr_status IN %(cancelled)s)::int AS cancelled_count,
                   EXTRACT(EPOCH FROM o.epicentr_confirmed_at - o.epicentr_created_at) / 60 AS confirm_minutes,
                   %(shipped)s::int AS shipped_count,
                   (%(came_back)s AND o.epicentr_status <> 'returned')::int AS refused_count,
                   (%(came_back)s AND o.epicentr_status = 'returned')::int AS returned_count,
                   CASE WHEN %(shipped)s THEN (%(came_back)s)::int * 100.0 END AS came_back_rate,
                   CASE WHEN %(came_back)s THEN %(came_back_amount)s ELSE 0 END AS came_back_amount,
                   o.currency_id,
                   o.epicentr_cancel_initiator AS cancel_initiator, o.epicentr_cancel_reason AS cancel_reason
              FROM sale_order o
             WHERE o.epicentr_source_id IS NOT NULL AND o.epicentr_created_at IS NOT NULL
        """, deadline=deadline, cancelled=cancelled, shipped=shipped, came_back=came_back,
                   came_back_amount=came_back_amount)

    def _read_group_select(self, aggregate_spec, query):
        # the pivot's measure of the time to confirm is the median, not the mean: a few orders
        # confirmed the next morning must not hide how quickly the others were
        if aggregate_spec == "confirm_minutes:avg":
            return SQL("percentile_cont(0.5) WITHIN GROUP (ORDER BY %s)",
                       self._field_to_sql(self._table, "confirm_minutes", query))
        return super()._read_group_select(aggregate_spec, query)

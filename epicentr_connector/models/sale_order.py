from odoo import api, fields, models

from .. import const


class SaleOrder(models.Model):
    _inherit = "sale.order"

    epicentr_source_id = fields.Many2one(
        "epicentr.source", string="Epicentr Source", index="btree_not_null", readonly=True,
        copy=False, ondelete="restrict",
    )
    epicentr_order_id = fields.Char(
        string="Epicentr Order ID", readonly=True, copy=False,
        help="Epicentr's UUID of the order (the last part of its address in the seller cabinet).",
    )
    epicentr_number = fields.Char(string="Epicentr Number", index="btree_not_null", readonly=True, copy=False)
    # Epicentr's own code, as received: an unknown code is kept and shown, never rejected.
    epicentr_status = fields.Char(string="Epicentr Status Code", readonly=True, copy=False)
    epicentr_status_name = fields.Char(
        string="Epicentr Status", compute="_compute_epicentr_status_name",
        help="The order's status on Epicentr. It changes with every sync; Odoo's own status "
        "follows it only when Epicentr cancels the order.",
    )
    epicentr_status_unknown = fields.Boolean(
        string="Unknown Epicentr Status", compute="_compute_epicentr_status_unknown", store=True,
    )
    epicentr_sync_state = fields.Selection(
        [("ok", "In sync"), ("pending", "Waiting to be sent"), ("error", "Sync error")],
        string="Epicentr Sync", readonly=True, copy=False,
    )
    epicentr_sync_error = fields.Text(string="Epicentr Sync Error", readonly=True, copy=False)
    epicentr_created_at = fields.Datetime(string="Placed on Epicentr", readonly=True, copy=False)
    epicentr_updated_at = fields.Datetime(string="Changed on Epicentr", readonly=True, copy=False)
    epicentr_confirm_deadline = fields.Datetime(
        string="Confirm on Epicentr Before", readonly=True, copy=False,
        help="Epicentr cancels a new order that the seller does not confirm within 120 minutes, "
        "and may block the shop.",
    )
    epicentr_subtotal = fields.Monetary(string="Epicentr Subtotal", readonly=True, copy=False)
    epicentr_carrier = fields.Selection(const.CARRIERS, string="Delivery Service", readonly=True, copy=False)
    epicentr_settlement = fields.Char(string="Settlement", readonly=True, copy=False)
    epicentr_office = fields.Char(string="Branch / Locker", readonly=True, copy=False)
    epicentr_payment_method = fields.Selection(const.PAYMENT_METHODS, string="Payment Method", readonly=True, copy=False)
    epicentr_payment_status = fields.Selection(const.PAYMENT_STATUSES, string="Payment Status", readonly=True, copy=False)
    epicentr_ttn = fields.Char(
        string="Tracking Number on Epicentr", readonly=True, copy=False,
        help="The delivery tracking number (TTN) Epicentr has for this order.",
    )
    epicentr_buyer_comment = fields.Text(string="Buyer's Comment", readonly=True, copy=False)
    epicentr_skip_contact = fields.Boolean(
        string="Do Not Call the Buyer", readonly=True, copy=False,
        help="The buyer asked on Epicentr not to be called about this order.",
    )
    epicentr_cancel_reason = fields.Char(string="Epicentr Cancel Reason", readonly=True, copy=False)
    epicentr_buyer_hidden = fields.Boolean(
        string="Buyer Hidden by Epicentr", readonly=True, copy=False,
        help="Epicentr hides the buyer while the order is new: the customer is a placeholder "
        "until a sync after the confirmation brings the real one.",
    )
    epicentr_needs_mapping = fields.Boolean(
        string="Needs Product Mapping", compute="_compute_epicentr_needs_mapping", store=True,
        help="Some lines are on the placeholder product because no product with their code "
        "exists: create it (internal reference or barcode = the code) and rematch.",
    )
    # What the order looked like in Epicentr's list at the last import (a hash): the sync
    # fetches the full card only when it changed. Timestamps alone have a 1 s resolution.
    epicentr_fingerprint = fields.Char(readonly=True, copy=False)
    epicentr_url = fields.Char(string="Epicentr Cabinet Link", compute="_compute_epicentr_url")

    _sql_constraints = [
        (
            "epicentr_order_unique",
            "UNIQUE(epicentr_source_id, epicentr_order_id)",
            "This Epicentr order is already imported for this source.",
        ),
    ]

    @api.depends("epicentr_status")
    def _compute_epicentr_status_name(self):
        for order in self:
            code = order.epicentr_status
            order.epicentr_status_name = const.STATUS_TITLES.get(code, code) if code else False

    @api.depends("epicentr_status")
    def _compute_epicentr_status_unknown(self):
        for order in self:
            order.epicentr_status_unknown = bool(order.epicentr_status) and order.epicentr_status not in const.STATUS_TITLES

    @api.depends("order_line.product_id")
    def _compute_epicentr_needs_mapping(self):
        placeholder = self.env.ref("epicentr_connector.product_epicentr_unmatched", raise_if_not_found=False)
        for order in self:
            order.epicentr_needs_mapping = bool(placeholder) and placeholder in order.order_line.product_id

    @api.depends("epicentr_order_id")
    def _compute_epicentr_url(self):
        for order in self:
            order.epicentr_url = order.epicentr_order_id and const.CABINET_ORDER_URL.format(
                uuid=order.epicentr_order_id)

    def _prepare_confirmation_values(self):
        values = super()._prepare_confirmation_values()
        if self.env.context.get("epicentr_importing"):
            # An order imported as already sold keeps Epicentr's date, not the import's.
            values.pop("date_order", None)
        return values

    def action_epicentr_rematch_products(self):
        """Swap products in for the placeholder lines of quotations, where a product with the code now exists."""
        healed = self.env["epicentr.order.import"]._rematch_products(self)
        return self.env["epicentr.source"]._notification(
            "success" if healed else "warning",
            self.env._("Rematch products"),
            self.env._("%(count)s lines matched to a product.", count=healed) if healed
            else self.env._("No product exists yet for the unmatched codes."),
        )

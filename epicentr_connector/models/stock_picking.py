import base64

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_round
from odoo.tools.pdf import merge_pdf

from .. import const
from ..utils.switches import ServerOnly, switch
from ..utils.tracking import normalize_tracking

WAYBILL_STATES = [("pending", "Waiting for Epicentr"), ("failed", "Refused"), ("done", "Made")]


class StockPicking(models.Model):
    _inherit = "stock.picking"

    # Where the push of the order's changes to Epicentr stands, shown beside the tracking
    # reference: computed as the user who reads it (not as superuser, as a related field would),
    # so only to those who may read the order.
    epicentr_push_state = fields.Selection(
        selection=lambda self: self.env["sale.order"]._fields["epicentr_push_state"].selection,
        compute="_compute_epicentr_push", compute_sudo=False)
    epicentr_push_error = fields.Text(compute="_compute_epicentr_push", compute_sudo=False)
    # The waybill Epicentr makes for this delivery: its latest request, as whoever may see the delivery sees it.
    epicentr_waybill_state = fields.Selection(WAYBILL_STATES, string="Epicentr Waybill", compute="_compute_epicentr_waybill")
    epicentr_waybill_error = fields.Text(compute="_compute_epicentr_waybill")
    epicentr_waybill_possible = fields.Boolean(compute="_compute_epicentr_waybill")

    @api.depends("sale_id.epicentr_push_state", "sale_id.epicentr_push_error")
    @api.depends_context("uid")
    def _compute_epicentr_push(self):
        for picking in self:
            order = picking.sale_id
            readable = order and order.has_access("read")
            picking.epicentr_push_state = readable and order.epicentr_push_state
            picking.epicentr_push_error = readable and order.epicentr_push_error

    @api.depends("carrier_id", "carrier_tracking_ref", "state", "sale_id.epicentr_push_state",
                 "sale_id.epicentr_push_error")
    def _compute_epicentr_waybill(self):
        requests = self.env["epicentr.outbox"].sudo().search(
            [("picking_id", "in", self.ids), ("kind", "=", "waybill"), ("state", "!=", "superseded")], order="id")
        latest = {entry.picking_id: entry for entry in requests}
        for picking in self:
            entry = latest.get(picking)
            picking.epicentr_waybill_state = entry and {"held": False}.get(entry.state, entry.state)
            picking.epicentr_waybill_error = entry.last_error if entry and entry.state in ("pending", "failed") else False
            # sudo: a storekeeper may see a delivery whose order they may not read
            picking.epicentr_waybill_possible = picking.sudo()._epicentr_waybill_due() and (
                not entry or entry.state in ("failed", "held"))

    def _epicentr_waybill_due(self):
        """Whether Epicentr may be asked for this delivery's waybill: an Epicentr order's delivery,
        by a service Epicentr makes waybills for, not cancelled and without a tracking number yet."""
        self.ensure_one()
        carrier = self.carrier_id
        return bool(self.sale_id.epicentr_uuid and carrier.delivery_type == "epicentr"
                    and carrier.epicentr_provider in const.WAYBILL_PROVIDERS and self.picking_type_code == "outgoing"
                    and self.state not in ("draft", "cancel") and not self.carrier_tracking_ref)

    def write(self, vals):
        """A tracking number entered, changed or removed on an Epicentr order's delivery is
        noted for Epicentr (recorded in the outbox once the action has finished, sent after the commit)."""
        if "carrier_tracking_ref" not in vals or switch(self.env, "epicentr_importing"):
            return super().write(vals)
        # sudo: a stock user may validate the delivery of an order they may not read
        before = {p.id: normalize_tracking(p.carrier_tracking_ref) for p in self.sudo() if p.sale_id.epicentr_source_id}
        new_number = normalize_tracking(vals["carrier_tracking_ref"] or "")
        orders = self.sudo().filtered(lambda p: p.id in before and before[p.id] != new_number).sale_id.with_env(self.env)
        if orders and not orders.has_access("write"):
            # the number would be sent to Epicentr (and may move the order to "sent") on behalf of the order
            raise AccessError(self.env._(
                "Only users who may change the Epicentr order %(orders)s can change its tracking number.",
                orders=", ".join(orders.sudo().mapped("name"))))
        result = super().write(vals)
        Outbox = self.env["epicentr.outbox"]
        for picking in self.sudo().filtered(lambda p: p.id in before and p.picking_type_code == "outgoing"):
            now = normalize_tracking(picking.carrier_tracking_ref)
            if now != before[picking.id]:
                Outbox._note(picking.sale_id, "tracking_set" if now else "tracking_removed", picking)
        return result

    def _action_done(self):
        result = super()._action_done()
        if not switch(self.env, "epicentr_importing"):
            for picking in self.sudo().filtered(
                    lambda p: p.state == "done" and p.picking_type_code == "outgoing" and p.sale_id.epicentr_source_id):
                self.env["epicentr.outbox"]._note(picking.sale_id, "delivery_done", picking)
        # goods back from the buyer: the invoices follow what really arrived
        for order in self.sudo().filtered(lambda p: p.state == "done" and p.return_id).sale_id:
            if order.epicentr_source_id:
                self.env["epicentr.order.returns"]._credit(order)
        return result

    # ------------------------------------------------------------------ waybills

    def send_to_shipper(self):
        """Validating a delivery by an Epicentr service: Epicentr is asked for the waybill after
        the commit (Odoo's own would post a shipment "with tracking number False")."""
        if self.carrier_id.delivery_type != "epicentr":
            return super().send_to_shipper()
        self.ensure_one()
        self.check_access("write")  # over RPC: who may validate the delivery (the validation runs it as superuser)
        picking = self.sudo()
        if picking._epicentr_ships_with_waybills():
            picking.carrier_price = picking.carrier_id.send_shipping(picking)[0]["exact_price"]
        return None

    def action_epicentr_create_waybill(self):
        """The delivery's *Create Waybill* (and its Retry): for who may validate the delivery."""
        self.check_access("write")  # before the sudo: the waybill is made on the live cabinet
        pickings = self.sudo().filtered(lambda p: p._epicentr_waybill_due())
        if not pickings:
            raise UserError(self.env._(
                "Epicentr makes waybills only for the deliveries of Epicentr orders by Nova Poshta, Ukrposhta, "
                "Meest or Epicentr's pickup points and lockers, that have no tracking number yet."))
        pickings._epicentr_request_waybill()
        return True

    def _epicentr_ships_with_waybills(self):
        """Whether the source has a sender place for the delivery's service: validating then asks
        for the waybill (a seller who has set none keeps typing the tracking numbers)."""
        self.ensure_one()
        return self.carrier_id.epicentr_provider in self.sale_id.epicentr_source_id.waybill_sender_ids.mapped("provider")

    def _epicentr_request_waybill(self):
        """Record the request (the outbox makes the waybill after the commit); read-only sources make none."""
        for picking in self.filtered(lambda p: p._epicentr_waybill_due()):
            if picking.sale_id.epicentr_source_id.read_only:
                picking.message_post(body=self.env._(
                    "Read-only mode: no waybill was requested from Epicentr. Create it in the Epicentr cabinet."))
                continue
            self.env["epicentr.outbox"]._note(picking.sale_id, "waybill_requested", picking)
            picking.message_post(body=self.env._(
                "Waybill requested from Epicentr: its number and label follow as soon as Epicentr answers."))

    def _epicentr_parcels(self, source):
        """The parcels of the waybill: each package, and the goods outside packages, by their
        shipping weight (kg) and their package type's size (cm, else the source's default size);
        nothing weighed: one parcel of the source's default weight and size."""
        weight_uom = self.env["product.template"]._get_weight_uom_id_from_ir_config_parameter()
        length_uom = self.env["product.template"]._get_length_uom_id_from_ir_config_parameter()
        kilogram, centimetre = self.env.ref("uom.product_uom_kgm"), self.env.ref("uom.product_uom_cm")
        default_size = (source.waybill_length, source.waybill_width, source.waybill_height)

        def parcel(weight, size=None):
            length, width, height = ([float_round(length_uom._compute_quantity(side, centimetre), 1) for side in size]
                                     if size and all(size) else default_size)
            return {"weight": float_round(weight_uom._compute_quantity(weight, kilogram), 3),
                    "length": length, "width": width, "height": height}

        packages = self.move_line_ids.result_package_id.sudo()
        weights = packages._get_weight(self.id)
        parcels = [parcel(package.shipping_weight or weights[package],
                          (package.package_type_id.packaging_length, package.package_type_id.width,
                           package.package_type_id.height)) for package in packages]
        if self.weight_bulk:
            parcels.append(parcel(self.weight_bulk))
        if not any(p["weight"] for p in parcels):
            parcels = [{**parcel(0), "weight": source.waybill_weight}]
        return parcels

    def _epicentr_shipment(self, card):
        """The waybill's request (OrderCreateShipmentModelV3) from this delivery, the source's
        sender and the order's card: cash on delivery is what the buyer still owes, to the cent."""
        self.ensure_one()
        source, provider = self.sale_id.epicentr_source_id, self.carrier_id.epicentr_provider
        sender = source._epicentr_waybill_sender(provider)  # a Refused when the settings are missing
        shipment = {"sender": sender, "items": self._epicentr_parcels(source),
                    "deliveryPayer": source.waybill_delivery_payer, "isPostPayment": False,
                    "description": self.env._("Order %(number)s", number=card.number)}
        owed = card.cash_on_delivery(source.waybill_delivery_payer == "merchant")
        if owed:
            shipment.update(isPostPayment=True, codAmount=owed)
        return shipment

    def _epicentr_waybill_made(self, number, shipment=None):
        """Epicentr made the waybill ``number``: it is the delivery's tracking reference (not sent
        back to Epicentr as a new number) and the chatter says what was sent."""
        self.ensure_one()
        self.with_context(epicentr_importing=ServerOnly()).carrier_tracking_ref = number
        lines = [self.env._("Waybill %(number)s made by Epicentr.", number=number)]
        if shipment:
            parcels = shipment["items"]
            lines.append(self.env._(
                "%(count)s parcel(s), %(weight)s kg; delivery paid by %(payer)s; cash on delivery: %(cod)s.",
                count=len(parcels), weight=round(sum(p["weight"] for p in parcels), 3),
                payer=self.env._("the buyer") if shipment["deliveryPayer"] == "client" else self.env._("the seller"),
                cod="%.2f" % (shipment.get("codAmount") or 0)))
        self.message_post(body=Markup("<br/>").join(lines))

    def _epicentr_label(self, number):
        return self.env["ir.attachment"].sudo().search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", self.id), ("name", "=", self._epicentr_label_name(number))],
            limit=1)

    @api.model
    def _epicentr_label_name(self, number):
        return f"LabelShipping-epicentr-{number}.pdf"

    def _epicentr_attach_label(self, number, pdf):
        self.ensure_one()
        attachment = self.env["ir.attachment"].sudo().create({
            "name": self._epicentr_label_name(number), "type": "binary", "datas": base64.b64encode(pdf),
            "res_model": "stock.picking", "res_id": self.id, "mimetype": "application/pdf"})
        self.message_post(body=self.env._("The waybill %(number)s to print, from Epicentr.", number=number),
                          attachment_ids=attachment.ids)

    def action_epicentr_print_waybills(self):
        """The labels of the selected deliveries' Epicentr waybills, in one PDF."""
        self.check_access("read")
        # one search for the wave's labels, in the order of the deliveries
        names = {picking.id: self._epicentr_label_name(picking.carrier_tracking_ref)
                 for picking in self.sudo() if picking.carrier_tracking_ref}
        found = {(a.res_id, a.name): a for a in self.env["ir.attachment"].sudo().search(
            [("res_model", "=", "stock.picking"), ("res_id", "in", list(names)), ("name", "in", list(names.values()))])}
        labels = [found[key] for key in names.items() if key in found]
        if not labels:
            raise UserError(self.env._(
                "None of these deliveries has a waybill label from Epicentr yet (Nova Poshta's labels come from "
                "Nova Poshta)."))
        document = self.env["ir.attachment"].create({
            "name": self.env._("Epicentr waybills (%(count)s).pdf", count=len(labels)), "type": "binary",
            "datas": base64.b64encode(merge_pdf([label.raw for label in labels])), "mimetype": "application/pdf"})
        return {"type": "ir.actions.act_url", "url": f"/web/content/{document.id}?download=true", "target": "self"}

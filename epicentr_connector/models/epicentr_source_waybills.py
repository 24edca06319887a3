"""A source's waybill settings: who sends the parcels, from where, who pays the carrier, and a
parcel's default weight and size; checked against Epicentr's dictionaries by *Test Waybill
Settings*. The waybills themselves: stock.picking and sync/order_push.py."""

from odoo import fields, models

from .. import const
from ..api import EpicentrError
from ..sync.status_path import Refused
from ..utils.messages import notification
from ..utils.values import normalize_phone


class EpicentrSource(models.Model):
    _inherit = "epicentr.source"  # pylint: disable=consider-merging-classes-inherited  # one file a concern

    waybill_first_name = fields.Char(string="Sender's First Name", help="As on the sender's ID: the carrier checks it.")
    waybill_last_name = fields.Char(string="Sender's Last Name")
    waybill_phone = fields.Char(string="Sender's Phone")
    waybill_delivery_payer = fields.Selection(
        [("client", "The buyer"), ("merchant", "The seller")], string="Delivery Paid By", default="client",
        required=True, help="Who pays the carrier. When the buyer pays cash on delivery, the amount collected is "
        "the items' total, and Epicentr's delivery price too when the seller pays the carrier.")
    waybill_weight = fields.Float(string="Default Parcel Weight (kg)", default=1.0, digits=(6, 3),
                                  help="For deliveries whose products have no weight.")
    waybill_length = fields.Float(string="Default Length (cm)", default=30.0, digits=(6, 1))
    waybill_width = fields.Float(string="Default Width (cm)", default=20.0, digits=(6, 1))
    waybill_height = fields.Float(string="Default Height (cm)", default=10.0, digits=(6, 1))
    waybill_sender_ids = fields.One2many("epicentr.waybill.sender", "source_id", string="Sender Places")

    def _epicentr_waybill_sender(self, provider):
        """The waybill's ``sender`` for ``provider``; Refused (a person must fill it in) when unset."""
        self.ensure_one()
        place = self.waybill_sender_ids.filtered(lambda s: s.provider == provider)[:1]
        phone = normalize_phone(self.waybill_phone or "")
        missing = self._waybill_missing(provider, place, phone)
        if missing:
            raise Refused(missing)
        return {"name": self.waybill_first_name.strip(), "lastName": self.waybill_last_name.strip(),
                "phone": phone.lstrip("+"), "settlementId": place.settlement_id.epicentr_uuid,
                "officeId": place.office_id.epicentr_uuid, "provider": provider}

    def _waybill_missing(self, provider, place, phone):
        """What the source's waybill settings lack for ``provider``, in words, or None."""
        service = dict(const.CARRIERS)[provider]
        if not (self.waybill_first_name or "").strip() or not (self.waybill_last_name or "").strip():
            return self.env._("Set the sender's first and last name on the source %(shop)s (Waybills tab).",
                              shop=self.name)
        if not phone:
            return self.env._("The sender's phone of the source %(shop)s is not a valid phone number.",
                              shop=self.name)
        if not place:
            return self.env._("Choose where %(service)s parcels are sent from on the source %(shop)s (Waybills tab).",
                              service=service, shop=self.name)
        return None

    def action_test_waybills(self):
        """Check the waybill settings: each sender branch is still in its service's dictionary on Epicentr."""
        self.ensure_one()
        self._check_manager()
        problems, found = [], []
        client = None
        try:
            client = self.sudo()._get_client(retries=1)
            for place in self.waybill_sender_ids:
                service = dict(const.CARRIERS)[place.provider]
                missing = self._waybill_missing(place.provider, place, normalize_phone(self.waybill_phone or ""))
                if missing:
                    problems.append(missing)
                    continue
                page = client.get_places(place.provider, settlement_id=place.settlement_id.epicentr_uuid,
                                         title=place.office_id.title, limit=50)
                if any(item.get("id") == place.office_id.epicentr_uuid for item in page.get("items") or []):
                    found.append(f"{service}: {place.settlement_id.title}, {place.office_id.title}")
                else:
                    problems.append(self.env._(
                        "%(service)s: Epicentr's dictionary no longer has the branch %(branch)s in %(settlement)s.",
                        service=service, branch=place.office_id.title, settlement=place.settlement_id.title))
        except EpicentrError as error:
            problems.append(self._describe_error(error))
        finally:
            if client:
                client.close()
        if not self.waybill_sender_ids:
            problems.append(self.env._("No sender place is set: add one per delivery service you ship with."))
        if problems:
            return notification("danger", self.env._("Waybill settings to fix"), "\n".join(problems), sticky=True)
        return notification("success", self.env._("Waybill settings work"), "\n".join(found))

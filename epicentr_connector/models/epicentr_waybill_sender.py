from odoo import api, fields, models

from .. import const


class EpicentrWaybillSender(models.Model):
    """Where a source's parcels leave from, for one of Epicentr's delivery services: the sender's
    settlement and branch, as that service's dictionary on Epicentr names them (picked by title)."""

    _name = "epicentr.waybill.sender"
    _description = "Epicentr waybill sender place"
    _order = "source_id, provider"
    _check_company_auto = True

    source_id = fields.Many2one("epicentr.source", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="source_id.company_id", store=True)
    provider = fields.Selection(
        [(code, label) for code, label in const.CARRIERS if code in const.WAYBILL_PROVIDERS],
        string="Delivery Service", required=True)
    settlement_id = fields.Many2one(
        "epicentr.place", required=True, ondelete="restrict",
        domain="[('source_id', '=', source_id), ('provider', '=', provider), ('settlement_uuid', '=', False)]",
        help="Type a part of the name: Epicentr's dictionary of this delivery service is searched.")
    office_id = fields.Many2one(
        "epicentr.place", string="Branch", required=True, ondelete="restrict",
        domain="[('source_id', '=', source_id), ('provider', '=', provider), ('settlement_uuid', '=', settlement_uuid)]",
        help="The branch (or locker) where the parcels are handed over, from Epicentr's dictionary.")
    settlement_uuid = fields.Char(related="settlement_id.epicentr_uuid")

    _sql_constraints = [
        ("epicentr_waybill_sender_uniq", "unique(source_id, provider)",
         "A source has one sender place per delivery service."),
    ]

    @api.onchange("provider")
    def _onchange_provider(self):
        self.settlement_id = self.office_id = False

    @api.onchange("settlement_id")
    def _onchange_settlement(self):
        if self.office_id.settlement_uuid != self.settlement_id.epicentr_uuid:
            self.office_id = False

from odoo import fields, models

from .. import const


class EpicentrCallWizard(models.TransientModel):
    _name = "epicentr.call.wizard"
    _inherit = "epicentr.talk.mixin"
    _description = "The result of a call to an Epicentr buyer"

    call_status = fields.Selection(const.CALL_STATUSES, string="Call Result", required=True)

    def action_send(self):
        return self._enqueue({"kind": "call_status", "call_status": self.call_status})

from odoo import api, fields, models
from odoo.exceptions import UserError


class EpicentrCommentWizard(models.TransientModel):
    _name = "epicentr.comment.wizard"
    _inherit = "epicentr.talk.mixin"
    _description = "A comment on an Epicentr order"

    comment = fields.Text(required=True)

    @api.constrains("comment")
    def _check_comment(self):
        if any(not (wizard.comment or "").strip() for wizard in self):
            raise UserError(self.env._("Write the comment first."))

    def action_send(self):
        return self._enqueue({"kind": "comment", "comment": self.comment.strip()})

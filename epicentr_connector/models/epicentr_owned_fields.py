from odoo import api, models
from odoo.exceptions import AccessError

from ..utils.switches import switch


class EpicentrOwnedFields(models.AbstractModel):
    """Epicentr's data on an order and its lines (source, UUID, status, buyer placeholder, offer
    ids …) is the connector's to write: set over RPC it would point the outbox at another order or
    account, fake the deadline report, or make the import remove a real contact. It comes in
    through values, a context's ``default_epicentr_*`` key or a user's default: each is shut."""

    _name = "epicentr.owned.fields"
    _description = "Fields only the Epicentr connector writes"

    @api.model
    def default_get(self, fields_list):
        defaults = super().default_get(fields_list)
        if self._epicentr_import_writes():
            return defaults
        return {name: value for name, value in defaults.items() if not name.startswith("epicentr_")}

    @api.model_create_multi
    def create(self, vals_list):
        self._check_epicentr_fields({name for vals in vals_list for name in vals})
        return super().create(vals_list)

    def write(self, vals):
        self._check_epicentr_fields(vals)
        return super().write(vals)

    @api.model
    def _check_epicentr_fields(self, names):
        owned = sorted(name for name in names if name.startswith("epicentr_"))
        if owned and not self._epicentr_import_writes():
            raise AccessError(self.env._(
                "Only the Epicentr connector sets these fields of an order: %(fields)s.", fields=", ".join(owned)))

    @api.model
    def _epicentr_import_writes(self):
        return self.env.su or switch(self.env, "epicentr_importing")

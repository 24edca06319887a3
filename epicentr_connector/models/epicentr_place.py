from odoo import fields, models


class EpicentrPlace(models.Model):
    """The title of a delivery place (a settlement, a branch, a locker) of Epicentr's dictionary, as
    an order's card last gave it. A live list entry names its places by id only: with their titles
    known here, the sync need not read the order's card (sync/place_titles.py)."""

    _name = "epicentr.place"
    _description = "Epicentr delivery place"

    source_id = fields.Many2one("epicentr.source", required=True, index=True, ondelete="cascade", readonly=True)
    epicentr_uuid = fields.Char(string="Epicentr ID", required=True, readonly=True)
    title = fields.Char(required=True, readonly=True)
    read_at = fields.Datetime(string="Read on", required=True, readonly=True,
                              help="When an order's card last gave this title.")

    _sql_constraints = [
        ("epicentr_place_uniq", "unique(source_id, epicentr_uuid)", "A place is known once per source."),
    ]

"""18.0.8.0.0: the catalogue feed. Each source gets a feed key of its own (a new column takes one
default value for every row)."""

from odoo import SUPERUSER_ID, api

from odoo.addons.epicentr_connector.models.epicentr_source_feed import new_feed_key


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    for source in env["epicentr.source"].with_context(active_test=False).search([]):
        source.feed_key = new_feed_key()
    env.flush_all()

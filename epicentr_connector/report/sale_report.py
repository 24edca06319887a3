from odoo import fields, models


class SaleReport(models.Model):
    _inherit = "sale.report"

    # The report is a SQL query over the order lines; its link to the order is a Reference
    # (order_reference), which a record rule cannot follow. This column carries the order's
    # source, so the Epicentr access rule can be applied to the report too
    # (security/sale_order_security.xml) and the report can be grouped by source.
    epicentr_source_id = fields.Many2one("epicentr.source", readonly=True)

    def _select_additional_fields(self):
        res = super()._select_additional_fields()
        res["epicentr_source_id"] = "s.epicentr_source_id"
        return res

    def _group_by_sale(self):
        return super()._group_by_sale() + """,
            s.epicentr_source_id"""

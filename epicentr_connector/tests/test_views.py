from lxml import etree

from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

from .common import EpicentrCommon

EPICENTR_FORM_FIELDS = {
    "epicentr_source_id", "epicentr_number", "epicentr_url", "epicentr_status", "epicentr_status_name",
    "epicentr_status_unknown", "epicentr_confirm_deadline", "epicentr_carrier", "epicentr_settlement",
    "epicentr_office", "epicentr_ttn", "epicentr_payment_method", "epicentr_payment_status",
    "epicentr_skip_contact", "epicentr_cancel_reason", "epicentr_buyer_comment", "epicentr_buyer_hidden",
    "epicentr_needs_mapping", "epicentr_sync_state", "epicentr_sync_error",
}


@tagged("post_install", "-at_install")
class TestViews(EpicentrCommon):
    """The Epicentr views load, the menu and the actions resolve, the wizard imports an order."""

    def arch(self, model, view_type, view=None):
        view_id = self.env.ref(view).id if view else False
        return etree.fromstring(self.env[model].get_views([(view_id, view_type)])["views"][view_type]["arch"])

    @staticmethod
    def field_names(arch):
        return {node.get("name") for node in arch.iter("field")}

    def test_sale_order_views(self):
        form = self.arch("sale.order", "form")
        self.assertLessEqual(EPICENTR_FORM_FIELDS, self.field_names(form))
        # Epicentr's status badge sits in the header, beside Odoo's status bar.
        self.assertTrue(form.xpath("//header/field[@name='epicentr_status_name'][@widget='badge']"))
        self.assertTrue(form.xpath("//button[@name='action_epicentr_rematch_products']"))
        # The buyer's comment is plain text, never rendered as HTML.
        comment = form.xpath("//field[@name='epicentr_buyer_comment']")[0]
        self.assertIn(comment.get("widget"), (None, "text"))
        self.assertEqual(self.env["sale.order"]._fields["epicentr_buyer_comment"].type, "text")

        for view in ("sale.view_order_tree", "sale.view_quotation_tree",
                     "epicentr_connector.sale_order_view_list_epicentr"):
            self.assertLessEqual({"epicentr_number", "epicentr_status_name"},
                                 self.field_names(self.arch("sale.order", "list", view)), view)
        self.assertIn("epicentr_status_name", self.field_names(self.arch("sale.order", "kanban")))

        for view in ("sale.sale_order_view_search_inherit_quotation", "sale.sale_order_view_search_inherit_sale"):
            search = self.arch("sale.order", "search", view)
            self.assertIn("epicentr_number", self.field_names(search))
            filters = {node.get("name") for node in search.iter("filter")}
            self.assertLessEqual({
                "epicentr_orders", "epicentr_awaiting_confirmation", "epicentr_needs_mapping",
                "epicentr_sync_errors", "epicentr_status_unknown", "group_epicentr_source",
                "group_epicentr_status",
            }, filters, view)

    def test_filters_select_the_right_orders(self):
        search = self.arch("sale.order", "search", "sale.sale_order_view_search_inherit_quotation")
        domains = {node.get("name"): node.get("domain") for node in search.iter("filter")}
        order = self.env["sale.order"].create({"partner_id": self.env.user.partner_id.id})
        order.write({"epicentr_source_id": self.source.id, "epicentr_order_id": "x-1", "epicentr_status": "on_hold",
                     "epicentr_sync_state": "error", "epicentr_sync_error": "HTTP 400"})
        Order = self.env["sale.order"]
        for name in ("epicentr_orders", "epicentr_sync_errors", "epicentr_status_unknown"):
            self.assertIn(order, Order.search(safe_eval(domains[name])), name)
        self.assertNotIn(order, Order.search(safe_eval(domains["epicentr_awaiting_confirmation"])))

    def test_menu_and_actions(self):
        action = self.env.ref("epicentr_connector.sale_order_epicentr_action")
        menu = self.env.ref("epicentr_connector.sale_order_epicentr_menu")
        self.assertEqual(menu.action, action)
        self.assertEqual(menu.parent_id, self.env.ref("sale.sale_order_menu"))
        self.assertIn(self.env.ref("sales_team.group_sale_salesman"), menu.groups_id)
        read = self.env["ir.actions.act_window"]._for_xml_id("epicentr_connector.sale_order_epicentr_action")
        self.assertEqual(read["res_model"], "sale.order")
        self.assertEqual(safe_eval(read["domain"]), [("epicentr_source_id", "!=", False)])
        self.assertEqual(safe_eval(read["context"]), {"create": False})
        self.env["sale.order"].get_views([(read["view_id"][0], "list"), (False, "form"), (False, "search")])
        # a salesman sees the menu
        salesman = self.env["res.users"].create({
            "name": "Epicentr Salesman", "login": "epicentr_views_salesman",
            "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_salesman").id])],
        })
        visible = self.env["ir.ui.menu"].with_user(salesman)._visible_menu_ids()
        self.assertIn(menu.id, visible)

        orders_action = self.source.action_view_orders()
        self.assertEqual(orders_action["domain"], [("epicentr_source_id", "=", self.source.id)])
        wizard_action = self.env["ir.actions.act_window"]._for_xml_id(
            "epicentr_connector.epicentr_order_import_wizard_action")
        self.assertEqual((wizard_action["res_model"], wizard_action["target"]),
                         ("epicentr.order.import.wizard", "new"))

    def test_source_form(self):
        form = self.arch("epicentr.source", "form")
        buttons = {node.get("name") for node in form.iter("button")}
        self.assertIn("action_sync_now", buttons)
        self.assertIn("action_view_orders", buttons)
        self.assertIn(str(self.env.ref("epicentr_connector.epicentr_order_import_wizard_action").id), buttons)
        self.assertLessEqual({
            "team_id", "pricelist_id", "history_start_at", "history_done", "last_success_at",
            "next_sync_at", "sync_progress", "last_sync_at", "last_run_created", "last_run_updated",
            "failed_order_count", "last_error", "order_count",
        }, self.field_names(form))
        # the warehouse shows with the multi-warehouse option, like on the order
        self.assertIn('name="warehouse_id"', self.env.ref("epicentr_connector.epicentr_source_view_form").arch)

        with Form(self.env["epicentr.source"]) as source_form:
            source_form.name = "Second shop"
            source_form.history_days = 30
            source_form.team_id = self.env["crm.team"].search([], limit=1)
        source = source_form.save()
        self.assertEqual((source.name, source.history_days, source.sync_interval), ("Second shop", 30, 10))

        with Form(self.source) as source_form:
            source_form.last_sync_at = "2026-01-01 00:00:00"
        self.assertEqual(str(self.source.last_sync_at), "2026-01-01 00:00:00")

    def test_wizard_imports_an_order_by_number(self):
        card = next(iter(self.sandbox.store.orders.values()))
        wizard_form = Form(self.env["epicentr.order.import.wizard"].with_context(
            active_model="epicentr.source", active_id=self.source.id))
        self.assertEqual(wizard_form.source_id, self.source)
        wizard_form.number = f" {card['number']} "
        wizard = wizard_form.save()
        action = wizard.action_import()
        order = self.env["sale.order"].search([("epicentr_order_id", "=", card["id"])])
        self.assertEqual(len(order), 1)
        self.assertEqual(order.epicentr_number, card["number"])
        self.assertEqual(
            (action["type"], action["res_model"], action["res_id"], action["view_mode"]),
            ("ir.actions.act_window", "sale.order", order.id, "form"),
        )
        # importing it again refreshes the same order
        self.assertEqual(wizard.action_import()["res_id"], order.id)
        self.assertEqual(self.env["sale.order"].search_count([("epicentr_order_id", "=", card["id"])]), 1)
        # the form of the imported order renders with its values
        self.assertEqual(Form(order).epicentr_number, card["number"])
        self.assertEqual(self.sandbox.writes(), [], "the import wrote to Epicentr")

import uuid

from lxml import etree

from odoo import Command
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger
from odoo.tools.safe_eval import safe_eval

from odoo.addons.epicentr_connector import const

from .common import EpicentrCommon
from .epicentr_sandbox.store import cancel_reasons

EPICENTR_FORM_FIELDS = {
    "epicentr_source_id", "epicentr_number", "epicentr_url", "epicentr_status", "epicentr_status_name",
    "epicentr_status_unknown", "epicentr_confirm_deadline", "epicentr_carrier", "epicentr_settlement",
    "epicentr_office", "epicentr_tracking_number", "epicentr_payment_method", "epicentr_payment_status",
    "epicentr_skip_contact", "epicentr_cancel_reason", "epicentr_cancel_reason_name", "epicentr_cancel_initiator",
    "epicentr_cancel_comment", "epicentr_buyer_comment", "epicentr_buyer_hidden",
    "epicentr_needs_mapping", "epicentr_push_state", "epicentr_push_error",
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

    def test_found_in_apps_under_its_default_filter(self):
        """Apps opens with its "Apps" filter on; typing "Epicentr" there finds the module."""
        action = self.env.ref("base.open_module_tree")
        self.assertTrue(safe_eval(action.context).get("search_default_app"))
        search = self.arch("ir.module.module", "search")
        apps_filter = safe_eval(search.xpath("//filter[@name='app']")[0].get("domain"))
        typed = safe_eval(search.xpath("//field[@name='name']")[0].get("filter_domain"), {"self": "Epicentr"})
        found = self.env["ir.module.module"].search(apps_filter + typed)
        self.assertEqual(found.mapped("name"), ["epicentr_connector"])
        self.assertTrue(found.icon_image, "no icon on the Apps card")
        self.assertIn("Epicentr", found.summary)

    def test_source_banner_says_who_or_nothing(self):
        banner = self.arch("epicentr.source", "form").xpath("//div[contains(@class, 'alert-success')]")[0]
        self.assertIn("not connected_as", banner.get("invisible"), "a connection marked ok by a sync names nobody")

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
                "epicentr_push_failed", "epicentr_status_unknown", "group_epicentr_source",
                "group_epicentr_status",
            }, filters, view)

    def test_filters_select_the_right_orders(self):
        search = self.arch("sale.order", "search", "sale.sale_order_view_search_inherit_quotation")
        domains = {node.get("name"): node.get("domain") for node in search.iter("filter")}
        order = self.env["sale.order"].create({"partner_id": self.env.user.partner_id.id})
        order.write({"epicentr_source_id": self.source.id, "epicentr_uuid": "x-1", "epicentr_status": "on_hold"})
        self.env["epicentr.outbox"].create({"source_id": self.source.id, "order_id": order.id, "kind": "status",
                                            "target_status": "confirmed", "state": "failed", "last_error": "HTTP 400"})
        Order = self.env["sale.order"]
        for name in ("epicentr_orders", "epicentr_push_failed", "epicentr_status_unknown"):
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
            "next_sync_at", "sync_progress", "sync_cursor_at", "last_run_created", "last_run_updated",
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
            source_form.sync_cursor_at = "2026-01-01 00:00:00"
        self.assertEqual(str(self.source.sync_cursor_at), "2026-01-01 00:00:00")

    def test_wizard_imports_an_order_by_number(self):
        card = next(iter(self.sandbox.store.orders.values()))
        wizard_form = Form(self.env["epicentr.order.import.wizard"].with_context(
            active_model="epicentr.source", active_id=self.source.id))
        self.assertEqual(wizard_form.source_id, self.source)
        wizard_form.number = f" {card['number']} "
        wizard = wizard_form.save()
        action = wizard.action_import()
        order = self.env["sale.order"].search([("epicentr_uuid", "=", card["id"])])
        self.assertEqual(len(order), 1)
        self.assertEqual(order.epicentr_number, card["number"])
        self.assertEqual(
            (action["type"], action["res_model"], action["res_id"], action["view_mode"]),
            ("ir.actions.act_window", "sale.order", order.id, "form"),
        )
        # importing it again refreshes the same order
        self.assertEqual(wizard.action_import()["res_id"], order.id)
        self.assertEqual(self.env["sale.order"].search_count([("epicentr_uuid", "=", card["id"])]), 1)
        # the form of the imported order renders with its values
        self.assertEqual(Form(order).epicentr_number, card["number"])
        self.assertEqual(self.sandbox.writes(), [], "the import wrote to Epicentr")

    # ------------------------------------------------------------------ push to Epicentr

    def epicentr_order(self, status="confirmed"):
        """An Epicentr order made with the ORM (nothing is read from or sent to Epicentr)."""
        product = self.env["product.product"].create({"name": "Drill", "type": "consu", "list_price": 1200})
        return self.env["sale.order"].create({
            "partner_id": self.env["res.partner"].create({"name": "Olena Kovalenko"}).id,
            "epicentr_source_id": self.source.id,
            "epicentr_uuid": str(uuid.uuid4()),
            "epicentr_number": "1234567",
            "epicentr_status": status,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})],
        })

    def test_source_form_status_rules_and_tracking(self):
        form = self.arch("epicentr.source", "form")
        self.assertLessEqual({
            "rule_ids", "send_tracking", "tracking_on_confirm", "tracking_on_delivery_done",
            "tracking_on_tracking_set", "token_revoked",
        }, self.field_names(form))
        rules = form.xpath("//page[@name='status_rules']//field[@name='rule_ids']/list")
        self.assertTrue(rules, "the Status Rules tab lists the rules")
        self.assertEqual(rules[0].get("editable"), "bottom")
        self.assertEqual(
            [(node.get("name"), node.get("widget")) for node in rules[0].iter("field")],
            [("sequence", "handle"), ("odoo_event", None), ("epicentr_status", None),
             ("require_tracking", None)])
        # the tracking triggers sit in the "Tracking Number" group and show when the switch is on
        tracking = form.xpath("//page[@name='status_rules']//group[@name='tracking']")[0]
        for name in ("tracking_on_confirm", "tracking_on_delivery_done", "tracking_on_tracking_set"):
            self.assertEqual(tracking.xpath(f".//field[@name='{name}']")[0].get("invisible"), "not send_tracking")
        # a red banner when Epicentr refused the token
        self.assertTrue(form.xpath("//div[contains(@class, 'alert-danger')][@invisible='not token_revoked']"))
        # the outbox of the source, for managers
        outbox = str(self.env.ref("epicentr_connector.epicentr_outbox_action").id)
        self.assertIn(outbox, {node.get("name") for node in form.iter("button")})

        # a source made in the form gets the default rules; they are edited in the tab
        with Form(self.env["epicentr.source"]) as source_form:
            source_form.name = "Third shop"
        source = source_form.save()
        self.assertEqual(
            sorted(source.rule_ids.mapped(lambda r: (r.odoo_event, r.epicentr_status, r.require_tracking))),
            [("delivery_done", "sent", True), ("order_cancelled", "canceled", False),
             ("order_confirmed", "confirmed", False)])
        with Form(source) as source_form:
            self.assertEqual(len(source_form.rule_ids), 3)
            with source_form.rule_ids.edit(0) as rule:
                rule.epicentr_status = "confirmed_by_merchant"
            source_form.send_tracking = True
            source_form.tracking_on_tracking_set = True
        self.assertEqual(source.rule_ids.filtered(lambda r: r.odoo_event == "order_confirmed").epicentr_status,
                         "confirmed_by_merchant")
        self.assertTrue(source.send_tracking and source.tracking_on_tracking_set)

    def test_outbox_views_menu_and_access(self):
        manager = new_test_user(self.env, "epicentr_views_manager",
                                groups="base.group_user,epicentr_connector.group_epicentr_manager")
        salesman = new_test_user(self.env, "epicentr_views_seller", groups="sales_team.group_sale_salesman")
        action = self.env.ref("epicentr_connector.epicentr_outbox_action")
        menu = self.env.ref("epicentr_connector.epicentr_outbox_menu")
        self.assertEqual(menu.action, action)
        self.assertEqual(menu.parent_id, self.env.ref("sale.menu_sale_config"))
        self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(manager)._visible_menu_ids())
        self.assertNotIn(menu.id, self.env["ir.ui.menu"].with_user(salesman)._visible_menu_ids())

        read = self.env["ir.actions.act_window"].with_user(manager)._for_xml_id(
            "epicentr_connector.epicentr_outbox_action")
        self.assertEqual((read["res_model"], read["view_mode"]), ("epicentr.outbox", "list,form"))
        views = self.env["epicentr.outbox"].with_user(manager).get_views(
            [(False, "list"), (False, "form"), (read["search_view_id"][0], "search")])["views"]
        listing, form, search = (etree.fromstring(views[kind]["arch"]) for kind in ("list", "form", "search"))
        self.assertLessEqual({
            "order_id", "kind", "target_status", "tracking_number", "state", "attempts", "next_attempt_at",
            "last_error", "create_date",
        }, self.field_names(listing))
        self.assertEqual(listing.get("create"), "0")
        self.assertTrue(listing.xpath("//header/button[@name='action_retry'][@type='object']"))
        retry = form.xpath("//header/button[@name='action_retry']")
        self.assertEqual(retry[0].get("invisible"), "state != 'failed'")
        self.assertEqual(form.get("edit"), "0")
        filters = {node.get("name") for node in search.iter("filter")}
        self.assertLessEqual({"waiting", "failed", "sent", "held", "group_source", "group_state", "group_kind"},
                             filters)
        # a salesman reads an order's entries (on the order form) but gets no retry button here
        listing = etree.fromstring(self.env["epicentr.outbox"].with_user(salesman).get_views(
            [(False, "list")])["views"]["list"]["arch"])
        self.assertFalse(listing.xpath("//button[@name='action_retry']"))

        # the filters select what they say; Retry on the selection sends the failed ones again
        order = self.epicentr_order()
        Push = self.env["epicentr.outbox"].sudo()
        failed, sent, held = Push.create([
            {"source_id": self.source.id, "order_id": order.id, "kind": "status", "target_status": "confirmed",
             "state": state, "last_error": "Epicentr refused: no"}
            for state in ("failed", "done", "held")])
        domains = {node.get("name"): node.get("domain") for node in search.iter("filter") if node.get("domain")}
        for name, entry in (("failed", failed), ("sent", sent), ("held", held)):
            found = Push.search([("order_id", "=", order.id)] + safe_eval(domains[name]))
            self.assertEqual(found, entry, name)
        (failed | sent | held).with_user(manager).action_retry()
        self.assertEqual((failed.state, sent.state, held.state), ("pending", "done", "held"))
        self.assertEqual(failed.attempts, 0)
        self.assertEqual(order.epicentr_push_state, "pending")

    def test_order_form_push_alerts_and_outbox(self):
        form = self.arch("sale.order", "form")
        retry = form.xpath("//div[contains(@class, 'alert-danger')][@invisible=\"epicentr_push_state != 'failed'\"]"
                           "//button[@name='action_epicentr_retry']")
        self.assertEqual(retry[0].get("type"), "object")
        waiting = form.xpath("//div[@invisible=\"epicentr_push_state != 'pending'\"]")
        self.assertTrue(waiting[0].xpath(".//field[@name='epicentr_push_error']"))
        outbox = form.xpath("//page[@name='epicentr']//field[@name='epicentr_outbox_ids']")
        self.assertEqual(outbox[0].get("readonly"), "1")
        self.assertLessEqual({"kind", "target_status", "tracking_number", "state", "last_error"},
                             self.field_names(outbox[0]))
        self.assertTrue(self.env["sale.order"]._fields["epicentr_outbox_ids"].readonly)

        # confirming records an entry, shown on the order; the order's Retry resends failed ones
        order = self.epicentr_order(status="new")
        order.action_confirm()
        self.env.cr.flush()  # the end of the click's transaction: what it noted is recorded
        entry = order.epicentr_outbox_ids
        self.assertEqual((entry.kind, entry.target_status, entry.state), ("status", "confirmed", "pending"))
        self.assertEqual(order.epicentr_push_state, "pending")
        entry.write({"state": "failed", "last_error": "Epicentr refused: the order is closed"})
        self.assertEqual(order.epicentr_push_state, "failed")
        salesman = new_test_user(self.env, "epicentr_views_retry", groups="sales_team.group_sale_salesman_all_leads")
        self.source.access_user_ids = [Command.link(salesman.id)]
        order.with_user(salesman).action_epicentr_retry()
        self.assertEqual((entry.state, order.epicentr_push_state), ("pending", "pending"))
        self.assertEqual(self.sandbox.writes(), [], "a click wrote to Epicentr before its commit")

    def test_picking_form_shows_the_order_push_failure(self):
        form = self.arch("stock.picking", "form")
        # beside the tracking reference, in stock_delivery's "Shipping Information" group
        shipping = form.xpath("//group[@name='carrier_data']")[0]
        self.assertLessEqual({"carrier_tracking_ref", "epicentr_push_state", "epicentr_push_error"},
                             self.field_names(shipping))
        order = self.epicentr_order()
        order.action_confirm()
        self.env.cr.flush()  # the end of the click's transaction: what it noted is recorded
        picking = order.picking_ids
        self.assertEqual(len(picking), 1)
        order.write({"epicentr_push_state": "failed",
                     "epicentr_push_error": "Epicentr refused: the recipient of the TTN differs from the order's"})
        stock_user = new_test_user(self.env, "epicentr_views_stock", groups="stock.group_stock_user")
        self.env.invalidate_all()
        as_stock_user = picking.with_user(stock_user)
        # the order's error is the order's: shown to those who may read the order (test_security)
        self.assertFalse(as_stock_user.epicentr_push_state)
        self.source.access_user_ids = [Command.link(stock_user.id)]
        self.env.invalidate_all()
        self.assertEqual(as_stock_user.epicentr_push_state, "failed")
        self.assertIn("recipient of the TTN differs", as_stock_user.epicentr_push_error)
        self.assertEqual(Form(as_stock_user).epicentr_push_state, "failed")

    def test_cancel_wizard_opens_from_action_cancel_with_the_reasons(self):
        order = self.epicentr_order()
        order.action_confirm()
        action = order.action_cancel()
        self.assertEqual((action["type"], action["res_model"], action["target"]),
                         ("ir.actions.act_window", "epicentr.cancel.wizard", "new"))
        self.assertEqual(order.state, "sale", "the wizard cancels, not the click that opens it")
        Wizard = self.env[action["res_model"]].with_context(**action["context"])
        arch = etree.fromstring(Wizard.get_views([(False, "form")])["views"]["form"]["arch"])
        self.assertLessEqual({"order_ids", "reason_key", "comment"}, self.field_names(arch))
        self.assertTrue(arch.xpath("//div[contains(@class, 'alert-warning')][@invisible='not past_new']"))

        # Epicentr's own lists, read from the API: the buyer's documented reasons and the seller's,
        # each labelled by who asks
        api_reasons = [(r["translationKey"], f"{label}: {r['title']}")
                       for role, label in (("customer", "The buyer asked"), ("merchant", "The seller's reason"))
                       for r in cancel_reasons(role)]
        api_reasons = list(dict(reversed(api_reasons)).items())[::-1]  # a key listed twice: its first label
        selection = [tuple(item) for item in Wizard.fields_get(["reason_key"])["reason_key"]["selection"]]
        self.assertEqual(selection, api_reasons)
        self.assertTrue(any(key.startswith("order.cancel_reason.") for key, _label in selection),
                        "a cancel the buyer asked for can be filed under the buyer's reason")
        with Form(Wizard) as wizard_form:
            self.assertTrue(wizard_form.past_new, "a confirmed order warns about the commission")
            wizard_form.reason_key = api_reasons[0][0]
            wizard_form.comment = "Out of stock"
        wizard = wizard_form.save()
        self.assertEqual(wizard.order_ids, order)
        wizard.action_cancel_orders()
        self.assertEqual(order.state, "cancel")
        self.env.cr.flush()  # the end of the click's transaction: what it noted is recorded
        entry = order.epicentr_outbox_ids.filtered(lambda e: e.event == "order_cancelled")
        self.assertEqual((entry.target_status, entry.cancel_reason_key, entry.cancel_comment, entry.state),
                         ("canceled", api_reasons[0][0], "Out of stock", "pending"))
        self.assertEqual(self.sandbox.writes(), [], "the cancellation is sent after the commit, by the outbox")
        self.assert_reasons_offered_without_epicentrs_lists(Wizard)

    def assert_reasons_offered_without_epicentrs_lists(self, Wizard):
        # when Epicentr cannot be read (and nothing is cached), the built-in list is offered
        self.env["epicentr.cancel.reason"].search([("source_id", "=", self.source.id)]).unlink()
        self.source.sudo().write({"cancel_reasons_at": False})
        self.sandbox.fault("503", count=5, path_contains="order-cancel-reasons")
        with mute_logger("odoo.addons.epicentr_connector.models.epicentr_cancel_reason"):
            self.env["epicentr.cancel.reason"]._refresh(self.source)
        selection = [tuple(item) for item in Wizard.fields_get(["reason_key"])["reason_key"]["selection"]]
        self.assertEqual([key for key, _label in selection], [key for key, _title in const.FALLBACK_CANCEL_REASONS])

        # Epicentr without the merchant list (the OpenAPI description has none): the buyer's list is still offered
        self.source.sudo().write({"cancel_reasons_at": False})
        self.sandbox.clear_faults()
        self.sandbox.store.disable_route("/v2/oms/order-cancel-reasons/merchant")
        self.addCleanup(self.sandbox.store.enable_route, "/v2/oms/order-cancel-reasons/merchant")
        with mute_logger("odoo.addons.epicentr_connector.models.epicentr_cancel_reason"):
            self.env["epicentr.cancel.reason"]._refresh(self.source)
        selection = [tuple(item) for item in Wizard.fields_get(["reason_key"])["reason_key"]["selection"]]
        self.assertEqual([key for key, _label in selection], [r["translationKey"] for r in cancel_reasons("customer")])

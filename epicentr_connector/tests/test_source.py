import logging
import socket

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import SANDBOX_TOKEN, EpicentrCommon


@tagged("post_install", "-at_install")
class TestSource(EpicentrCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env, login="epc_manager",
            groups="base.group_user,base.group_allow_export,epicentr_connector.group_epicentr_manager",
        )
        cls.salesman = new_test_user(
            cls.env, login="epc_salesman", groups="sales_team.group_sale_salesman",
        )
        cls.admin = cls.env.ref("base.user_admin")

    def _make_source(self, **vals):
        return self.env["epicentr.source"].create({"name": "Other shop", **vals})

    def _closed_port(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    # -- installation ---------------------------------------------------------------

    def test_installed(self):
        self.assertTrue(self.env["ir.model"]._get("epicentr.source"))
        action = self.env.ref("epicentr_connector.epicentr_source_action")
        self.assertEqual(action.res_model, "epicentr.source")
        menu = self.env.ref("epicentr_connector.epicentr_source_menu")
        self.assertEqual(menu.action, action)
        self.assertEqual(menu.parent_id, self.env.ref("sale.menu_sale_config"))
        group = self.env.ref("epicentr_connector.group_epicentr_manager")
        self.assertIn(self.admin, group.users)
        self.assertIn(self.env.ref("sales_team.group_sale_manager"), group.implied_ids)
        Menu = self.env["ir.ui.menu"]
        self.assertIn(menu.id, Menu.with_user(self.admin)._visible_menu_ids())
        # a user given only the Epicentr manager right reaches Sales → Configuration → Epicentr Sources
        self.assertIn(menu.id, Menu.with_user(self.manager)._visible_menu_ids())
        self.assertNotIn(menu.id, Menu.with_user(self.salesman)._visible_menu_ids())
        # the documented defaults
        self.assertEqual(self.source.history_days, 60)
        self.assertEqual(self.source.sync_interval, 10)
        self.assertEqual(self.source.company_id, self.env.company)
        self.assertEqual(self.source.connection_state, "untested")
        # the views load, and the Sales settings show the Epicentr block with the count
        self.env["epicentr.source"].get_views([(False, "form"), (False, "list"), (False, "search")])
        settings = self.env["res.config.settings"].with_user(self.admin)
        arch = settings.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("epicentr_source_count", arch)
        self.assertIn(f'name="{action.id}"', arch, "the settings block links to the sources")
        self.assertEqual(settings.create({}).epicentr_source_count, 1)
        self.assertEqual(self._make_source().base_url, "https://merchant-api.epicentrm.com.ua")
        self.assertEqual(settings.create({}).epicentr_source_count, 2)

    def test_base_url_must_be_https(self):
        with self.assertRaises(ValidationError):
            self._make_source(base_url="http://merchant-api.epicentrm.com.ua")
        source = self._make_source(base_url=" https://merchant-api.epicentrm.com.ua/ ")
        self.assertEqual(source.base_url, "https://merchant-api.epicentrm.com.ua")

    # -- test connection ------------------------------------------------------------

    def test_connection_ok(self):
        action = self.source.with_user(self.manager).action_test_connection()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(self.source.connection_state, "ok")
        self.assertFalse(self.source.last_error)
        [request] = self.sandbox.requests
        self.assertEqual((request.method, request.path, request.status), ("GET", "/v1/my/user", 200))
        # who the token belongs to, as the sandbox's /v1/my/user says
        user = self.source._get_client().get_user()
        expected = f"{user['firstName']} {user['lastName']} <{user['email']}>"
        self.assertIn(expected, self.source.connected_as)
        self.assertIn(str(user["companyId"]), self.source.connected_as)
        self.assertIn(self.source.connected_as, action["params"]["message"])
        self.assertFalse(self.sandbox.writes(), "testing the connection must not write to Epicentr")

    def test_new_token_resets_the_test_result(self):
        self.source.action_test_connection()
        self.assertEqual(self.source.connection_state, "ok")
        self.source.api_token = "  another-token\n"
        self.assertEqual(self.source.api_token, "another-token")
        self.assertEqual(self.source.connection_state, "untested")
        self.assertFalse(self.source.connected_as)

    @mute_logger("odoo.addons.epicentr_connector")
    def test_connection_wrong_token(self):
        token = "wrong-token-0123456789"
        source = self._make_source(base_url=self.sandbox.url, api_token=token)
        action = source.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertEqual(source.connection_state, "failed")
        self.assertIn("token", source.last_error)
        self.assertIn("401", source.last_error)
        self.assertEqual(action["params"]["message"], source.last_error)
        self.assertNotIn(token, source.last_error)

    @mute_logger("odoo.addons.epicentr_connector")
    def test_messages_are_translated(self):
        self.env["res.lang"]._activate_lang("uk_UA")
        self.env["ir.module.module"]._load_module_terms(["epicentr_connector"], ["uk_UA"])
        source = self._make_source(base_url=self.sandbox.url, api_token="wrong").with_context(lang="uk_UA")
        action = source.action_test_connection()
        self.assertEqual(action["params"]["title"], "Не вдалося підключитися до Епіцентру")
        self.assertIn("Епіцентр не прийняв API-токен (HTTP 401)", source.last_error)
        self.assertEqual(source.fields_get(["base_url"])["base_url"]["string"], "Адреса API")

    @mute_logger("odoo.addons.epicentr_connector")
    def test_connection_host_unreachable(self):
        source = self._make_source(
            base_url=f"http://127.0.0.1:{self._closed_port()}", api_token=SANDBOX_TOKEN,
        )
        source.action_test_connection()
        self.assertEqual(source.connection_state, "failed")
        self.assertIn("Cannot reach", source.last_error)
        self.assertIn("unreachable", source.last_error)

    # The button retries once: two requests.

    @mute_logger("odoo.addons.epicentr_connector")
    def test_connection_server_error(self):
        self.sandbox.fault("500", count=2, path_contains="/v1/my/user")
        self.source.action_test_connection()
        self.assertEqual(self.source.connection_state, "failed")
        self.assertIn("server error (HTTP 500)", self.source.last_error)

    def test_connection_server_error_once_is_retried(self):
        self.sandbox.fault("503", count=1, path_contains="/v1/my/user")
        self.source.action_test_connection()
        self.assertEqual(self.source.connection_state, "ok")

    @mute_logger("odoo.addons.epicentr_connector")
    def test_connection_dropped(self):
        self.sandbox.fault("drop", count=2, path_contains="/v1/my/user")
        self.source.action_test_connection()
        self.assertEqual(self.source.connection_state, "failed")
        self.assertIn("dropped the connection", self.source.last_error)

    @mute_logger("odoo.addons.epicentr_connector")
    def test_connection_malformed_answer(self):
        self.sandbox.fault("malformed", count=1, path_contains="/v1/my/user")
        self.source.action_test_connection()
        self.assertEqual(self.source.connection_state, "failed")
        self.assertIn("unexpected answer", self.source.last_error)

    def test_connection_without_token(self):
        source = self._make_source(base_url=self.sandbox.url)
        with self.assertRaisesRegex(UserError, "has no API token"):
            source.action_test_connection()

    def test_connection_test_is_for_managers(self):
        with self.assertRaises(AccessError):
            self.source.with_user(self.salesman).action_test_connection()

    def test_token_never_leaks(self):
        token = "leaky-token-9f8e7d6c5b4a"
        source = self._make_source(base_url=self.sandbox.url, api_token=token)
        self.env.flush_all()
        self.env.cr.precommit.run()  # the creation is logged; tracking starts after it
        with self.assertLogs("odoo.addons.epicentr_connector", level=logging.DEBUG) as logs:
            action = source.action_test_connection()
        self.env.flush_all()
        self.env.cr.precommit.run()  # writes the chatter tracking messages
        self.assertEqual(source.connection_state, "failed")
        messages = source.message_ids
        self.assertIn("Failed", messages.tracking_value_ids.mapped("new_value_char"),
                      "the failure is tracked in the chatter")
        chatter = " ".join(
            messages.mapped(lambda m: str(m.body))
            + messages.tracking_value_ids.mapped(lambda t: f"{t.old_value_char} {t.new_value_char}")
        )
        for text in (source.last_error, action["params"]["message"], chatter, "\n".join(logs.output)):
            self.assertNotIn(token, text)

    # -- security -------------------------------------------------------------------

    def test_token_hidden_from_non_system_manager(self):
        source = self.source.with_user(self.manager)
        self.assertEqual(source.read(["name"])[0]["name"], "Sandbox shop")
        with self.assertRaises(AccessError):
            source.read(["api_token"])
        with self.assertRaises(AccessError):
            source.search_read([("id", "=", source.id)], ["api_token"])
        with self.assertRaises(AccessError):
            source.export_data(["api_token"])
        with self.assertRaises(AccessError):
            source.write({"api_token": "stolen"})
        self.assertNotIn("api_token", source.fields_get())
        form_arch = source.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn("api_token", form_arch)
        # the manager can still prove the connection: the token is read through sudo
        source.action_test_connection()
        self.assertEqual(self.source.connection_state, "ok")

    def test_token_for_system_admin_only_and_not_exportable(self):
        source = self.source.with_user(self.admin)
        self.assertEqual(source.read(["api_token"])[0]["api_token"], SANDBOX_TOKEN)
        self.assertFalse(source.fields_get(["api_token"], ["exportable"])["api_token"]["exportable"])
        form_arch = source.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="api_token"', form_arch)
        self.assertIn('password="True"', form_arch)
        self.assertFalse(source.copy().sudo().api_token, "a copy starts without the token")

    def test_salesman_reads_only(self):
        self.source.access_user_ids = self.salesman  # a salesperson sees the sources they have access to
        source = self.source.with_user(self.salesman)
        self.assertEqual(source.name, "Sandbox shop")
        with self.assertRaises(AccessError):
            source.write({"name": "Renamed"})
        with self.assertRaises(AccessError):
            self.env["epicentr.source"].with_user(self.salesman).create({"name": "New"})

    def test_multi_company(self):
        other_company = self.env["res.company"].create({"name": "Other company"})
        other_source = self._make_source(company_id=other_company.id)
        Source = self.env["epicentr.source"].with_user(self.manager)
        self.assertIn(self.source, Source.search([]))
        self.assertNotIn(other_source, Source.search([]))
        with self.assertRaises(AccessError):
            other_source.with_user(self.manager).read(["name"])
        self.manager.write({"company_ids": [Command.link(other_company.id)]})
        Source = Source.with_context(allowed_company_ids=[self.env.company.id, other_company.id])
        self.assertIn(other_source, Source.search([]))

    def test_neutralize_clears_tokens(self):
        other = self._make_source(api_token="second-token", read_only=False)
        self.source.action_test_connection()
        self.env.flush_all()
        for query in get_neutralization_queries(["epicentr_connector"]):
            self.env.cr.execute(query)
        self.env.invalidate_all()
        for source in self.source | other:
            self.assertFalse(source.api_token)
            self.assertTrue(source.read_only)
            self.assertFalse(source.active)
            self.assertEqual(source.connection_state, "untested")
            self.assertFalse(source.connected_as)

"""Who sees which Epicentr orders: the global record rules of security/sale_order_security.xml.

Every check runs as a real user (``with_user``, never the superuser) through the ORM entry points
the web client uses: search, search_count, read_group, read, the order lines and the sales
analysis report. No sandbox is needed: the orders are created directly.
"""
from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

BASE_URL = "https://merchant-api.epicentrm.com.ua"
OUR_RULES = (
    "epicentr_connector.sale_order_rule_epicentr_access",
    "epicentr_connector.sale_order_line_rule_epicentr_access",
    "epicentr_connector.sale_report_rule_epicentr_access",
)


@tagged("post_install", "-at_install")
class TestAccess(TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Epicentr access company B"})
        cls.manager_group = cls.env.ref("epicentr_connector.group_epicentr_manager")
        cls._make_users()
        cls._make_sources()
        cls._make_orders()
        cls.env.flush_all()

    @classmethod
    def _make_users(cls):
        def user(login, groups, company=cls.company_a):
            return new_test_user(
                cls.env, login=login, groups=f"base.group_user,{groups}",
                company_id=company.id, company_ids=[Command.set(company.ids)],
            )

        own, all_docs = "sales_team.group_sale_salesman", "sales_team.group_sale_salesman_all_leads"
        manager = "epicentr_connector.group_epicentr_manager"
        cls.own_a = user("epc_acc_own_a", own)              # own documents, access to source A
        cls.own_none = user("epc_acc_own_none", own)        # own documents, no source access
        cls.all_a = user("epc_acc_all_a", all_docs)         # all documents, access to source A
        cls.all_b = user("epc_acc_all_b", all_docs)         # all documents, access to source B
        cls.all_none = user("epc_acc_all_none", all_docs)   # all documents, no source access
        cls.manager = user("epc_acc_manager", manager)      # Epicentr manager, in no access list
        cls.all_in_b = user("epc_acc_all_in_b", all_docs, cls.company_b)   # company B only
        cls.manager_in_b = user("epc_acc_manager_in_b", manager, cls.company_b)

    @classmethod
    def _make_sources(cls):
        Source = cls.env["epicentr.source"]
        cls.source_a = Source.create({
            "name": "Shop A", "base_url": BASE_URL, "company_id": cls.company_a.id,
            "access_user_ids": [Command.set((cls.own_a | cls.all_a | cls.all_in_b).ids)],
        })
        cls.source_b = Source.create({
            "name": "Shop B", "base_url": BASE_URL, "company_id": cls.company_a.id,
            "access_user_ids": [Command.set((cls.all_b | cls.all_in_b).ids)],
        })
        cls.source_c = Source.create({  # a source of company B
            "name": "Shop C", "base_url": BASE_URL, "company_id": cls.company_b.id,
            "access_user_ids": [Command.set(cls.all_in_b.ids)],
        })

    @classmethod
    def _make_orders(cls):
        cls.partner = cls.env["res.partner"].create({"name": "Epicentr access buyer"})
        cls.product = cls.env["product.product"].create({"name": "Epicentr access product", "list_price": 10})
        cls.orders = {}
        cls.order_number = 0

        def order(key, source=None, salesperson=None, company=cls.company_a):
            vals = {
                "partner_id": cls.partner.id,
                "company_id": company.id,
                "user_id": salesperson.id if salesperson else False,
                "order_line": [Command.create({"product_id": cls.product.id, "product_uom_qty": 1, "price_unit": 10})],
            }
            if source:
                cls.order_number += 1
                vals.update(
                    epicentr_source_id=source.id,
                    epicentr_uuid=f"00000000-0000-4000-8000-{cls.order_number:012d}",
                    epicentr_number=f"ACC-{cls.order_number}",
                )
            cls.orders[key] = cls.env["sale.order"].with_company(company).create(vals)

        order("a_free", cls.source_a)                         # source A, no salesperson
        order("a_own", cls.source_a, cls.own_a)               # source A, own_a's order
        order("a_other", cls.source_a, cls.own_none)          # source A, assigned to a user without access
        order("b_free", cls.source_b)
        order("b_own", cls.source_b, cls.own_a)               # own_a is the salesperson but has no access to B
        order("plain_free", None)                             # not from Epicentr
        order("plain_own_a", None, cls.own_a)
        order("plain_own_none", None, cls.own_none)
        order("c_free", cls.source_c, company=cls.company_b)  # company B
        order("plain_in_b", None, company=cls.company_b)
        cls.all_orders = cls.env["sale.order"].union(*cls.orders.values())
        cls.epicentr_keys = {"a_free", "a_own", "a_other", "b_free", "b_own", "c_free"}
        # What each user must see: Epicentr orders of their sources (all of them for a manager),
        # narrowed by the standard sales rules (own documents / company), and every order
        # not from Epicentr that the standard rules let through.
        cls.expected = {
            cls.own_a: {"a_free", "a_own", "plain_free", "plain_own_a"},
            cls.own_none: {"plain_free", "plain_own_none"},
            cls.all_a: {"a_free", "a_own", "a_other", "plain_free", "plain_own_a", "plain_own_none"},
            cls.all_b: {"b_free", "b_own", "plain_free", "plain_own_a", "plain_own_none"},
            cls.all_none: {"plain_free", "plain_own_a", "plain_own_none"},
            cls.manager: {"a_free", "a_own", "a_other", "b_free", "b_own",
                          "plain_free", "plain_own_a", "plain_own_none"},
            cls.all_in_b: {"c_free", "plain_in_b"},
            cls.manager_in_b: {"c_free", "plain_in_b"},
        }

    # -- helpers ----------------------------------------------------------------------

    def _orders(self, keys):
        return self.env["sale.order"].union(*(self.orders[key] for key in keys))

    def _keys(self, orders):
        by_id = {order.id: key for key, order in self.orders.items()}
        return {by_id[order_id] for order_id in orders.ids}

    def _domain(self):
        return [("id", "in", self.all_orders.ids)]

    def _report_domain(self):
        return [("order_reference", "in", [f"sale.order,{order_id}" for order_id in self.all_orders.ids])]

    def _visible(self, user):
        """The keys of the orders ``user`` finds with a plain search."""
        return self._keys(self.env["sale.order"].with_user(user).search(self._domain()))

    def _visible_in_report(self, user):
        rows = self.env["sale.report"].with_user(user).search(self._report_domain())
        return self._keys(self.env["sale.order"].browse({row.order_reference.id for row in rows}))

    def _assert_sees(self, user, keys):
        """``user`` sees exactly the orders ``keys`` through every read path of the ORM."""
        keys = set(keys)
        orders = self._orders(keys)
        Order = self.env["sale.order"].with_user(user)
        self.assertFalse(Order.env.su)
        login = user.login

        self.assertEqual(self._visible(user), keys, f"search as {login}")
        self.assertEqual(Order.search_count(self._domain()), len(keys), f"search_count as {login}")

        # Counts per source, the way the list view's group-by and the source's smart button get them.
        expected_counts = {}
        for order in orders:
            expected_counts[order.epicentr_source_id.id] = expected_counts.get(order.epicentr_source_id.id, 0) + 1
        counts = {source.id: count for source, count in Order._read_group(
            self._domain(), ["epicentr_source_id"], ["__count"])}
        self.assertEqual(counts, expected_counts, f"_read_group as {login}")
        counts = {(group["epicentr_source_id"] or [False])[0]: group["epicentr_source_id_count"]
                  for group in Order.read_group(self._domain(), ["epicentr_source_id"], ["epicentr_source_id"])}
        self.assertEqual(counts, expected_counts, f"read_group as {login}")

        # Forms: every visible order reads, every hidden one raises.
        self.assertEqual(len(Order.browse(orders.ids).read(["name", "epicentr_number"])), len(keys))
        for key in self.orders.keys() - keys:
            with self.assertRaises(AccessError, msg=f"{login} reads {key}"), mute_logger("odoo.addons.base.models.ir_rule"):
                Order.browse(self.orders[key].id).read(["name"])

        # Order lines (the lines list, the "Order Lines" of a product, the pivot over lines).
        Line = self.env["sale.order.line"].with_user(user)
        lines = Line.search([("order_id", "in", self.all_orders.ids)])
        self.assertEqual(set(lines.ids), set(orders.order_line.ids), f"order lines as {login}")
        self.assertEqual(Line.search_count([("order_id", "in", self.all_orders.ids)]), len(orders.order_line))
        hidden_lines = (self.all_orders - orders).order_line
        for line in hidden_lines:
            with self.assertRaises(AccessError, msg=f"{login} reads a line of {line.order_id.name}"), \
                    mute_logger("odoo.addons.base.models.ir_rule"):
                Line.browse(line.id).read(["name"])

        # The sales analysis report (a SQL view over the lines): rows and its pivot's totals.
        self.assertEqual(self._visible_in_report(user), keys, f"sale.report as {login}")
        [(orders_count, total)] = self.env["sale.report"].with_user(user)._read_group(
            self._report_domain(), [], ["order_reference:count_distinct", "price_total:sum"])
        self.assertEqual(orders_count, len(keys), f"sale.report order count as {login}")
        self.assertAlmostEqual(total, sum(orders.mapped("amount_total")), msg=f"sale.report total as {login}")

    # -- the matrix ---------------------------------------------------------------------

    def test_own_documents_salesman(self):
        """Sees the Epicentr orders of the sources they have access to, and only their own or
        unassigned ones; being the salesperson of an order of another source is not enough."""
        self._assert_sees(self.own_a, self.expected[self.own_a])
        self._assert_sees(self.own_none, self.expected[self.own_none])

    def test_all_documents_salesman(self):
        """"All documents" does not open the sources the user has no access to."""
        self._assert_sees(self.all_a, self.expected[self.all_a])
        self._assert_sees(self.all_b, self.expected[self.all_b])
        self._assert_sees(self.all_none, self.expected[self.all_none])

    def test_epicentr_manager_sees_all(self):
        self.assertFalse(self.manager in self.source_a.access_user_ids | self.source_b.access_user_ids)
        self._assert_sees(self.manager, self.expected[self.manager])

    def test_orders_not_from_epicentr_untouched(self):
        """For every user, the orders not from Epicentr are exactly those the standard sales
        rules give: the same with the Epicentr rules switched off."""
        rules = self.env["ir.rule"].union(*(self.env.ref(xmlid) for xmlid in OUR_RULES))
        plain = self.all_orders.filtered(lambda o: not o.epicentr_source_id)
        users = list(self.expected)

        def plain_visible():
            return {
                user: (
                    set(self.env["sale.order"].with_user(user).search([("id", "in", plain.ids)]).ids),
                    set(self.env["sale.order.line"].with_user(user).search([("order_id", "in", plain.ids)]).ids),
                    self._visible_in_report(user) - self.epicentr_keys,
                )
                for user in users
            }

        with_rules = plain_visible()
        rules.active = False  # ir.rule.write clears the rule cache
        without_rules = plain_visible()
        # Without the Epicentr rules the other sources' orders show up: the comparison is not vacuous.
        self.assertIn("b_free", self._visible(self.all_a))
        rules.active = True
        self.assertEqual(with_rules, without_rules)
        for user in users:
            self.assertEqual(self._keys(self.env["sale.order"].browse(with_rules[user][0])),
                             self.expected[user] - self.epicentr_keys, user.login)

    # -- changes take effect at once (the rule cache) ------------------------------------

    def test_granting_and_revoking_access_is_immediate(self):
        user = self.all_none
        self.assertEqual(self._visible(user), self.expected[user])  # fills the rule cache for the user
        self.source_a.access_user_ids = [Command.link(user.id)]
        granted = self.expected[user] | {"a_free", "a_own", "a_other"}
        self._assert_sees(user, granted)
        self.source_b.access_user_ids = [Command.link(user.id)]
        self.assertEqual(self._visible(user), granted | {"b_free", "b_own"})
        self.source_a.access_user_ids = [Command.unlink(user.id)]
        self.source_b.write({"access_user_ids": [Command.unlink(user.id)]})
        self._assert_sees(user, self.expected[user])

    def test_granting_access_to_own_documents_salesman_is_immediate(self):
        """An own-documents salesman given source B sees its unassigned order and their own one."""
        user = self.own_a
        self.assertEqual(self._visible(user), self.expected[user])
        self.source_b.access_user_ids = [Command.link(user.id)]
        self.assertEqual(self._visible(user), self.expected[user] | {"b_free", "b_own"})

    def test_salespeople_of_the_pool_see_the_source_orders(self):
        """Round-robin hands a pool member orders: being in the pool opens the source like access."""
        user = self.all_none
        self.source_b.salesperson_ids = [Command.link(user.id)]
        self._assert_sees(user, self.expected[user] | {"b_free", "b_own"})
        self.source_b.salesperson_ids = [Command.unlink(user.id)]
        self._assert_sees(user, self.expected[user])

    def test_portal_users_are_left_to_the_portal_rules(self):
        """A buyer's portal account sees its own Epicentr order through the portal rules."""
        order = self.orders["a_free"]
        portal = new_test_user(self.env, login="epc_portal", groups="base.group_portal")
        order.message_subscribe(partner_ids=portal.partner_id.ids)
        order.partner_id = portal.partner_id
        self.assertEqual(self.env["sale.order"].with_user(portal).search([("id", "=", order.id)]), order)

    def test_manager_group_is_immediate(self):
        user = self.all_none
        self.assertEqual(self._visible(user), self.expected[user])
        user.groups_id = [Command.link(self.manager_group.id)]
        self._assert_sees(user, self.expected[self.manager])
        # Taken away again: the user keeps the implied Sales administrator right, not the sources.
        user.groups_id = [Command.unlink(self.manager_group.id)]
        self.assertTrue(user.has_group("sales_team.group_sale_manager"))
        self._assert_sees(user, self.expected[self.all_none])
        # Added from the group's side (Settings > Groups > Users).
        self.manager_group.users = [Command.link(user.id)]
        self.assertEqual(self._visible(user), self.expected[self.manager])

    def test_archived_source_keeps_its_orders_visible(self):
        """Archiving a source stops its sync; its orders stay visible to the same users."""
        self.source_a.active = False
        self.assertEqual(self._visible(self.all_a), self.expected[self.all_a])
        self.assertEqual(self._visible(self.all_none), self.expected[self.all_none])
        self.assertEqual(self._visible_in_report(self.all_a), self.expected[self.all_a])

    # -- companies ----------------------------------------------------------------------

    def test_other_company_user_sees_none_of_company_a(self):
        """A user of company B only sees no Epicentr order of company A, not even of a source
        they are listed on, nor as an Epicentr manager: the standard company rule still applies."""
        self.assertIn(self.all_in_b, self.source_a.access_user_ids)
        for user in (self.all_in_b, self.manager_in_b):
            self._assert_sees(user, self.expected[user])

    def test_allowed_companies_narrow_the_sources(self):
        """A user of both companies sees source A's orders only while company A is selected."""
        user = self.all_in_b
        user.company_ids = [Command.link(self.company_a.id)]
        everything = {"a_free", "a_own", "a_other", "b_free", "b_own",
                      "plain_free", "plain_own_a", "plain_own_none", "c_free", "plain_in_b"}
        both = self.env["sale.order"].with_user(user).with_context(
            allowed_company_ids=[self.company_b.id, self.company_a.id])
        self.assertEqual(self._keys(both.search(self._domain())), everything)
        only_b = self.env["sale.order"].with_user(user).with_context(allowed_company_ids=[self.company_b.id])
        self.assertEqual(self._keys(only_b.search(self._domain())), {"c_free", "plain_in_b"})

    # -- writing --------------------------------------------------------------------------

    def test_hidden_orders_cannot_be_changed(self):
        order = self.orders["a_free"]
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_rule"):
            order.with_user(self.all_none).write({"note": "hidden"})
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_rule"):
            order.order_line.with_user(self.all_none).write({"name": "hidden"})
        order.with_user(self.all_a).write({"note": "visible"})
        self.assertTrue(order.note)

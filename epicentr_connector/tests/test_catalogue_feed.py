"""The catalogue feed: Epicentr's vocabulary read from the sandbox's PIM endpoints, Odoo's
categories and attributes mapped to it, and the feed Epicentr reads from Odoo over HTTP, checked
by the sandbox against Epicentr's rules (epicentr_sandbox/feed.py) as Epicentr's reader would."""

import base64
import io
import xml.etree.ElementTree as ET

import requests
from PIL import Image

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import SANDBOX_TOKEN, EpicentrSandboxMixin
from .epicentr_sandbox.pim import PIM


def jpeg(side):
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), (200, 80, 40)).save(buffer, "JPEG")
    return base64.b64encode(buffer.getvalue())


@tagged("post_install", "-at_install")
class TestCatalogueFeed(EpicentrSandboxMixin, HttpCase):
    sandbox_orders = 0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._start_sandbox()
        for lang in ("uk_UA", "ru_RU"):
            cls.env["res.lang"]._activate_lang(lang)
        cls.env["ir.config_parameter"].sudo().set_param("web.base.url", cls.base_url())
        cls.source = cls.env["epicentr.source"].create(
            {"name": "Feed shop", "base_url": cls.sandbox.url, "api_token": SANDBOX_TOKEN})
        cls.drills = cls.env["product.category"].create({"name": "Дрилі"})
        cls.power = cls.env["product.attribute"].create({
            "name": "Живлення", "create_variant": "no_variant",
            "value_ids": [Command.create({"name": "Акумулятор"}), Command.create({"name": "Мережа"})]})
        cls.colour = cls.env["product.attribute"].create({
            "name": "Колір", "value_ids": [Command.create({"name": "Чорний"}), Command.create({"name": "Білий"})]})

    def setUp(self):
        super().setUp()
        self.sandbox.clear_requests()

    def read_and_map(self):
        """Epicentr's vocabulary read; drills, the power source and the colours mapped by name."""
        self.source.action_read_catalogue()
        self.drills.epicentr_category_id = self.env["epicentr.category"].search([("code", "=", "drills")])
        self.source.action_read_catalogue()  # again: the options of the sets now in use come with it
        (self.power | self.colour).action_epicentr_suggest()

    def drill(self, code="MK-1", **values):
        """A product of the drills category, ready for Epicentr unless ``values`` say otherwise."""
        template = self.env["product.template"].with_context(lang="uk_UA").create({
            "name": "Дриль-шурупокрут Makita", "default_code": code, "categ_id": self.drills.id,
            "list_price": 4299.0, "description_sale": "Акумуляторний дриль-шурупокрут 12 В.",
            "image_1920": jpeg(600), "epicentr_brand": "Makita", "weight": 1.3,
            "country_of_origin": self.env.ref("base.cn").id,
            "epicentr_length": 300, "epicentr_width": 250, "epicentr_height": 90,
            "attribute_line_ids": [Command.create({"attribute_id": self.power.id,
                                                   "value_ids": [Command.set(self.power.value_ids[:1].ids)]})],
            **values})
        template.with_context(lang="ru_RU").write({"name": "Дрель-шуруповерт Makita"})
        return template

    def choose(self, templates):
        self.env["epicentr.offer.add.wizard"].create({
            "source_id": self.source.id, "product_ids": [Command.set(templates.product_variant_ids.ids)],
            "in_feed": True}).action_add()
        self.env.cr.precommit.run()  # what the commit of the click does
        return self.env["epicentr.offer"].search([("product_id", "in", templates.product_variant_ids.ids)])

    def fetch(self, key=None):
        return self.url_open(f"/epicentr/feed/{key or self.source.feed_key}.xml", timeout=60)

    def epicentr_reads(self):
        """The sandbox reads the feed from Odoo's URL as Epicentr does and says what it refuses."""
        answer = requests.post(f"{self.sandbox.url}/__sandbox__/feed/check", json={"url": self.source.feed_url},
                               timeout=120)
        answer.raise_for_status()
        return answer.json()

    def test_epicentr_vocabulary_is_read_page_by_page_and_again_without_doubles(self):
        self.read_and_map()
        categories = self.env["epicentr.category"].search([])
        self.assertEqual(sorted(categories.mapped("code")), sorted(PIM.categories))
        self.assertGreater(len(PIM.categories), 20, "more than a page")
        drills = categories.filtered(lambda c: c.code == "drills")
        self.assertEqual((drills.name, drills.parent_id.code, drills.attribute_set_ids.code), (
            "Дрилі та шурупокрути", "power_tools", "drill_driver"))
        self.assertTrue(categories.filtered(lambda c: c.deleted), "a category closed to sellers says so")
        self.assertEqual(self.drills.epicentr_attribute_set_id.code, "drill_driver", "the category's set by itself")
        power = self.env["epicentr.attribute"].search([("code", "=", "power_source")])
        self.assertEqual(sorted(power.option_ids.mapped("code")), sorted(PIM.option_codes("drill_driver", "power_source")))
        # the suggestion by name: the attribute, and the values that are Epicentr's options
        self.assertEqual(self.power.epicentr_attribute_id, power)
        self.assertEqual(self.power.value_ids[0].epicentr_option_id.code, "battery")
        self.assertEqual(self.colour.value_ids.epicentr_option_id.mapped("code"), ["black", "white"])
        self.source.action_read_catalogue()
        self.assertEqual(self.env["epicentr.category"].search_count([]), len(PIM.categories))

    def test_a_ready_product_goes_into_the_feed_and_epicentr_takes_it(self):
        self.read_and_map()
        template = self.drill()
        offer = self.choose(template)
        self.source.action_build_feed()
        self.assertTrue(offer.feed_ready, offer.feed_problems)
        response = self.fetch()
        self.assertEqual((response.status_code, response.headers["Content-Type"]),
                         (200, "application/xml; charset=utf-8"))
        [entry] = ET.fromstring(response.content).iter("offer")
        self.assertEqual((entry.get("id"), entry.get("available")), ("MK-1", "true"))
        self.assertEqual(entry.find("category").get("code"), "drills")
        self.assertEqual({n.get("lang"): n.text for n in entry.iter("name")},
                         {"ua": "Дриль-шурупокрут Makita", "ru": "Дрель-шуруповерт Makita"})
        params = {p.get("paramcode"): p for p in entry.iter("param")}
        self.assertEqual(params["power_source"].get("valuecode"), "battery")
        self.assertEqual((params["weight"].text, params["length"].text, params["measure"].get("valuecode")),
                         ("1300", "300", "measure_pcs"))
        self.assertEqual(entry.find("country_of_origin").get("code"), "chn")
        picture = self.url_open(entry.find("picture").text.replace(self.base_url(), ""))
        self.assertEqual((picture.status_code, picture.content[:2]), (200, b"\xff\xd8"))
        verdict = self.epicentr_reads()
        self.assertEqual((verdict["status"], verdict["ok"], verdict["problems"]), (200, ["MK-1"], {}))

    def test_what_epicentr_would_refuse_keeps_a_product_out_and_says_why(self):
        self.read_and_map()
        ready = self.drill("MK-1")
        small = self.drill("MK-2", image_1920=jpeg(300))
        bare = self.drill("MK-3", description_sale=False, epicentr_brand=False, attribute_line_ids=[])
        closed = self.drill("MK-4")  # its own category, which Epicentr has closed to sellers since
        closed.epicentr_category_id = self.env["epicentr.category"].search([("deleted", "=", True)], limit=1)
        offers = self.choose(ready | small | bare | closed)
        self.source.action_build_feed()
        problems = {o.product_id.default_code: o.feed_problems or "" for o in offers}
        self.assertFalse(problems["MK-1"])
        self.assertIn("300 × 300", problems["MK-2"])
        for words in ("No description in Ukrainian", "No brand", "Epicentr requires Тип живлення"):
            self.assertIn(words, problems["MK-3"])
        self.assertIn("takes no products", problems["MK-4"])
        verdict = self.epicentr_reads()
        self.assertEqual((verdict["offers"], verdict["ok"], verdict["problems"]), (1, ["MK-1"], {}))

    def test_variants_are_offers_of_their_own_with_their_option(self):
        self.read_and_map()
        template = self.drill("MK-V", default_code=False)
        template.attribute_line_ids = [Command.create({"attribute_id": self.colour.id,
                                                       "value_ids": [Command.set(self.colour.value_ids.ids)]})]
        for variant in template.product_variant_ids:  # Odoo keeps a code and a weight per variant
            variant.write({"default_code": f"MK-{variant.product_template_attribute_value_ids.name}", "weight": 1.3})
        offers = self.choose(template)
        self.source.action_build_feed()
        self.assertEqual(offers.mapped("feed_problems"), [False, False])
        entries = {e.get("id"): e for e in ET.fromstring(self.fetch().content).iter("offer")}
        self.assertEqual(sorted(entries), ["MK-Білий", "MK-Чорний"])
        colours = {code: next(p.get("valuecode") for p in e.iter("param") if p.get("paramcode") == "color")
                   for code, e in entries.items()}
        self.assertEqual(colours, {"MK-Білий": "white", "MK-Чорний": "black"})
        self.assertEqual(self.epicentr_reads()["problems"], {})

    def test_the_feed_follows_a_changed_product_and_only_it_is_made_again(self):
        self.read_and_map()
        first, second = self.drill("MK-1"), self.drill("MK-2")
        offers = self.choose(first | second)
        self.source.action_build_feed()
        # a mark on the unchanged entry: still there after the rebuild, it was not made again
        kept = offers.filtered(lambda o: o.product_id.default_code == "MK-2")
        self.env.cr.execute("UPDATE epicentr_offer SET feed_xml = feed_xml || '<!-- kept -->' WHERE id = %s", [kept.id])
        kept.invalidate_recordset()
        first.with_context(lang="uk_UA").name = "Дриль Makita нова"
        self.env.cr.precommit.run()  # what the commit of the edit does
        self.assertEqual(offers.mapped("feed_dirty"), [True, False])
        self.assertTrue(self.source.feed_stale)
        self.env["epicentr.source"]._cron_build_feeds()
        self.assertFalse(self.source.feed_stale)
        self.assertIn("Дриль Makita нова", self.fetch().text)
        self.assertIn("<!-- kept -->", self.fetch().text)

    def test_only_the_key_opens_the_feed_and_a_renewed_key_closes_the_old_address(self):
        self.read_and_map()
        self.choose(self.drill())
        self.assertEqual(self.fetch().status_code, 200, "made at the first read")
        self.assertEqual(self.fetch("x" * 32).status_code, 404)
        old = self.source.feed_key
        self.source.action_renew_feed_key()
        self.assertEqual(self.fetch(old).status_code, 404)
        self.assertEqual(self.fetch().status_code, 200)

    def test_a_feed_lists_its_own_company_products_only(self):
        self.read_and_map()
        other = self.env["res.company"].create({"name": "Other shop"})
        theirs = self.drill("OT-1", company_id=other.id)
        ours = self.drill("MK-1")
        with self.assertRaises(UserError):  # another company's product is no offer of this source
            self.choose(theirs)
        self.choose(ours)
        self.source.action_build_feed()
        self.assertEqual([e.get("id") for e in ET.fromstring(self.fetch().content).iter("offer")], ["MK-1"])

    def test_only_managers_read_the_vocabulary_make_the_feed_or_see_its_key(self):
        salesperson = new_test_user(self.env, "feed_salesperson", groups="base.group_user,sales_team.group_sale_salesman")
        source = self.source.with_user(salesperson)
        for action in ("action_read_catalogue", "action_build_feed", "action_renew_feed_key"):
            with self.subTest(action), self.assertRaises(AccessError):
                getattr(source, action)()
        with self.assertRaises(AccessError):
            source.read(["feed_key"])
        self.assertEqual(self.sandbox.requests, [], "nothing reached Epicentr")
        self.read_and_map()
        self.assertTrue(self.env["epicentr.category"].with_user(salesperson).search_count([]),
                        "Epicentr's vocabulary is readable by everyone (it is Epicentr's, public)")

    def test_products_are_chosen_by_category_or_by_price_list(self):
        self.read_and_map()
        sub = self.env["product.category"].create({"name": "Акумуляторні", "parent_id": self.drills.id})
        first, second, nameless = self.drill("MK-1"), self.drill("MK-2", categ_id=sub.id), self.drill("MK-3")
        nameless.default_code = False  # no internal reference: left out, and said so
        other = self.env["product.template"].create({"name": "Фарба", "default_code": "SN-1"})
        Wizard = self.env["epicentr.offer.add.wizard"]
        answer = Wizard.create({"source_id": self.source.id, "add_by": "category", "category_id": self.drills.id,
                                "in_feed": True}).action_add()
        self.assertIn("1 without an internal reference", answer["params"]["message"])
        offers = self.env["epicentr.offer"].search([("source_id", "=", self.source.id)])
        self.assertEqual(offers.product_id.product_tmpl_id, first | second)
        self.assertEqual(offers.mapped("in_feed"), [True, True])
        self.source.action_build_feed()
        self.assertEqual(offers.mapped("feed_problems"), [False, False], "a subcategory takes its parent's mapping")
        pricelist = self.env["product.pricelist"].create({"name": "Фарби", "item_ids": [
            Command.create({"applied_on": "1_product", "product_tmpl_id": other.id, "fixed_price": 99})]})
        Wizard.create({"source_id": self.source.id, "add_by": "pricelist", "pricelist_id": pricelist.id}).action_add()
        added = self.env["epicentr.offer"].search([("source_id", "=", self.source.id)]) - offers
        self.assertEqual((added.product_id.product_tmpl_id, added.in_feed), (other, False))

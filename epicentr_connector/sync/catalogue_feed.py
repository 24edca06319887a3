"""A source's catalogue feed: the ``yml_catalog`` file Epicentr reads from the source's feed URL
to create and update the seller's products (format in epicentr_sandbox/feed.py, which checks it
as Epicentr would).

Top to bottom: ``build`` → ``refresh_entries`` (each offer whose product, mapping, price or
stock changed gets its ``<offer>`` element made again, or the reasons Epicentr would refuse it:
``entry``) → ``write_file`` (the ready entries, streamed from the database into the file, which
replaces the previous one at once). A 20,000-product feed is never held whole in memory, and a
rebuild after a few products changed makes only their entries again.
"""

import datetime
import functools
import os
import tempfile
from xml.sax.saxutils import escape, quoteattr

from babel.core import get_global

from odoo import fields
from odoo.tools import SQL, config, is_html_empty, plaintext2html

from .offer_publish import wanted_values

BATCH = 500
MIN_PICTURE_SIDE = 500
# Epicentr's measure codes by Odoo's units (xmlid → valuecode); any other unit of the "Unit" kind is pieces
MEASURES = {"uom.product_uom_unit": "measure_pcs", "uom.product_uom_meter": "measure_m",
            "uom.uom_square_meter": "measure_m2", "uom.product_uom_kgm": "measure_kg",
            "uom.product_uom_litre": "measure_l"}
LANGS = {"ua": "uk_UA", "ru": "ru_RU"}
# the feed is Epicentr's to read: the names of the system params are Ukrainian, whoever makes it
SYSTEM_PARAMS = {"measure": "Одиниця виміру", "ratio": "Кратність", "weight": "Вага, г",
                 "length": "Довжина, мм", "width": "Ширина, мм", "height": "Висота, мм"}


@functools.cache
def alpha3():
    """ISO 3166 alpha-2 → Epicentr's three lower-case letters (``pol``), from the CLDR data Babel ships."""
    codes = {}
    for code, targets in get_global("territory_aliases").items():
        if len(code) == 3 and code.isalpha() and len(targets) == 1:
            codes.setdefault(targets[0], code.lower())
    return codes


def feed_path(env, source_id):
    return os.path.join(config.filestore(env.cr.dbname), "epicentr_feed", f"source-{source_id}.xml")


def element(tag, text="", **attrs):
    attributes = "".join(f" {name}={quoteattr(str(value))}" for name, value in attrs.items() if value not in (None, ""))
    return f"<{tag}{attributes}>{escape(str(text))}</{tag}>"


class CatalogueFeed:
    def __init__(self, source, base_url=None):
        # what keeps an offer out is written in the words of who makes the feed, else of the company
        self.source = source.sudo().with_context(lang=source.env.lang or source.company_id.partner_id.lang or "en_US")
        self.env = self.source.env
        self.base_url = (base_url or self.source.get_base_url()).rstrip("/")
        self.langs = {lang for lang in LANGS.values() if self.env["res.lang"]._lang_get(lang)}

    def build(self):
        """Make the changed entries again, then the file. Returns {"offers", "ready", "bytes"}."""
        self.refresh_entries()
        return self.write_file()

    # ------------------------------------------------------------------ the entries

    def refresh_entries(self):
        Offer = self.env["epicentr.offer"].with_context(active_test=False)
        while True:
            offers = Offer.search([("source_id", "=", self.source.id), ("in_feed", "=", True), ("feed_dirty", "=", True)],
                                  limit=BATCH, order="id")
            if not offers:
                return
            wanted = wanted_values(self.source, offers, priced=True)
            for offer in offers:
                xml, problems = self.entry(offer, wanted[offer.id])
                offer.write({"feed_xml": xml, "feed_problems": "\n".join(problems) or False,
                             "feed_ready": not problems, "feed_dirty": False})
            self.env.flush_all()
            self.env.invalidate_all()  # the batch's products, images and translations leave memory

    def entry(self, offer, wanted):
        """(the offer's ``<offer>`` element, []) or (False, what Epicentr would refuse, in words)."""
        product = offer.product_id
        if not (offer.active and product.active):
            return False, [self.env._("The offer or its product is archived.")]
        template = product.product_tmpl_id
        category, attribute_set = template._epicentr_place()
        facts = {
            "product": product, "template": template, "category": category, "set": attribute_set,
            "texts": {code: self.texts(product, lang) for code, lang in LANGS.items() if lang in self.langs},
            "country": alpha3().get(template.country_of_origin.code or ""), "measure": self.measure(product.uom_id),
            "sizes": {"weight": self.grams(product), "length": template.epicentr_length,
                      "width": template.epicentr_width, "height": template.epicentr_height},
        }
        params, missing = self.params(product, attribute_set)
        problems = self.refusals(facts, wanted) + missing
        if problems:
            return False, problems
        return self.offer_xml(facts, wanted, params), []

    def refusals(self, facts, wanted):
        """What Epicentr would refuse of the offer (its attributes aside), in words."""
        _ = self.env._
        product, template, category = facts["product"], facts["template"], facts["category"]
        checks = [
            (not product.default_code,
             _("No internal reference: it is the offer's id on Epicentr, which orders come back with.")),
            ("uk_UA" not in self.langs,
             _("Ukrainian is not installed in Odoo: Epicentr needs the name and description in Ukrainian.")),
            ("ua" in facts["texts"] and not facts["texts"]["ua"][1],
             _("No description in Ukrainian (the product's sales description).")),
            (not category, _("No Epicentr category: map the product category (or the product) to one.")),
            (category and (category.deleted or category.has_child),
             _("Epicentr's category %(category)s takes no products.", category=category.complete_name)),
            (category and not facts["set"],
             _("No Epicentr attribute set for the category %(category)s.", category=category.complete_name)),
            (not template.epicentr_brand, _("No brand.")),
            (not facts["country"], _("No country of origin.")),
            (not all(value > 0 for value in facts["sizes"].values()),
             _("Weight and dimensions (length, width and height in millimetres) are all needed.")),
            (not facts["measure"], _("Epicentr has no measure for the unit %(unit)s.", unit=product.uom_id.name)),
            (wanted["price"] <= 0, _("No price: set the source's price list for offers, or the product's sales price.")),
        ]
        picture = self.picture_problem(product)
        return [text for failed, text in checks if failed] + ([picture] if picture else [])

    def offer_xml(self, facts, wanted, params):
        product, template, category, texts = facts["product"], facts["template"], facts["category"], facts["texts"]
        parts = [element("price", f"{wanted['price']:.2f}")]
        if wanted["old_price"]:
            parts.append(element("price_old", f"{wanted['old_price']:.2f}"))
        parts += [element("category", category.name, code=category.code),
                  element("attribute_set", facts["set"].name, code=facts["set"].code)]
        parts += [element("name", name, lang=code) for code, (name, _description) in texts.items()]
        parts.append(element("picture", f"{self.base_url}/epicentr/feed/{self.source.id}/image/{product.id}.jpg"))
        parts += [element("description", description, lang=code) for code, (_name, description) in texts.items()
                  if description]
        parts += [element("vendor", template.epicentr_brand),
                  element("country_of_origin", template.country_of_origin.with_context(lang="uk_UA").name,
                          code=facts["country"])]
        parts += params
        system = {"measure": product.uom_id.with_context(lang="uk_UA").name, "ratio": 1, **facts["sizes"]}
        parts += [element("param", value, name=SYSTEM_PARAMS[code], paramcode=code,
                          valuecode=facts["measure"] if code == "measure" else None) for code, value in system.items()]
        available = "true" if wanted["availability"] in ("in_stock", "under_the_order") else "false"
        return (f'<offer id={quoteattr(product.default_code)} available="{available}">'
                + "".join(parts) + "</offer>\n")

    def texts(self, product, lang):
        """(name, description as HTML) in ``lang``; the description is the sales description, else
        the product's description; a Russian text equal to the Ukrainian one is left out."""
        product = product.with_context(lang=lang, display_default_code=False)
        template = product.product_tmpl_id
        description = template.description_sale and plaintext2html(template.description_sale)
        if not description and not is_html_empty(template.description):
            description = str(template.description)
        if lang != "uk_UA":
            ukrainian = self.texts(product, "uk_UA") if "uk_UA" in self.langs else (None, None)
            return (product.display_name if product.display_name != ukrainian[0] else "",
                    description if description != ukrainian[1] else "")
        return product.display_name, description or ""

    def picture_problem(self, product):
        """Why the product's picture would be refused (none, or smaller than 500 × 500), or None."""
        from odoo.tools.image import base64_to_image  # noqa: PLC0415 (Pillow only when a feed is built)

        image = product.image_1920
        if not image:
            return self.env._("No picture.")
        width, height = base64_to_image(image).size
        if min(width, height) < MIN_PICTURE_SIDE:
            return self.env._("The picture is %(width)s × %(height)s: Epicentr needs at least 500 × 500.",
                              width=width, height=height)
        return None

    def grams(self, product):
        """The variant's weight (Odoo keeps it per variant) in grams."""
        weight_uom = product.product_tmpl_id._get_weight_uom_id_from_ir_config_parameter()
        return round(weight_uom._compute_quantity(product.weight, self.env.ref("uom.product_uom_gram")))

    def measure(self, uom):
        for xmlid, code in MEASURES.items():
            if uom == self.env.ref(xmlid, raise_if_not_found=False):
                return code
        return "measure_pcs" if uom.category_id == self.env.ref("uom.product_uom_categ_unit") else None

    def params(self, product, attribute_set):
        """(``<param>`` elements of the product's attributes Epicentr's set has, [what is missing]).
        A variant gives its own value; an attribute that makes no variants gives all of the
        template's (several for a multi-select)."""
        _ = self.env._
        params, missing, given = [], [], set()
        for line in product.product_tmpl_id.attribute_line_ids:
            target = line.attribute_id.epicentr_attribute_id
            if not target or target not in attribute_set.attribute_ids:
                continue
            values = product.product_template_attribute_value_ids.filtered(
                lambda v, line=line: v.attribute_line_id == line).product_attribute_value_id or line.value_ids
            if target.value_type in ("select", "multiselect"):
                unmapped = values.filtered(lambda v: attribute_set not in v.epicentr_option_id.set_ids)
                if unmapped or (target.value_type == "select" and len(values) > 1):
                    missing.append(_("%(attribute)s: the value %(values)s needs one of Epicentr's options for this set.",
                                     attribute=line.attribute_id.name, values=", ".join(values.mapped("name"))))
                    continue
                params.append(element("param", ", ".join(values.mapped("name")), name=target.name,
                                      paramcode=target.code, valuecode=",".join(values.epicentr_option_id.mapped("code"))))
            else:
                params.append(element("param", ", ".join(values.mapped("name")), name=target.name, paramcode=target.code))
            given.add(target.id)
        for required in attribute_set.required_attribute_ids.filtered(lambda a: a.id not in given):
            missing.append(_("Epicentr requires %(attribute)s: map an Odoo attribute of the product to it.",
                             attribute=required.name))
        return params, missing

    # ------------------------------------------------------------------ the file

    def write_file(self):
        """The ready entries into the feed file, read from the database a page at a time."""
        path = feed_path(self.env, self.source.id)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        now = fields.Datetime.context_timestamp(self.source.with_context(tz="Europe/Kyiv"), datetime.datetime.now())
        counts = {"offers": 0, "ready": 0}
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=os.path.dirname(path), delete=False) as file:
            file.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<yml_catalog date="{now:%Y-%m-%d %H:%M}">\n<offers>\n')
            # a server-side cursor: the entries come a page at a time, never all at once
            cr = self.env.cr
            cr.execute(SQL("DECLARE epicentr_feed NO SCROLL CURSOR FOR SELECT feed_xml FROM epicentr_offer "
                           "WHERE source_id = %s AND in_feed AND active AND feed_ready ORDER BY id", self.source.id))
            while True:
                cr.execute("FETCH 1000 FROM epicentr_feed")
                rows = cr.fetchall()
                if not rows:
                    break
                file.writelines(xml for (xml,) in rows)
                counts["ready"] += len(rows)
            cr.execute("CLOSE epicentr_feed")
            file.write("</offers>\n</yml_catalog>\n")
        os.replace(file.name, path)
        counts["offers"] = self.env["epicentr.offer"].search_count(
            [("source_id", "=", self.source.id), ("in_feed", "=", True)])
        counts["bytes"] = os.path.getsize(path)
        self.source.write({"feed_built_at": fields.Datetime.now(), "feed_stale": False,
                           "feed_ready_count": counts["ready"], "feed_bytes": counts["bytes"]})
        return counts


"""Prepare (or refresh) the demo database: UAH, products with stock, salespeople, a source on the
sandbox that publishes the catalogue's prices and availability.

    $VENV/bin/python tools/demo_setup.py DB SANDBOX_URL TOKEN

Idempotent: a rerun only points the source at the sandbox's current address. The source ships
with Epicentr's waybills: its sender's branches are read from the sandbox's dictionaries. Its
catalogue feed lists the catalogue's products, their categories and attributes mapped to Epicentr's
vocabulary (read from the sandbox), the last three kept out for what they lack. Four
orders show the ways goods come back: a refused parcel, a return requested, a return confirmed,
and a return of part of the goods.
"""

import os
import sys

import requests

import odoo
from odoo import SUPERUSER_ID, api, fields
from odoo.fields import Command

from epicentr_sandbox.generator import CATALOGUE
from epicentr_sandbox.pim import CATALOGUE_CATEGORY, CATALOGUE_PARAMS

SALESPEOPLE = [("olena", "Олена Коваленко"), ("taras", "Тарас Шевчук"), ("mariana", "Мар'яна Григор'єва")]
UNMATCHED_EVERY = 5  # every 5th catalogue product is left out, so some lines need mapping


def main(db, sandbox_url, token):
    odoo.tools.config.parse_config([f"--addons-path={os.environ['ADDONS_PATH']}", "-d", db, "--log-level=warn"])
    with odoo.modules.registry.Registry(db).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"lang": "uk_UA"})
        source = env["epicentr.source"].with_context(active_test=False).search([("name", "=", "Epicentr (demo)")])
        if source:
            source.write({"base_url": sandbox_url, "active": True})
            return
        company = env.company
        uah = env.ref("base.UAH")
        uah.active = True
        company.write({"name": "Будмаркет (demo)", "currency_id": uah.id, "country_id": env.ref("base.ua").id})
        env.ref("base.lang_uk_UA").active = True
        pricelist = env["product.pricelist"].create({"name": "Epicentr UAH", "currency_id": uah.id})
        env["product.product"].create([
            {"name": title, "default_code": external_id or sku, "list_price": price, "is_storable": True,
             "weight": round(0.4 + (index % 7) * 0.6, 1)}
            for index, (title, external_id, sku, price, _unit) in enumerate(CATALOGUE)
            if index % UNMATCHED_EVERY != UNMATCHED_EVERY - 1
        ])
        salesman = env.ref("sales_team.group_sale_salesman")
        users = env["res.users"].create([
            {"login": login, "password": login, "name": name, "lang": "uk_UA", "tz": "Europe/Kyiv",
             "groups_id": [Command.set([env.ref("base.group_user").id, salesman.id])]}
            for login, name in SALESPEOPLE
        ])
        source = env["epicentr.source"].create({
            "name": "Epicentr (demo)", "base_url": sandbox_url, "api_token": token, "pricelist_id": pricelist.id,
            "salesperson_ids": [Command.set(users.ids)], "access_user_ids": [Command.set(users.ids)],
            "send_tracking": True, "team_id": env.ref("sales_team.team_sales_department").id,
            "waybill_first_name": "Олена", "waybill_last_name": "Коваленко", "waybill_phone": "+380671234567",
        })
        configure_waybills(env, source)
        publish_catalogue(env, source, pricelist)
        env.ref("base.user_admin").write({"lang": "uk_UA", "tz": "Europe/Kyiv"})
        configure_feed(env, source)
        stage_returns(env, source, sandbox_url)


def configure_waybills(env, source, city="Київ"):
    """The sender's settlement and first branch in ``city`` for each service Epicentr makes waybills for,
    as an administrator picks them: searched in Epicentr's dictionaries."""
    Place = env["epicentr.place"]
    for provider in ("nova_poshta", "ukrposhta", "meest", "cvz_epicentr", "parcel_box_epicentr"):
        lookup = {"source_id": source.id, "provider": provider}
        settlements = Place.with_context(epicentr_dictionary=lookup).name_search(
            city, [("provider", "=", provider), ("settlement_uuid", "=", False)])
        settlement = Place.browse(next((id_ for id_, title in settlements if title == city), settlements[0][0]))
        offices = Place.with_context(epicentr_dictionary={**lookup, "settlement_id": settlement.id}).name_search(
            "1", [("provider", "=", provider), ("settlement_uuid", "=", settlement.epicentr_uuid)], limit=1)
        env["epicentr.waybill.sender"].create({"source_id": source.id, "provider": provider,
                                               "settlement_id": settlement.id, "office_id": offices[0][0]})


def publish_catalogue(env, source, pricelist):
    """The catalogue's products on Epicentr: stock for three in four of them, Epicentr's price 5 %
    under the sales price (shown crossed out as the old price), the first publication confirmed."""
    warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
    products = env["product.product"].search([("default_code", "!=", False), ("is_storable", "=", True)])
    for index, product in enumerate(products):
        if index % 4:
            env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 2 + index % 7)
    pricelist.item_ids = [Command.create({"applied_on": "3_global", "compute_price": "percentage",
                                          "percent_price": 5})]
    env["epicentr.offer"].create([{"source_id": source.id, "product_id": product.id, "sku": product.default_code}
                                  for product in products])
    source.write({"publish_availability": True, "publish_prices": True, "offer_pricelist_id": pricelist.id,
                  "offer_old_price": "list_price", "offer_warehouse_id": warehouse.id,
                  "offers_confirmed_at": fields.Datetime.now()})


def configure_feed(env, source):
    """The catalogue feed as a seller sets it up: Epicentr's vocabulary read, one product category
    per Epicentr category, the attributes and their values mapped, the products given what Epicentr
    asks (the last three without a brand, so the feed says what keeps them out), all listed."""
    import base64
    import io

    from PIL import Image

    source.action_read_catalogue()
    Category = env["epicentr.category"]
    categories = {}
    for code in sorted(set(CATALOGUE_CATEGORY.values())):
        target = Category.search([("code", "=", code)])
        categories[code] = env["product.category"].create({"name": target.name, "epicentr_category_id": target.id})
    source.action_read_catalogue()  # the options of the attribute sets now in use
    attributes, countries = {}, [env.ref(f"base.{code}") for code in ("cn", "pl", "de", "ua")]
    for index, (title, sku, external_id, _price, _unit) in enumerate(CATALOGUE):
        template = env["product.product"].search([("default_code", "=", external_id or sku)]).product_tmpl_id
        if not template:
            continue
        lines = []
        for code, value in CATALOGUE_PARAMS[sku].items():
            target = env["epicentr.attribute"].search([("code", "=", code)])
            option = target.option_ids.filtered(lambda o, value=value: o.code == value)
            attribute = attributes.get(code) or env["product.attribute"].create(
                {"name": target.name, "create_variant": "no_variant", "epicentr_attribute_id": target.id})
            attributes[code] = attribute
            name = option.name or value
            value_record = attribute.value_ids.filtered(lambda v, name=name: v.name == name) or env[
                "product.attribute.value"].create({"attribute_id": attribute.id, "name": name,
                                                   "epicentr_option_id": option.id})
            lines.append(Command.create({"attribute_id": attribute.id, "value_ids": [Command.set(value_record.ids)]}))
        picture = io.BytesIO()
        Image.new("RGB", (800, 800), ((index * 53) % 256, (index * 97) % 256, 160)).save(picture, "JPEG")
        brand = next((word for word in title.split() if word.isascii() and word[:1].isupper()), "Будмаркет")
        template.write({
            "categ_id": categories[CATALOGUE_CATEGORY[sku]].id, "description_sale": f"{title}. Гарантія 12 місяців.",
            "image_1920": base64.b64encode(picture.getvalue()), "country_of_origin": countries[index % 4].id,
            "epicentr_brand": brand if index < len(CATALOGUE) - 3 else False,
            "epicentr_length": 200 + index * 10, "epicentr_width": 150, "epicentr_height": 100,
            "attribute_line_ids": lines})
    env["epicentr.offer"].search([("source_id", "=", source.id)]).write({"in_feed": True})
    source.action_build_feed()


def stage_returns(env, source, sandbox_url):
    """One of each way goods come back: orders made on the sandbox, shipped from Odoo with a
    tracking number (sent to Epicentr), then moved along by Epicentr; the sync that follows prepares
    their returns. Orders whose goods are not all in stock are left as ordinary confirmed orders."""
    control = f"{sandbox_url}/__sandbox__/orders"
    stock = {p.default_code: p.qty_available for p in env["product.product"].search([("is_storable", "=", True)])}
    cards = []
    for _attempt in range(40):
        card = requests.post(control, timeout=10, json={  # by Nova Poshta: the tracking numbers below are its
            "statusCode": "confirmed", "address": {"shipment": {"provider": "nova_poshta"}}}).json()
        if all(stock.get(item["productExternalId"] or item["sku"], 0) >= max(2, item["quantity"])
               for item in card["items"]):
            cards.append(card)
            if len(cards) == 4:
                break
    refused, requested, returned, partial = cards
    if len(partial["items"]) == 1:  # a partial return needs two units at least
        requests.post(f"{control}/{partial['id']}/items", timeout=10,
                      json={"quantities": {partial["items"][0]["offerId"]: 2}}).raise_for_status()
    source._sync_orders()
    for number, card in enumerate(cards, start=1):
        order = env["sale.order"].search([("epicentr_source_id", "=", source.id), ("epicentr_uuid", "=", card["id"])])
        if order.state == "draft":
            order.action_confirm()
        picking = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
        picking.carrier_tracking_ref = f"2045000000{number:04d}"
        picking.move_ids.write({"picked": True})
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.with_context(skip_sms=True).button_validate()
    env.cr.flush()
    env["epicentr.outbox"]._cron_send()  # the tracking numbers reach Epicentr: the parcels are sent

    def platform(card, code, **body):
        requests.post(f"{control}/{card['id']}/status/{code}", json=body, timeout=10).raise_for_status()

    platform(refused, "canceled", reasonCode="customer_refused_at_office")
    for card in (requested, returned, partial):
        platform(card, "completed")
        platform(card, "return_requested")
    platform(returned, "returned")
    first = partial["items"][0]["offerId"]  # the buyer keeps one unit of the first item, returns the rest
    requests.post(f"{control}/{partial['id']}/items", timeout=10, json={
        "quantities": {first: 1}, "remove": [item["offerId"] for item in partial["items"][1:]]}).raise_for_status()
    platform(partial, "returned")
    source._sync_orders()


if __name__ == "__main__":
    main(*sys.argv[1:4])

"""`make bench`: the connector's figures against a plain-ORM baseline, in one run on one server.

    source ~/.cache/epicentr_connector/env.sh
    $VENV/bin/python tools/bench.py [--orders 5000 | --large] [--latency 0 100] [--db epicentr_bench] [--profile FILE]

Runs the real thing: a sandbox process serving a generated history (1-5 lines an order) over
HTTP on 127.0.0.1, and - in this process - Odoo on fresh copies of a template database that has
the addon installed (`DB_template`, created or updated on the way):

(b) history import: the connector's own sync (`_sync_orders(commit=True)`, the cron's code path,
    committing after each page) into DB, once per --latency (the sandbox answers every request
    that many ms late, as a live Epicentr tens of ms away; 0 and 100 by default), each into a
    fresh copy; the sandbox also reports the most requests it had in flight at once;
(c) incremental poll with nothing new: HTTP requests and SQL queries;
(a) baseline into DB_baseline: the same orders (read back from the sandbox, untimed) created
    straight through the ORM - partners and products up front (untimed), then
    `sale.order.create()` of 200 orders at a time with their lines; no HTTP, no matching;
(d) push burst: 200 new orders appear on the sandbox and are imported, then confirmed in one
    transaction and committed; `epicentr.outbox._cron_send()` then runs in this process
    (committing after each order, as the cron does). Latency = the sandbox's arrival time of each
    order's change-status calls (RequestRecord.received, wall clock) minus the commit's.

Prints orders/s, SQL queries per order, HTTP requests, peak memory (ru_maxrss of this process,
which runs every phase: the value after each phase is the peak so far), the ratio (b)/(a) and
the push latency (median, worst). (b) and (a) also give the CPU time of this process (Odoo's
Python side; PostgreSQL and the sandbox run elsewhere), and the ratio in that CPU time: on a
machine busy with other work it moves much less than the wall-clock figures.
(e) publication (--offers N, 20,000 by default): N products (half of them with stock) become offers
    of the source and of the sandbox's Epicentr; the first publication runs through the cron's code,
    committed call after call, until every offer is final on Epicentr (POSTs, result reads, time,
    CPU per offer); then 1,000 of them sell out and one cron call after that commit sends them.
(f) waybill wave (--wave N, 200 by default; 0 skips): N Ukrposhta orders, paid on delivery, are
    imported and confirmed; their deliveries are validated in one transaction and committed; the
    outbox cron then asks Epicentr for the N waybills (committing after each order) until none is
    pending: seconds from the commit, requests by kind, labels attached; then *Print Epicentr
    Waybills* merges the N labels into one PDF.
(g) catalogue feed (--feed N, 20,000 by default; 0 skips, and needs (e)): Epicentr's vocabulary is
    read from the sandbox, N of (e)'s products are made ready (one picture and the attribute given in
    SQL, untimed: Odoo's own would resize the picture and build the attribute lines for an hour) and
    listed in the feed; the feed is made through the cron's code: seconds, resident
    memory before and at most during it (sampled), bytes; then 100 products change and it is made again.
--profile FILE writes a cProfile of the history import.
"""

import argparse
import cProfile
import json
import os
import pstats
import resource
import shlex
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from scripting import copy_template_database, free_port

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-token"
BATCH = 200  # baseline orders per create()
BURST = 200  # status pushes


def http(method, url, body=None, seconds=60):
    """The JSON answer of a sandbox call; retried while the sandbox is starting."""
    data = json.dumps(body).encode() if body is not None else None
    deadline = time.monotonic() + seconds
    while True:
        try:
            request = urllib.request.Request(url, data=data, method=method,
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as response:
                payload = response.read()
            return json.loads(payload) if payload else None
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def rss_mb():
    """The process's resident memory now (peak_mb() is the peak of the whole run)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline(env, orders):
    """(a): the same orders through the ORM in batches; returns (seconds, queries, CPU seconds) of the
    order creation."""
    cr = env.cr
    names = {}
    for order in orders:
        address = order.get("address") or {}
        name = " ".join(p for p in (address.get("lastName"), address.get("firstName")) if p) or "Epicentr buyer"
        names.setdefault((name, address.get("phone") or ""), None)
    partners = env["res.partner"].create([{"name": n, "phone": p or False} for n, p in names])
    for key, partner in zip(names, partners):
        names[key] = partner.id
    skus = {}
    for order in orders:
        for item in order["items"]:
            skus.setdefault(item.get("sku") or item["productId"], item)
    products = env["product.product"].create([
        {"name": item["title"], "default_code": sku, "list_price": item["price"], "type": "consu"}
        for sku, item in skus.items()])
    product_ids = dict(zip(skus, products.ids))
    cr.commit()

    def values(order):
        address = order.get("address") or {}
        name = " ".join(p for p in (address.get("lastName"), address.get("firstName")) if p) or "Epicentr buyer"
        return {"partner_id": names[(name, address.get("phone") or "")], "client_order_ref": order["number"],
                "note": order.get("comment") or False,
                "order_line": [(0, 0, {"product_id": product_ids[item.get("sku") or item["productId"]],
                                       "product_uom_qty": item["quantity"], "price_unit": item["price"]})
                               for item in order["items"]]}

    queries, started, cpu = cr.sql_log_count, time.perf_counter(), time.process_time()
    for start in range(0, len(orders), BATCH):
        env["sale.order"].create([values(order) for order in orders[start:start + BATCH]])
        cr.commit()
        env.invalidate_all()
    return time.perf_counter() - started, cr.sql_log_count - queries, time.process_time() - cpu


def history_import(env, source, base, latency, args, report):
    """(b) at one latency: the connector's sync, the cron's path, until the history is in."""
    cr = env.cr
    if args.parallel_reads:
        source.parallel_reads = args.parallel_reads
        cr.commit()
    if args.page_size:
        from odoo.addons.epicentr_connector.utils.switches import ServerOnly
        source = source.with_context(epicentr_page_size=ServerOnly(args.page_size))
    http("POST", f"{base}/__sandbox__/load", {"latency_ms": latency, "list_joins_places": args.list_joins_places})
    http("DELETE", f"{base}/__sandbox__/requests")
    profiler = cProfile.Profile() if args.profile else None
    queries, started, cpu = cr.sql_log_count, time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    while source._sync_orders(commit=True).get("more", True):  # the cron's path
        pass
    if profiler:
        profiler.disable()
        profiler.dump_stats(f"{args.profile}.{latency:g}ms" if len(args.latency) > 1 else args.profile)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    queries = cr.sql_log_count - queries
    imported = env["sale.order"].search_count([("epicentr_source_id", "=", source.id)])
    requests = len(http("GET", f"{base}/__sandbox__/requests"))
    in_flight = http("GET", f"{base}/__sandbox__/load")["max_in_flight"]
    joined = ", list entries with places joined" if args.list_joins_places else ""
    report(f"(b) history import at {latency:g} ms a request{joined}: {imported} orders in {seconds:.1f} s = "
           f"{imported / seconds:.0f} orders/s ({cpu:.1f} s CPU in this process); {queries / imported:.1f} SQL "
           f"queries/order; {requests} HTTP requests, at most {in_flight} in flight; peak memory so far {peak_mb():.0f} MB")
    return {"rate": imported / seconds, "cpu": cpu, "orders": imported}


def offer_requests(base):
    """(POSTs, result reads, answers 429) the sandbox recorded on the offers routes."""
    records = [r for r in http("GET", f"{base}/__sandbox__/requests") if r["path"].startswith("/v1/offers")]
    return (sum(r["method"] == "POST" for r in records), sum("/update-results/" in r["path"] for r in records),
            sum(r["status"] == 429 for r in records))


def publish_until_done(env, base):
    """Cron calls, committed, until no offer waits to be sent or for its result; a call that finds
    nothing due yet (Epicentr's rate window, results not ready) is followed by the next after
    0.2 s, as its cron trigger would. Returns (seconds, CPU seconds, the most resident memory seen, MB)."""
    Offer, cr = env["epicentr.offer"], env.cr
    started, cpu, rss = time.perf_counter(), time.process_time(), rss_mb()
    while Offer.search_count(["|", ("to_check", "=", True), ("state", "=", "queued")]):
        Offer._cron_publish()
        cr.commit()
        env.invalidate_all()
        rss = max(rss, rss_mb())
        time.sleep(0.2)
    return time.perf_counter() - started, time.process_time() - cpu, rss


def publication(env, base, count, report):
    """(e) the first publication of ``count`` offers (half of them with stock), then 1,000 stock changes."""
    from odoo import fields as odoo_fields

    cr = env.cr
    warehouse = env["stock.warehouse"].search([], limit=1)
    products = env["product.product"]
    for start in range(0, count, 1000):
        products |= env["product.product"].create([
            {"name": f"Offer {n}", "default_code": f"OFFER-{n:06d}", "is_storable": True, "list_price": 100 + n % 900}
            for n in range(start, min(start + 1000, count))])
    for product in products[::2]:
        env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 5)
    source = env["epicentr.source"].search([("name", "=", "Bench")])
    for start in range(0, count, 1000):
        batch = products[start:start + 1000]
        env["epicentr.offer"].create([{"source_id": source.id, "product_id": p.id, "sku": p.default_code} for p in batch])
        http("POST", f"{base}/__sandbox__/offers", {"offers": [
            {"productId": str(90_000_000 + p.id), "sku": p.default_code, "price": 1.0} for p in batch]})
    source.write({"publish_availability": True, "publish_prices": True, "offer_warehouse_id": warehouse.id,
                  "offer_pricelist_id": env["product.pricelist"].create({"name": "Epicentr"}).id,
                  "offers_confirmed_at": odoo_fields.Datetime.now()})
    cr.commit()
    env.invalidate_all()
    http("DELETE", f"{base}/__sandbox__/requests")
    before = rss_mb()
    seconds, cpu, rss = publish_until_done(env, base)
    posts, reads, refused = offer_requests(base)
    done = env["epicentr.offer"].search_count([("state", "=", "done")])
    report(f"(e) first publication of {count} offers: {posts} POST /v1/offers + {reads} result reads in "
           f"{seconds:.1f} s ({refused} answered 429 by the sandbox's 120 requests / 120 s); {done} offers on Epicentr; {cpu * 1000 / count:.2f} ms "
           f"CPU per offer in this process; resident memory {before:.0f} MB before, at most {rss:.0f} MB during it")
    http("DELETE", f"{base}/__sandbox__/requests")
    for product in products[:2000:2]:  # 1,000 products with stock sell out
        env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, -5)
    cr.commit()  # the commit marks their offers
    env.invalidate_all()
    started = time.perf_counter()
    env["epicentr.offer"]._cron_publish()
    cr.commit()
    one_call = time.perf_counter() - started
    posts_one, _reads, _refused = offer_requests(base)
    seconds, _cpu, _rss = publish_until_done(env, base)
    posts, reads, _refused = offer_requests(base)
    report(f"    after 1,000 stock changes: {posts_one} POST in the first cron call after the commit "
           f"({one_call:.1f} s), {posts} POST + {reads} result reads in all, final after {one_call + seconds:.1f} s")


def memory_sampler():
    """(start, stop → the most resident memory seen, MB): a thread reading this process's memory every 20 ms."""
    seen, done = [rss_mb()], threading.Event()

    def sample():
        while not done.wait(0.02):
            seen.append(rss_mb())

    thread = threading.Thread(target=sample, daemon=True)

    def stop():
        done.set()
        thread.join()
        return max(seen)

    return thread.start, stop


def catalogue_feed(env, base, count, report):
    """(g) a feed of ``count`` of (e)'s products, then again after 100 of them change."""
    import base64
    import io

    from PIL import Image

    from odoo import Command

    from odoo.addons.epicentr_connector.sync.catalogue_feed import feed_path

    cr = env.cr
    source = env["epicentr.source"].search([("name", "=", "Bench")])
    env["res.lang"]._activate_lang("uk_UA")
    source.action_read_catalogue()
    category = env["product.category"].create(
        {"name": "Drills", "epicentr_category_id": env["epicentr.category"].search([("code", "=", "drills")]).id})
    source.action_read_catalogue()  # the options of the set now in use
    power = env["product.attribute"].create({"name": "Тип живлення", "create_variant": "no_variant",
                                             "value_ids": [Command.create({"name": "Акумулятор"})]})
    power.action_epicentr_suggest()
    picture = io.BytesIO()
    Image.new("RGB", (800, 800), (30, 90, 160)).save(picture, "JPEG")
    offers = env["epicentr.offer"].search([("source_id", "=", source.id)], limit=count, order="id")
    templates = offers.product_id.product_tmpl_id
    # one picture for all, given in SQL: through the ORM, Odoo would make its four smaller sizes
    # 20,000 times over (a quarter of an hour), which the feed never reads
    templates[:1].image_1920 = base64.b64encode(picture.getvalue())
    cr.execute("""INSERT INTO ir_attachment (name, res_model, res_field, res_id, type, store_fname, file_size,
                                             checksum, mimetype, company_id, create_uid, write_uid, create_date, write_date)
                  SELECT a.name, a.res_model, a.res_field, t.id, a.type, a.store_fname, a.file_size, a.checksum,
                         a.mimetype, a.company_id, a.create_uid, a.write_uid, a.create_date, a.write_date
                    FROM ir_attachment a, unnest(%s) AS t(id)
                   WHERE a.res_model = 'product.template' AND a.res_field = 'image_1920' AND a.res_id = %s""",
               [templates[1:].ids, templates[0].id])
    # the attribute (one that makes no variants) too: through the ORM it takes longer than the rest
    cr.execute("""WITH line AS (INSERT INTO product_template_attribute_line
                                    (product_tmpl_id, attribute_id, active, sequence, value_count)
                                SELECT t.id, %s, true, 10, 1 FROM unnest(%s) AS t(id) RETURNING id)
                  INSERT INTO product_attribute_value_product_template_attribute_line_rel
                      (product_template_attribute_line_id, product_attribute_value_id) SELECT id, %s FROM line""",
               [power.id, templates.ids, power.value_ids.id])
    templates.invalidate_recordset()
    templates.write({
        "categ_id": category.id, "description_sale": "Опис товару",
        "epicentr_brand": "Bench", "weight": 1.2, "country_of_origin": env.ref("base.pl").id,
        "epicentr_length": 300, "epicentr_width": 200, "epicentr_height": 100})
    offers.write({"in_feed": True})
    cr.commit()
    env.invalidate_all()
    for label in ("feed", "after 100 products changed"):
        made = env["epicentr.offer"].search_count([("source_id", "=", source.id), ("in_feed", "=", True),
                                                   ("feed_dirty", "=", True)])
        start, stop = memory_sampler()
        before = rss_mb()
        started, cpu = time.perf_counter(), time.process_time()
        start()
        env["epicentr.source"]._cron_build_feeds()
        cr.commit()
        seconds, cpu, peak = time.perf_counter() - started, time.process_time() - cpu, stop()
        env.invalidate_all()
        ready = source.feed_ready_count
        report(f"(g) catalogue {label}: {ready} of {count} products in the feed, {seconds:.1f} s ({cpu:.1f} s CPU), "
               f"{os.path.getsize(feed_path(env, source.id)) / 1e6:.1f} MB; resident memory {before:.0f} MB "
               f"before, at most {peak:.0f} MB during it ({made} entries made again)")
        if label == "feed":
            for template in offers[:100].product_id.product_tmpl_id:
                template.with_context(lang="uk_UA").name = f"{template.name} (змінено)"
            cr.commit()
            env.invalidate_all()


def set_waybill_sender(env, source):
    """The sender of the source's Ukrposhta waybills, picked in Epicentr's dictionary as an administrator does."""
    from odoo import Command

    Place = env["epicentr.place"]
    lookup = {"source_id": source.id, "provider": "ukrposhta"}
    settlement = Place.browse(Place.with_context(epicentr_dictionary=lookup).name_search(
        "Київ", [("provider", "=", "ukrposhta"), ("settlement_uuid", "=", False)], limit=1)[0][0])
    office = Place.with_context(epicentr_dictionary={**lookup, "settlement_id": settlement.id}).name_search(
        "0", [("settlement_uuid", "=", settlement.epicentr_uuid)], limit=1)[0][0]
    source.write({"waybill_first_name": "Олена", "waybill_last_name": "Коваленко", "waybill_phone": "+380671234567",
                  "waybill_sender_ids": [Command.create({"provider": "ukrposhta", "settlement_id": settlement.id,
                                                        "office_id": office})]})


def waybill_requests(base):
    """{kind: count} of the requests the sandbox recorded: the waybills, labels, cards, the rest."""
    kinds = {}
    for record in http("GET", f"{base}/__sandbox__/requests"):
        path = record["path"]
        kind = ("POST shipping" if "/shipping/" in path else "GET label" if "/invoice/" in path else
                "GET card" if record["method"] == "GET" and path.count("/") == 4 else f"{record['method']} other")
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def waybill_wave(env, base, count, report):
    """(f) ``count`` deliveries validated in one transaction → their waybills and labels."""
    cr = env.cr
    source = env["epicentr.source"].search([("name", "=", "Bench")])
    set_waybill_sender(env, source)
    cards = [http("POST", f"{base}/__sandbox__/orders", {"statusCode": "confirmed", "address": {"shipment": {
        "provider": "ukrposhta", "paymentProvider": "pay_on_delivery", "number": None}}}) for _ in range(count)]
    codes = {item["productExternalId"] or item["sku"] for card in cards for item in card["items"]}
    known = set(env["product.product"].search([("default_code", "in", list(codes))]).mapped("default_code"))
    env["product.product"].create([{"name": code, "default_code": code, "type": "consu", "weight": 0.8}
                                   for code in codes - known])
    cr.commit()
    while source._sync_orders(commit=True).get("more", True):
        pass
    orders = env["sale.order"].search([("epicentr_uuid", "in", [card["id"] for card in cards])])
    orders.action_confirm()
    cr.commit()
    Push = env["epicentr.outbox"]
    while Push.search_count([("state", "=", "pending")]):
        Push._cron_send()
        cr.commit()
    pickings = orders.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
    for move in pickings.move_ids:
        move.write({"quantity": move.product_uom_qty, "picked": True})
    http("DELETE", f"{base}/__sandbox__/requests")
    started = time.perf_counter()
    result = pickings.with_context(skip_sms=True).button_validate()  # no SMS set-up dialog (stock_sms)
    assert result is True and set(pickings.mapped("state")) == {"done"}, f"wave: not validated ({result})"
    cr.commit()
    validate_seconds, committed = time.perf_counter() - started, time.perf_counter()
    cpu = time.process_time()
    while Push.search_count([("state", "=", "pending")]):
        Push._cron_send()
        cr.commit()
    send_seconds, send_cpu = time.perf_counter() - committed, time.process_time() - cpu
    env.invalidate_all()
    made = pickings.filtered("carrier_tracking_ref")
    labels = sum(bool(picking._epicentr_label(picking.carrier_tracking_ref)) for picking in made)
    kinds = waybill_requests(base)
    started = time.perf_counter()
    action = pickings.action_epicentr_print_waybills()
    print_seconds = time.perf_counter() - started
    document = env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
    report(f"(f) waybill wave: {len(pickings)} deliveries validated in one transaction ({validate_seconds:.1f} s); "
           f"{len(made)} waybills and {labels} labels on the deliveries {send_seconds:.1f} s after the commit "
           f"({send_cpu:.1f} s CPU in this process); requests: "
           + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
           + f"; one PDF of the {labels} labels ({document.file_size / 1024:.0f} KiB) in {print_seconds:.1f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=5000, help="history size (default 5000)")
    parser.add_argument("--large", action="store_true", help="20,000 orders")
    parser.add_argument("--db", default="epicentr_bench", help="database (copies of DB_template)")
    parser.add_argument("--template", help="template database (default DB_template)")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the history import to FILE")
    parser.add_argument("--page-size", type=int, help="orders per list page (default: the connector's PAGE_SIZE; "
                                                      "the sandbox, like live clients, serves at most 100)")
    parser.add_argument("--keep-db", action="store_true", help="do not drop DB and DB_baseline at the end")
    parser.add_argument("--parallel-reads", type=int, help="the source's parallel_reads (default: the field's default)")
    parser.add_argument("--list-joins-places", action="store_true",
                        help="the sandbox's list entries join settlement and office, as the swagger has them "
                             "(no card needs reading); by default they do not, as live clients saw")
    parser.add_argument("--offers", type=int, default=20000, metavar="N",
                        help="(e): publish N offers' prices and availability (default 20000; 0: skip)")
    parser.add_argument("--feed", type=int, default=20000, metavar="N",
                        help="products in the catalogue feed phase (g) (default 20000; 0 skips; needs --offers)")
    parser.add_argument("--wave", type=int, default=200, metavar="N",
                        help="(f): validate N deliveries at once and make their waybills (default 200; 0: skip)")
    parser.add_argument("--latency", type=float, nargs="+", default=[0, 100], metavar="MS",
                        help="the sandbox answers each request after MS milliseconds, as a live Epicentr far "
                             "away: the history import runs once per value (default: 0 100)")
    args = parser.parse_args()
    if args.large:
        args.orders = 20000
    odoo_src, addons = os.environ["ODOO_SRC"], os.environ["ADDONS_PATH"]
    command = " ".join(shlex.quote(a) for a in [Path(sys.executable).name, *sys.argv])
    run_started = time.perf_counter()
    # one database per latency: the same history imported into each
    databases = {latency: args.db if not position else f"{args.db}_{latency:g}ms"
                 for position, latency in enumerate(args.latency)}
    copy_template_database((*databases.values(), f"{args.db}_baseline"), args.template or f"{args.db}_template",
                           odoo_src, addons, "bench")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    sandbox = subprocess.Popen([sys.executable, "-m", "epicentr_sandbox", "--port", str(port), "--orders",
                                str(args.orders), "--days", "55", "--quiet", "--token", TOKEN], cwd=ROOT)
    lines = []

    def report(text):
        lines.append(text)
        print(text, flush=True)

    try:
        http("GET", f"{base}/__sandbox__/requests")
        import odoo
        from odoo import SUPERUSER_ID, api

        odoo.tools.config.parse_config([f"--addons-path={addons}", "-d", args.db, "--log-level=warn"])
        cr = None
        try:
            # (b) history import, at each latency into its own database (the last one stays for (c), (d))
            results = {}
            for latency in args.latency:
                if cr:
                    cr.close()
                registry = odoo.modules.registry.Registry(databases[latency])
                cr = registry.cursor()
                env = api.Environment(cr, SUPERUSER_ID, {})
                source = env["epicentr.source"].create({"name": "Bench", "base_url": base, "api_token": TOKEN})
                cr.commit()
                results[latency] = history_import(env, source, base, latency, args, report)
            import_rate, import_cpu, imported = (results[args.latency[0]][key] for key in ("rate", "cpu", "orders"))
            if len(args.latency) > 1:
                slow, fast = results[args.latency[-1]]["rate"], results[args.latency[0]]["rate"]
                report(f"    at {args.latency[-1]:g} ms: {slow / fast:.2f} of the rate at {args.latency[0]:g} ms")
            http("POST", f"{base}/__sandbox__/load", {"latency_ms": 0})

            # (c) incremental poll, nothing new
            http("DELETE", f"{base}/__sandbox__/requests")
            queries, started = cr.sql_log_count, time.perf_counter()
            source._sync_orders(commit=True)
            idle_seconds, idle_queries = time.perf_counter() - started, cr.sql_log_count - queries
            idle_requests = len(http("GET", f"{base}/__sandbox__/requests"))
            report(f"(c) idle poll: {idle_requests} HTTP request(s), {idle_queries} SQL queries, "
                   f"{idle_seconds * 1000:.0f} ms")

            # the same orders, read back from the sandbox (untimed), for the baseline
            from odoo.addons.epicentr_connector.api.client import EpicentrClient

            with EpicentrClient(base, TOKEN) as client:
                orders = [o for page in client.iter_orders(sort=("createdAt",), limit=500) for o in page]
        finally:
            if cr:
                cr.close()
        orders = [o for o in orders if o.get("items")]

        # (a) baseline, in its own copy of the template on the same server
        with odoo.modules.registry.Registry(f"{args.db}_baseline").cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            base_seconds, base_queries, base_cpu = baseline(env, orders)
        len_orders = len(orders)
        del orders
        base_rate = len_orders / base_seconds
        report(f"(a) ORM baseline: {len_orders} orders in {base_seconds:.1f} s = {base_rate:.0f} orders/s "
               f"({base_cpu:.1f} s CPU in this process; create() of {BATCH}); "
               f"{base_queries / len_orders:.1f} SQL queries/order; peak memory so far {peak_mb():.0f} MB")
        report(f"    ratio (b)/(a): {import_rate / base_rate:.2f} (in CPU time of this process: "
               f"{(base_cpu / len_orders) / (import_cpu / imported):.2f})")

        # (d) push burst
        uuids = [http("POST", f"{base}/__sandbox__/orders",
                      {"statusCode": "new", "address": {"shipment": {"provider": "nova_poshta"}}})["id"]
                 for _ in range(BURST)]
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            source = env["epicentr.source"].search([("name", "=", "Bench")])
            while source._sync_orders(commit=True).get("more", True):
                pass
            quotations = env["sale.order"].search([("epicentr_source_id", "=", source.id),
                                                   ("epicentr_uuid", "in", uuids)])
            assert len(quotations) == BURST and set(quotations.mapped("state")) == {"draft"}, "burst: not imported"
            http("DELETE", f"{base}/__sandbox__/requests")
            started = time.perf_counter()
            quotations.action_confirm()
            cr.commit()
            committed = time.time()
            confirm_seconds = time.perf_counter() - started
            queries = cr.sql_log_count
            Push = env["epicentr.outbox"]
            while Push.search_count([("state", "=", "pending"), ("source_id", "=", source.id)]):
                Push._cron_send()
                cr.commit()
            send_seconds, send_queries = time.time() - committed, cr.sql_log_count - queries
            done = Push.search_count([("order_id", "in", quotations.ids), ("state", "=", "done")])
        first, last, posts = {}, {}, 0
        for record in http("GET", f"{base}/__sandbox__/requests"):
            if record["method"] == "POST" and "/change-status/to/" in record["path"]:
                posts += 1
                uuid = record["path"].split("/")[4]
                first.setdefault(uuid, record["received"] - committed)
                last[uuid] = record["received"] - committed
        missing = BURST - len(last)
        report(f"(d) push burst: {BURST} quotations confirmed in one transaction ({confirm_seconds:.1f} s), "
               f"then sent in {send_seconds:.1f} s: {posts} change-status calls, {done} outbox entries done, "
               f"{send_queries / BURST:.0f} SQL queries/order{f', {missing} order(s) never arrived' if missing else ''}")
        if last:
            report(f"    commit -> first call of an order: median {statistics.median(first.values()):.2f} s, "
                   f"worst {max(first.values()):.2f} s; -> last call (confirmed): median "
                   f"{statistics.median(last.values()):.2f} s, worst {max(last.values()):.2f} s")
        if args.wave:
            with registry.cursor() as cr:
                waybill_wave(api.Environment(cr, SUPERUSER_ID, {}), base, args.wave, report)
        if args.offers:
            with registry.cursor() as cr:
                publication(api.Environment(cr, SUPERUSER_ID, {}), base, args.offers, report)
            if args.feed:
                with registry.cursor() as cr:
                    catalogue_feed(api.Environment(cr, SUPERUSER_ID, {}), base, min(args.feed, args.offers), report)
        report(f"peak memory of the process (ru_maxrss): {peak_mb():.0f} MB; whole run {time.perf_counter() - run_started:.0f} s")
        print(f"\n{command}\n" + "\n".join(lines))
        if args.profile:
            print(f"\nprofile of the history import ({args.profile}), top by cumulative time:")
            pstats.Stats(args.profile).sort_stats("cumulative").print_stats(30)
    finally:
        sandbox.terminate()
        sandbox.wait(10)
        if "odoo" in sys.modules:
            sys.modules["odoo"].sql_db.close_all()  # else dropdb: "being accessed by other users"
        if not args.keep_db:
            for name in (*databases.values(), f"{args.db}_baseline"):
                subprocess.run(["dropdb", "--if-exists", name], check=False)


if __name__ == "__main__":
    main()

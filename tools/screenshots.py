"""Take the README's screenshots from the demo, in Ukrainian, with headless Chromium.

    source ~/.cache/epicentr_connector/env.sh
    $VENV/bin/python tools/screenshots.py --fresh         # runs tools/demo.sh on a new database, shoots, stops it
    $VENV/bin/python tools/screenshots.py --url http://localhost:8069   # a running `make demo` instead

Without --url it starts `tools/demo.sh` itself (database epicentr_screenshots, port 8069) and
stops it afterwards; --fresh drops that database first, since demo.sh reuses a database
without upgrading the addon and the pictures must show the views as they are in the tree.

Writes epicentr_connector/static/description/screenshot_{source,orders,order,report,waybill,feed}.png:
the source form on its Sync tab, the Epicentr Orders list, one order (a revealed buyer, several
lines) on its Epicentr tab, the confirmation-deadline report, and a delivery validated as a
warehouse does it, with the waybill Epicentr made for it, and the source's Catalogue Feed tab. Chromium (Debian's /usr/bin/chromium) is driven over the DevTools
protocol with `websocket-client`; no Selenium or Playwright. Every wait is a bounded poll.
"""

import argparse
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import xmlrpc.client
from base64 import b64decode
from pathlib import Path

from scripting import free_port

import websocket
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "epicentr_connector/static/description"
WIDTH, HEIGHT = 1440, 900
MAX_BYTES = 250_000
LABEL_PROVIDERS = ("ukrposhta", "meest", "cvz_epicentr", "parcel_box_epicentr")  # const.LABEL_PROVIDERS  # larger pictures are reduced to 256 colours


def log(msg):
    print(f"screenshots: {msg}", flush=True)


def wait_for(what, check, timeout, interval=0.5):
    """Poll check() until it returns something truthy; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except Exception:  # noqa: BLE001 - not ready yet (connection refused, page reloading, ...)
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Demo:
    """`tools/demo.sh` in its own process group, so stopping it stops Odoo and the sandbox too."""

    def __init__(self, port, db):
        self.port, self.db, self.proc = port, db, None

    def start(self):
        env = dict(os.environ, DEMO_PORT=str(self.port), DEMO_DB=self.db)
        self.log = open(tempfile.gettempdir() + "/epicentr-screenshots-demo.log", "w")  # noqa: SIM115
        log(f"starting the demo (database {self.db}, port {self.port}; output in {self.log.name})")
        self.proc = subprocess.Popen(
            ["bash", str(ROOT / "tools/demo.sh")], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )

    def check_alive(self):
        if self.proc and self.proc.poll() is not None:
            raise RuntimeError(f"the demo stopped (exit {self.proc.returncode}); see {self.log.name}")

    def stop(self):
        if not self.proc or self.proc.poll() is not None:
            return
        log("stopping the demo")
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        # demo.sh's trap stops its children; make sure none outlived it.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def wait_for_history(url, db, login, password, demo, timeout):
    common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common")

    def odoo_up():
        demo and demo.check_alive()
        return common.version()

    wait_for(f"Odoo at {url}", odoo_up, timeout)
    uid = common.authenticate(db, login, password, {})
    if not uid:
        raise RuntimeError(f"cannot log in to {db} as {login}")
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)

    def call(model, method, *args, **kw):
        return models.execute_kw(db, uid, password, model, method, list(args), kw)

    def history_done():
        demo and demo.check_alive()
        sources = call("epicentr.source", "search_read", [], fields=["history_done"], limit=1)
        return sources and sources[0]["history_done"] and sources[0]

    log("waiting for the history import")
    source = wait_for("the source's history import", history_done, timeout, interval=2)
    return call, source["id"]


def pick_order(call):
    """An order a reader recognises: a revealed buyer, matched products, several lines, a carrier."""
    domain = [
        ("epicentr_source_id", "!=", False), ("epicentr_buyer_hidden", "=", False),
        ("epicentr_needs_mapping", "=", False), ("epicentr_carrier", "!=", False),
        ("epicentr_office", "!=", False),
    ]
    fields = ["state", "order_line", "epicentr_status", "epicentr_buyer_comment", "epicentr_tracking_number"]
    orders = call("sale.order", "search_read", domain, fields=fields, order="epicentr_created_at desc", limit=200)
    if not orders:
        raise RuntimeError("no imported Epicentr order with a revealed buyer yet")

    def score(o):  # confirmed in Odoo too (a finished order arrives so), tracking number, comment, lines
        return (
            o["state"] == "sale", bool(o["epicentr_tracking_number"]), bool(o["epicentr_buyer_comment"]),
            min(len(o["order_line"]), 4),
        )

    return max(orders, key=score)["id"]


def ship_one(call, timeout):
    """Confirm a quotation shipped by a service whose label Epicentr gives, validate its delivery as a warehouse does, and
    wait for the waybill Epicentr makes (its number on the delivery, the label attached)."""
    domain = [("epicentr_source_id", "!=", False), ("state", "=", "draft"),
              ("epicentr_status", "in", ["new", "confirmed_by_merchant", "confirmed"]),
              ("epicentr_needs_mapping", "=", False), ("epicentr_carrier", "in", list(LABEL_PROVIDERS))]
    orders = call("sale.order", "search_read", domain, fields=["id"], order="id desc", limit=1)
    if not orders:
        raise RuntimeError("no quotation to ship by Ukrposhta, Meest or Epicentr's points")
    call("sale.order", "action_confirm", [orders[0]["id"]])
    picking = call("stock.picking", "search_read", [("sale_id", "=", orders[0]["id"])], fields=["move_ids"])[0]
    picking_id = picking["id"]
    for move in call("stock.move", "read", picking["move_ids"], ["product_uom_qty"]):  # packed in full
        call("stock.move", "write", [move["id"]], {"quantity": move["product_uom_qty"], "picked": True})
    # the outbox confirms the order on Epicentr first; no SMS set-up dialog (stock_sms) in the way
    result = call("stock.picking", "button_validate", [picking_id], context={"skip_sms": True})
    if result is not True:
        raise RuntimeError(f"validating the delivery asked for more: {result}")
    wait_for("the waybill on the delivery", lambda: call(
        "stock.picking", "read", [picking_id], ["carrier_tracking_ref"])[0]["carrier_tracking_ref"], timeout)
    wait_for("the waybill's label", lambda: call("ir.attachment", "search_count", [
        ("res_model", "=", "stock.picking"), ("res_id", "=", picking_id), ("mimetype", "=", "application/pdf")]), timeout)
    return picking_id


# -- Chromium over the DevTools protocol ------------------------------------------------------


class Chromium:
    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="epicentr-shots-chromium-")
        port = free_port()
        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", "--lang=uk-UA", f"--user-data-dir={self.profile}",
             f"--remote-debugging-port={port}", f"--window-size={WIDTH},{HEIGHT}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )

        def page_target():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                return next((t for t in json.load(r) if t["type"] == "page"), None)

        target = wait_for("Chromium's DevTools endpoint", page_target, 30, interval=0.2)
        self.ws = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.next_id = 0
        for domain in ("Page", "Runtime", "Network"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setTimezoneOverride", timezoneId="Europe/Kyiv")
        self.send("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT, deviceScaleFactor=1, mobile=False)

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def js(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"JS error in {expression!r}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def goto(self, url):
        self.send("Page.navigate", url=url)

    def wait_js(self, what, expression, timeout=60):
        return wait_for(what, lambda: self.js(expression), timeout, interval=0.25)

    def wait_settled(self, timeout=30):
        """No loading indicator or blocked UI, fonts loaded, and the DOM unchanged for a moment."""
        self.wait_js(
            "the web client to settle",
            "document.readyState === 'complete' && document.fonts.status === 'loaded'"
            " && !document.querySelector('.o_loading_indicator, .o_blockUI, .o-main-components-container .o_loading')",
            timeout,
        )
        last = [None]

        def stable():
            size = self.js("document.body.innerHTML.length")
            same, last[0] = size == last[0], size
            return same

        wait_for("the page to stop changing", stable, timeout, interval=0.4)

    def click(self, selector, what):
        self.wait_js(what, f"!!document.querySelector({json.dumps(selector)})")
        self.js(f"document.querySelector({json.dumps(selector)}).click()")

    def screenshot(self, path, height=HEIGHT):
        self.send("Emulation.setDeviceMetricsOverride", width=WIDTH, height=height, deviceScaleFactor=1, mobile=False)
        self.wait_settled()
        data = self.send("Page.captureScreenshot", format="png")["data"]
        image = Image.open(io.BytesIO(b64decode(data)))
        image.save(path, optimize=True)
        if path.stat().st_size > MAX_BYTES:  # a palette keeps Odoo's flat colours and text sharp
            image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
                path, optimize=True
            )
        self.send("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT, deviceScaleFactor=1, mobile=False)
        log(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")

    def content_height(self):
        """The window height that shows the whole form without its inner scrolling."""
        return self.js(
            "(() => { const c = document.querySelector('.o_content');"
            " return Math.ceil(c.getBoundingClientRect().top + c.scrollHeight) + 8; })()"
        )

    def close(self):
        try:
            self.ws.close()
        finally:
            os.killpg(self.proc.pid, signal.SIGTERM)  # Chromium and its helper processes
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            shutil.rmtree(self.profile, ignore_errors=True)


# -- the pictures -----------------------------------------------------------------------------


def shoot(browser, url, db, login, password, source_id, order_id, picking_id):
    browser.goto(f"{url}/web/login?db={db}")
    browser.wait_js("the login form", "!!document.querySelector('form.oe_login_form input[name=password]')")
    browser.js(
        "(() => { const f = document.querySelector('form.oe_login_form');"
        f" f.querySelector('input[name=login]').value = {json.dumps(login)};"
        f" f.querySelector('input[name=password]').value = {json.dumps(password)};"
        " f.submit(); })()"
    )
    browser.wait_js("the web client after logging in", "!!document.querySelector('.o_main_navbar')")
    # OdooBot greets a first login with a chat window: keep chat windows out of the pictures.
    hide_chat = (
        "(() => { const s = document.createElement('style');"
        " s.textContent = '.o-mail-ChatWindow, .o-mail-ChatHub { display: none !important; }';"
        " document.head.appendChild(s); })()"
    )

    def source_tab(tab, field, picture):
        """The source's form on ``tab``, once ``field`` shows there."""
        browser.goto(f"{url}/odoo/action-epicentr_connector.epicentr_source_action/{source_id}")
        browser.wait_js("the source form", "!!document.querySelector('.o_form_view .o_notebook')")
        browser.click(f".o_notebook a.nav-link[name={tab}]", f"the {tab} tab")
        browser.wait_js(f"the {tab} tab's content", f"!!document.querySelector('.o_notebook .tab-pane.active [name={field}]')")
        browser.wait_settled()
        browser.js(hide_chat)
        browser.screenshot(OUT / picture, height=min(max(browser.content_height(), HEIGHT), 1400))

    # 1. The source: connection state in the main part, counters on the Sync tab.
    source_tab("sync", "last_success_at", "screenshot_source.png")

    # 2. The Epicentr Orders list.
    browser.goto(f"{url}/odoo/epicentr-orders")
    browser.wait_js("the order list", "document.querySelectorAll('.o_list_view .o_data_row').length > 5")
    browser.js(hide_chat)
    browser.screenshot(OUT / "screenshot_orders.png")

    # 3. One order on its Epicentr tab, the Epicentr status badge in the header.
    browser.goto(f"{url}/odoo/epicentr-orders/{order_id}")
    browser.wait_js("the order form", "!!document.querySelector('.o_form_view .o_notebook a.nav-link[name=epicentr]')")
    browser.click(".o_notebook a.nav-link[name=epicentr]", "the Epicentr tab")
    browser.wait_js("the Epicentr tab's content",
                    "!!document.querySelector('.o_notebook .tab-pane.active [name=epicentr_carrier]')")
    browser.wait_settled()
    browser.js(hide_chat)
    browser.screenshot(OUT / "screenshot_order.png", height=min(max(browser.content_height(), HEIGHT), 1400))

    # 4. Sales → Reporting → Epicentr: the confirmation deadline, per source and day.
    browser.goto(f"{url}/odoo/action-epicentr_connector.epicentr_order_report_action")
    browser.wait_js("the report's pivot", "!!document.querySelector('.o_pivot table td.o_pivot_cell_value')")
    browser.wait_settled()
    browser.js(hide_chat)
    browser.screenshot(OUT / "screenshot_report.png")

    # 5. A delivery with the waybill Epicentr made: the number, the tracking link, the label.
    browser.goto(f"{url}/odoo/action-stock.action_picking_tree_all/{picking_id}")
    browser.wait_js("the delivery form", "!!document.querySelector('.o_form_view .o_notebook a.nav-link[name=extra]')")
    browser.click(".o_notebook a.nav-link[name=extra]", "the Additional Info tab")
    browser.wait_js("the tracking reference", "!!document.querySelector('.o_form_view [name=carrier_tracking_ref]')")
    browser.wait_js("the label in the chatter", "!!document.querySelector('.o-mail-AttachmentCard, .o-mail-AttachmentList')")
    browser.wait_settled()
    browser.js(hide_chat)
    browser.screenshot(OUT / "screenshot_waybill.png", height=min(max(browser.content_height(), HEIGHT), 1400))

    # 6. The source's catalogue feed: its address for Epicentr, what is in it, the buttons.
    source_tab("catalogue_feed", "feed_url", "screenshot_feed.png")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running demo (default: start `tools/demo.sh` and stop it afterwards)")
    parser.add_argument("--db", help="default: epicentr_demo with --url, else epicentr_screenshots")
    parser.add_argument("--fresh", action="store_true", help="drop the database before starting the demo")
    parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", 8069)))
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--timeout", type=int, default=600, help="seconds to wait for the demo and its history")
    args = parser.parse_args()

    demo = None
    url = args.url
    args.db = args.db or ("epicentr_demo" if url else "epicentr_screenshots")
    if url and args.fresh:
        sys.exit("--fresh drops the database of the demo this script starts: not with --url")
    if not url:
        url = f"http://127.0.0.1:{args.port}"
        try:
            urllib.request.urlopen(f"{url}/web/webclient/version_info", data=b"{}", timeout=2)
            sys.exit(f"something already answers on {url}: stop it, or pass --url {url} --db ...")
        except urllib.error.HTTPError:
            sys.exit(f"something already answers on {url}: stop it, or pass --url {url} --db ...")
        except OSError:
            pass
        if args.fresh:
            log(f"dropping the database {args.db}")
            subprocess.run(["dropdb", "--if-exists", args.db], check=True)
        demo = Demo(args.port, args.db)
        demo.start()
    browser = None
    try:
        call, source_id = wait_for_history(url, args.db, args.login, args.password, demo, args.timeout)
        order_id = pick_order(call)
        picking_id = ship_one(call, args.timeout)
        log(f"source {source_id}, order {order_id}, delivery {picking_id}")
        OUT.mkdir(parents=True, exist_ok=True)
        browser = Chromium(args.chromium)
        shoot(browser, url, args.db, args.login, args.password, source_id, order_id, picking_id)
    finally:
        if browser:
            browser.close()
        if demo:
            demo.stop()


if __name__ == "__main__":
    main()

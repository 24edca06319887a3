"""Measure how long a user's change takes to reach Epicentr: from the commit of the click to the
sandbox receiving the change-status call.

    source ~/.cache/epicentr_connector/env.sh
    $VENV/bin/python tools/measure_push_latency.py [--runs 20] [--db epicentr_latency] [--cron-threads 1] [--burst]

Runs the real thing, nothing in-process: a sandbox process (python -m epicentr_sandbox) serving
new orders on 127.0.0.1, and an Odoo server process (threaded, with cron threads) on a fresh
copy of a template database that has the addon installed (created or updated on the way, like
tools/bench.py). A source pointing at the sandbox is created over XML-RPC; its creation
wakes the sync cron, which imports the orders (waited for with a bounded poll). Then, RUNS times,
a quotation is confirmed over XML-RPC as admin - the server commits before it answers, so the
moment the RPC returns is taken as the commit - and the sandbox's request log
(GET /__sandbox__/requests) is polled, bounded, until the order's change-status POSTs arrive:
the first one (new → confirmed_by_merchant) and the last one (→ confirmed, the rule's target).

By default one change at a time (the next click once the previous one is sent and recorded);
--burst K confirms K orders back to back, then waits for all K (clicks arriving while the
sender is busy: they queue, and their cron wake-ups race with the running job).
The latency includes waking the cron thread (PostgreSQL NOTIFY from ir.cron._trigger()),
any other cron job running on the same thread, reading the order and allowed-statuses, and the
polling resolution (--poll, 5 ms by default).
"""

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
import urllib.request
import xmlrpc.client
from pathlib import Path

from scripting import copy_template_database, free_port

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "latency-token"


def http(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        payload = response.read()
    return json.loads(payload) if payload else None


def wait_until(what, check, seconds, interval=0.2):
    """check() until it returns something truthy, at most ``seconds``; exit with a message otherwise."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            result = check()
        except OSError:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            sys.exit(f"latency: {what} did not happen within {seconds} s")
        time.sleep(interval)


def card_status(base, uuid):
    request = urllib.request.Request(f"{base}/v6/oms/orders/{uuid}", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["statusCode"]


def stop(process):
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def summary(label, values):
    values = sorted(values)
    p90 = values[max(0, round(0.9 * len(values)) - 1)]
    return (f"{label}: median {statistics.median(values) * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms, "
            f"worst {values[-1] * 1000:.0f} ms, best {values[0] * 1000:.0f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="changes to measure (default 20)")
    parser.add_argument("--db", default="epicentr_latency", help="database (a copy of DB_template)")
    parser.add_argument("--cron-threads", type=int, default=1, help="--max-cron-threads of the server")
    parser.add_argument("--burst", type=int, default=1,
                        help="confirm this many orders back to back, then wait for them (default 1: one at a time)")
    parser.add_argument("--api-delay", type=float, default=0.0,
                        help="seconds the sandbox waits before answering each call (the live API is not on "
                             "localhost: try 0.2)")
    parser.add_argument("--poll", type=float, default=0.005, help="seconds between two polls of the sandbox")
    parser.add_argument("--timeout", type=float, default=400,
                        help="seconds to wait for one change (more than the sender's 5-minute safety net)")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    args = parser.parse_args()
    odoo_src, addons = os.environ["ODOO_SRC"], os.environ["ADDONS_PATH"]
    command = " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv])

    copy_template_database((args.db,), f"{args.db}_template", odoo_src, addons, "latency")
    sandbox_port, odoo_port = free_port(), free_port()
    base, odoo_url = f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{odoo_port}"
    log_path = Path(f"/tmp/{args.db}-odoo.log")
    sandbox = server = None
    try:
        sandbox = subprocess.Popen([sys.executable, "-m", "epicentr_sandbox", "--port", str(sandbox_port),
                                    "--orders", "0", "--token", TOKEN, "--quiet"], cwd=ROOT)
        wait_until("the sandbox start", lambda: http("GET", f"{base}/__sandbox__/requests") is not None, 30)
        cards = [http("POST", f"{base}/__sandbox__/orders",
                      {"statusCode": "new", "address": {"shipment": {"provider": "nova_poshta"}}})
                 for _ in range(args.runs)]

        with open(log_path, "w") as log:
            server = subprocess.Popen(
                [sys.executable, f"{odoo_src}/odoo-bin", f"--addons-path={addons}", "-d", args.db,
                 f"--db-filter=^{args.db}$", "--http-interface=127.0.0.1", f"--http-port={odoo_port}",
                 f"--max-cron-threads={args.cron_threads}", "--without-demo=all", "--log-level=warn"],
                stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        wait_until("the Odoo server start", lambda: urllib.request.urlopen(f"{odoo_url}/web/login", timeout=5).status == 200, 120)
        common = xmlrpc.client.ServerProxy(f"{odoo_url}/xmlrpc/2/common")
        models = xmlrpc.client.ServerProxy(f"{odoo_url}/xmlrpc/2/object", allow_none=True)
        uid = common.authenticate(args.db, "admin", "admin", {})
        if not uid:
            sys.exit("latency: cannot log in as admin/admin")

        def call(model, method, *params, **kw):
            return models.execute_kw(args.db, uid, "admin", model, method, list(params), kw)

        # A new source wakes the sync cron: the orders arrive without anyone pressing a button.
        source_id = call("epicentr.source", "create", {"name": "Latency", "base_url": base, "api_token": TOKEN})
        uuids = [card["id"] for card in cards]
        domain = [("epicentr_source_id", "=", source_id), ("epicentr_uuid", "in", uuids)]
        wait_until(f"the import of {args.runs} orders", lambda: call("sale.order", "search_count", domain) == args.runs, 180)
        order_ids = {o["epicentr_uuid"]: o["id"] for o in call(
            "sale.order", "search_read", domain, fields=["epicentr_uuid"])}
        http("DELETE", f"{base}/__sandbox__/requests")
        if args.api_delay:
            http("POST", f"{base}/__sandbox__/faults", {"kind": "slow", "count": 10**6, "delay": args.api_delay})

        def arrivals():
            """{uuid: [seconds of the first status POST, of the POST to "confirmed"]} seen so far."""
            seen = {}
            for record in http("GET", f"{base}/__sandbox__/requests"):
                if record["method"] == "POST" and "/change-status/to/" in record["path"]:
                    uuid = record["path"].split("/")[4]
                    seen.setdefault(uuid, set()).add(record["path"].rsplit("/", 1)[-1])
            return seen

        def wait_for_posts(uuids, committed):
            """Poll the sandbox until every order's POST to "confirmed" arrived; latencies per order."""
            first, last = {}, {}
            deadline = time.perf_counter() + args.timeout
            while len(last) < len(uuids):
                seen, now = arrivals(), time.perf_counter()
                for uuid in uuids:
                    if uuid in seen:
                        first.setdefault(uuid, now - committed[uuid])
                        if "confirmed" in seen[uuid] and uuid not in last:
                            last[uuid] = now - committed[uuid]
                if now > deadline:
                    sys.exit(f"latency: {len(uuids) - len(last)} change(s) did not reach the sandbox within "
                             f"{args.timeout} s; see {log_path}")
                time.sleep(args.poll)
            return first, last

        first, last, rpc = {}, {}, []
        for group in (uuids[i:i + args.burst] for i in range(0, len(uuids), args.burst)):
            committed = {}
            for uuid in group:  # back to back when --burst > 1
                started = time.perf_counter()
                call("sale.order", "action_confirm", [order_ids[uuid]])
                committed[uuid] = time.perf_counter()  # the server commits before it answers
                rpc.append(committed[uuid] - started)
            group_first, group_last = wait_for_posts(group, committed)
            first.update(group_first)
            last.update(group_last)
            # the next click once the sender has recorded these: each measure starts with an idle cron
            ids = [order_ids[uuid] for uuid in group]
            wait_until("the outbox entries to be marked sent", lambda ids=ids: call(
                "epicentr.outbox", "search_count", [("order_id", "in", ids), ("state", "=", "done")]) == len(ids), 30, 0.02)

        wait_until("all the outbox entries to be marked sent", lambda: call(
            "epicentr.outbox", "search_count", [("source_id", "=", source_id), ("state", "=", "done")]) == args.runs, 60)
        states = call("sale.order", "read", list(order_ids.values()), ["epicentr_push_state"])
        confirmed = sum(card_status(base, uuid) == "confirmed" for uuid in uuids)
        print(f"\n{command}")
        print(f"{args.runs} quotations confirmed over XML-RPC ({f'in bursts of {args.burst}' if args.burst > 1 else 'one at a time'}, "
              f"--max-cron-threads={args.cron_threads}"
              f"{f', every API answer delayed {args.api_delay * 1000:.0f} ms' if args.api_delay else ''}); time from the commit (the RPC's return) until the sandbox "
              f"received the call:")
        print("  " + summary("first change-status POST (→ confirmed_by_merchant)", list(first.values())))
        print("  " + summary("last change-status POST  (→ confirmed)", list(last.values())))
        print("  " + summary("the confirm RPC itself", rpc))
        print(f"  orders confirmed on the sandbox: {confirmed} of {args.runs}; all sent in Odoo: "
              f"{sum(s['epicentr_push_state'] == 'ok' for s in states)} of {len(states)}; sandbox polled every "
              f"{args.poll * 1000:.0f} ms; Odoo log: {log_path}")
    finally:
        stop(server)
        stop(sandbox)
        if not args.keep_db:
            subprocess.run(["dropdb", "--if-exists", args.db], check=False)


if __name__ == "__main__":
    main()

"""Measure the history import: orders/s, SQL queries per order, HTTP requests, and the idle poll.

    $VENV/bin/python tools/bench_import.py --orders 3000 [--db epicentr_bench]

Runs the real thing: a sandbox process serving the generated history over HTTP on
127.0.0.1, and the connector's own sync (`_sync_orders(commit=True)`, the cron's code path,
committing after each page) on a database with the addon installed (created when missing).
"""

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            return urllib.request.urlopen(url, timeout=2).read()
        except OSError:
            time.sleep(0.2)
    sys.exit(f"bench: {url} did not answer within {seconds} s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--db", default="epicentr_bench")
    args = parser.parse_args()
    odoo_src, addons = os.environ["ODOO_SRC"], os.environ["ADDONS_PATH"]
    # A template database with the addon installed (updated to this code), copied fresh per run.
    template = f"{args.db}_template"
    installed = subprocess.run(
        ["psql", "-d", template, "-tAc", "SELECT 1 FROM ir_module_module WHERE name='epicentr_connector' AND state='installed'"],
        capture_output=True, text=True).stdout.strip() == "1"
    if not installed:
        subprocess.run(["dropdb", "--if-exists", template], check=True)
        print(f"bench: creating database {template} with the addon (about a minute)", flush=True)
    subprocess.run([sys.executable, f"{odoo_src}/odoo-bin", f"--addons-path={addons}", "-d", template,
                    "-u" if installed else "-i", "epicentr_connector", "--without-demo=all", "--stop-after-init",
                    "--max-cron-threads=0", "--log-level=warn"], check=True)
    subprocess.run(["dropdb", "--if-exists", args.db], check=True)
    subprocess.run(["createdb", "-T", template, args.db], check=True)

    port = free_port()
    sandbox = subprocess.Popen([sys.executable, "-m", "epicentr_sandbox", "--port", str(port), "--orders",
                                str(args.orders), "--days", "55", "--quiet", "--token", "bench-token"], cwd=ROOT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/__sandbox__/requests")
        import odoo
        from odoo import SUPERUSER_ID, api

        odoo.tools.config.parse_config([f"--addons-path={addons}", "-d", args.db, "--log-level=warn"])
        registry = odoo.modules.registry.Registry(args.db)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            source = env["epicentr.source"].create({"name": "Bench", "base_url": base, "api_token": "bench-token"})
            cr.commit()
            urllib.request.urlopen(urllib.request.Request(f"{base}/__sandbox__/requests", method="DELETE"))
            queries, started = cr.sql_log_count, time.perf_counter()
            while source._sync_orders(commit=True).get("more", True):  # the cron's path; "busy" cannot happen here
                pass
            elapsed, queries = time.perf_counter() - started, cr.sql_log_count - queries
            imported = env["sale.order"].search_count([("epicentr_source_id", "=", source.id)])
            requests_made = len(json.loads(wait_for(f"{base}/__sandbox__/requests")))
            urllib.request.urlopen(urllib.request.Request(f"{base}/__sandbox__/requests", method="DELETE"))
            source._sync_orders(commit=True)
            idle = len(json.loads(wait_for(f"{base}/__sandbox__/requests")))
            cr.commit()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"history import: {imported} orders in {elapsed:.1f} s = {imported / elapsed:.0f} orders/s; "
              f"{queries / imported:.1f} SQL queries/order; {requests_made} HTTP requests; "
              f"idle poll: {idle} HTTP request(s); peak memory {peak_mb:.0f} MB")
    finally:
        sandbox.terminate()
        sandbox.wait(10)


if __name__ == "__main__":
    main()

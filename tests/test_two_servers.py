"""The connector under real multi-process Odoo: two servers on one database, three Epicentr accounts.

Two `odoo-bin --workers 2 --max-cron-threads 2` processes (each its own HTTP and gevent port)
serve one database copied from a template with the addon installed (tools/scripting.py). Three
sandboxes (threads of this process, their own seeds and tokens) hold the accounts' orders. An
admin, over JSON-RPC and spread over both servers, creates the salespeople and the three sources:
their creation wakes the sync cron, which imports the history. Then a few hundred quotations that
are still "new" on Epicentr are confirmed in concurrent calls to both servers, while the
"platform" changes other orders and the admin presses "Sync now", so that the sync, the sender
and the clicks run at the same time. The test waits (polls, bounded) and checks the end state:

- every in-window order imported exactly once per source, none outside the window; the history
  import read no card and no list page twice (no two workers synced one source at once; a card
  is read only when the list entry lacks something, which with the sandbox is every order);
- the salespeople of each source got its orders in turn (counts differ by at most one);
- every confirmation sent once: exactly new → confirmed_by_merchant → confirmed per confirmed
  order, nothing written for any other order, Epicentr shows "confirmed";
- in the end Odoo shows every order's Epicentr status (buyer cancellations cancel the order), no
  sync error on the sources, no sync log in error, no push failed, no ERROR in the servers' logs
  but PostgreSQL's "could not serialize" of a concurrent update the connector handled.

Waits are bounded polls (START_BOUND, IMPORT_BOUND, PUSH_BOUND, CATCH_UP_BOUND below: far above the
durations measured on a quiet machine, which the test prints). It runs by default (make test's
pytest phase); EPICENTR_SKIP_TWO_SERVERS=1 skips it. It needs ODOO_SRC, VENV and ADDONS_PATH
(env.sh), as tools/test.sh provides them. The servers' logs are kept in pytest's basetemp.
"""
import importlib.util
import os
import re
import signal
import subprocess
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from itertools import zip_longest
from pathlib import Path

import pytest
import requests

from epicentr_sandbox import Sandbox
from epicentr_sandbox.store import PLATFORM_STEPS

ROOT = Path(__file__).resolve().parents[1]
DB = "epicentr_two_servers"  # never make test's epicentr_test
TEMPLATE = f"{DB}_template"
ACCOUNTS = (("Two A", 11, "two-token-a"), ("Two B", 12, "two-token-b"), ("Two C", 13, "two-token-c"))
SALESPEOPLE = ("Olena", "Petro", "Iryna", "Taras")
POOLS = ((0, 1), (1, 2, 3), (0, 3))  # indexes into SALESPEOPLE, per account: some shared
HISTORY_ORDERS, HISTORY_DAYS, SOURCE_DAYS = 1000, 75, 60  # ~15 % of the history is out of the window
FRESH_NEW = 80  # extra orders per account still "new", so that enough can be confirmed
CONFIRM_PER_SOURCE, CONFIRM_BATCH, CLICKERS = 100, 10, 4
PLATFORM_MOVES, BUYER_CANCELS, LATE_ORDERS = 15, 5, 15  # per account, while the confirmations run
# Bounds of the waits (the measured durations are far below, see the report printed at the end).
START_BOUND, IMPORT_BOUND, PUSH_BOUND, CATCH_UP_BOUND = 90, 600, 300, 600
CARD = re.compile(r"^/v[56]/oms/orders/([0-9a-f-]{36})$")
CHANGE_STATUS = re.compile(r"^/v2/oms/orders/([0-9a-f-]{36})/change-status/to/(\w+)$")


def _scripting():
    spec = importlib.util.spec_from_file_location("epicentr_scripting", ROOT / "tools" / "scripting.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


scripting = _scripting()


def wait_for(what, check, seconds, interval=0.5):
    """Poll check() -> (done, detail) until done, at most ``seconds``; fail naming what is missing."""
    deadline = time.monotonic() + seconds
    while True:
        done, detail = check()
        if done:
            return detail
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {seconds} s; {detail}")
        time.sleep(interval)


def utc(value):
    """An Odoo Datetime string or an Epicentr ISO time as an aware UTC datetime."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# -- the environment, the database, the sandboxes, the servers ------------------------------------

@pytest.fixture(scope="module")
def odoo_env():
    if os.environ.get("EPICENTR_SKIP_TWO_SERVERS") == "1":
        pytest.skip("EPICENTR_SKIP_TWO_SERVERS=1")
    env = {name: os.environ.get(name, "") for name in ("ODOO_SRC", "VENV", "ADDONS_PATH")}
    missing = [f"{name} is not set" for name, value in env.items() if not value]
    if env["ODOO_SRC"] and not Path(env["ODOO_SRC"], "odoo-bin").is_file():
        missing.append(f"ODOO_SRC={env['ODOO_SRC']} has no odoo-bin")
    if env["VENV"] and not Path(env["VENV"], "bin", "python").is_file():
        missing.append(f"VENV={env['VENV']} has no bin/python")
    if missing:
        pytest.fail("the two-server test needs Odoo 18 and its venv: " + "; ".join(missing)
                    + " (run `make setup`, then `source ~/.cache/epicentr_connector/env.sh`)")
    return env


@pytest.fixture(scope="module")
def database(odoo_env, timings):
    started = time.monotonic()
    scripting.copy_template_database((DB,), TEMPLATE, odoo_env["ODOO_SRC"], odoo_env["ADDONS_PATH"], "two servers")
    timings["database (template update + copy)"] = time.monotonic() - started
    try:
        yield DB
    finally:
        subprocess.run(["dropdb", "--if-exists", "--force", DB], check=False)


@pytest.fixture(scope="module")
def timings():
    return {}


@pytest.fixture(scope="module")
def sandboxes():
    started = []
    try:
        for _name, seed, token in ACCOUNTS:
            sandbox = Sandbox(orders=HISTORY_ORDERS, seed=seed, token=token, days=HISTORY_DAYS)
            for _ in range(FRESH_NEW):
                sandbox.store.add_order()
            started.append(sandbox.start())
        yield started
    finally:
        for sandbox in started:
            sandbox.stop()


class Server:
    """One `odoo-bin` in prefork mode, in its own process group; JSON-RPC as admin."""

    def __init__(self, name, odoo_env, log_dir):
        self.name, self.port = name, scripting.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"odoo-{name}.log"
        command = [
            f"{odoo_env['VENV']}/bin/python", f"{odoo_env['ODOO_SRC']}/odoo-bin",
            f"--addons-path={odoo_env['ADDONS_PATH']}", "-d", DB, f"--db-filter=^{DB}$",
            "--workers=2", "--max-cron-threads=2", "--http-interface=127.0.0.1",
            f"--http-port={self.port}", f"--gevent-port={scripting.free_port()}",
            "--limit-time-real=900", "--limit-time-cpu=900", "--limit-time-real-cron=900",
            "--log-level=info", f"--logfile={self.log}",
        ]
        self.errors = log_dir / f"odoo-{name}.stderr"  # what dies before the logging is set up
        with self.errors.open("w") as errors:
            self.process = subprocess.Popen(command, cwd=ROOT, start_new_session=True,
                                            stdout=errors, stderr=subprocess.STDOUT)
        self.uid = None

    def up(self):
        if self.process.poll() is not None:
            pytest.fail(f"Odoo server {self.name} exited with {self.process.returncode}; see {self.log}")
        # the gevent process too: a broken one is respawned in a loop, eating a core
        if "Evented Service" not in (self.log.read_text(errors="replace") if self.log.exists() else ""):
            return False, f"its gevent process did not start; see {self.errors}"
        try:
            return requests.get(f"{self.url}/web/health", timeout=5).status_code == 200, "no answer yet"
        except requests.RequestException as error:
            return False, str(error)

    def login(self):
        self.uid = self._rpc("common", "login", DB, "admin", "admin")
        assert self.uid, f"server {self.name}: cannot log in as admin/admin"

    def call(self, model, method, *args, **kwargs):
        return self._rpc("object", "execute_kw", DB, self.uid, "admin", model, method, list(args), kwargs)

    def _rpc(self, service, method, *args):
        payload = {"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}}
        answer = requests.post(f"{self.url}/jsonrpc", json=payload, timeout=300).json()
        if "error" in answer:
            error = answer["error"].get("data", {})
            raise AssertionError(f"server {self.name}: {method} {args[3:5]} failed: "
                                 f"{error.get('message') or answer['error']}")
        return answer["result"]

    def log_records(self, *levels):
        """The log records (first line and continuation lines) of these levels."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        records = re.split(r"\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ )", text)
        return [r for r in records if re.match(rf"\S+ \S+ \d+ ({'|'.join(levels)}) ", r)]

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                pass
        try:  # the workers, the gevent process: whatever is left of the group
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


@pytest.fixture(scope="module")
def servers(odoo_env, database, tmp_path_factory, timings):
    started, log_dir = time.monotonic(), tmp_path_factory.mktemp("two_servers")
    running = []
    try:
        for name in ("A", "B"):
            running.append(Server(name, odoo_env, log_dir))
        for server in running:
            wait_for(f"the start of Odoo server {server.name}", server.up, START_BOUND)
            server.login()
        timings["servers start"] = time.monotonic() - started
        yield running
    finally:
        for server in running:
            server.stop()


# -- the test ------------------------------------------------------------------------------------

def in_window(sandbox, history_start):
    return {uuid for uuid, order in sandbox.store.orders.items() if utc(order["createdAt"]) >= history_start}


def card_gets(sandbox):
    return Counter(m[1] for r in list(sandbox.requests) if r.method == "GET" and (m := CARD.match(r.path)))


def test_two_servers_three_accounts(servers, sandboxes, timings):
    a, b = servers
    run_started = time.monotonic()
    user_ids = a.call("res.users", "create", [
        {"name": name, "login": f"two.{name.lower()}@example.com"} for name in SALESPEOPLE])
    pools = [sorted(user_ids[i] for i in pool) for pool in POOLS]
    source_values = [{
        "name": name, "api_token": token, "base_url": sandbox.url, "history_days": SOURCE_DAYS,
        "sync_interval": 1, "salesperson_ids": [(6, 0, pool)],
    } for (name, _seed, token), sandbox, pool in zip(ACCOUNTS, sandboxes, pools)]
    # An active source with a token wakes the sync cron: nobody presses a button.
    source_ids = [a.call("epicentr.source", "create", source_values[0])]
    source_ids += b.call("epicentr.source", "create", source_values[1:])

    # -- 1. the history import ------------------------------------------------------------------
    expected = {}  # source id -> the UUIDs of its sandbox's orders in the history window

    def imported():
        sources = a.call("epicentr.source", "read", source_ids, ["history_start_at", "history_done", "last_error"])
        counts = {s: a.call("sale.order", "search_count", [("epicentr_source_id", "=", s)]) for s in source_ids}
        for source, sandbox in zip(sources, sandboxes):
            if source["history_start_at"] and source["id"] not in expected:
                expected[source["id"]] = in_window(sandbox, utc(source["history_start_at"]))
        done = all(s["history_done"] and counts[s["id"]] == len(expected.get(s["id"], ())) for s in sources)
        return done, {s["id"]: f"{counts[s['id']]} of {len(expected.get(s['id'], ())) or '?'} orders, "
                               f"history done: {s['history_done']}, error: {s['last_error']}" for s in sources}

    wait_for("the history import of the three sources", imported, IMPORT_BOUND, interval=1)
    timings["history import"] = time.monotonic() - run_started
    history_total = sum(map(len, expected.values()))
    assert 2400 <= history_total <= 3000, f"{history_total} orders in the window: the figures of the test drifted"
    # A card is read only when the list entry lacks something; no card and no list page twice:
    # no two workers imported one source at the same time.
    for source_id, sandbox in zip(source_ids, sandboxes):
        gets = card_gets(sandbox)
        assert gets and set(gets) <= expected[source_id], (
            f"source {source_id}: {len(gets)} cards read, {len(set(gets) - expected[source_id])} out of the window")
        twice = {uuid: n for uuid, n in gets.items() if n > 1}
        assert not twice, f"source {source_id}: {len(twice)} cards read more than once by the history import: {twice}"
        pages = Counter(str(sorted(r.query.items())) for r in list(sandbox.requests) if r.method == "GET"
                        and r.path in ("/v4/oms/orders", "/v3/oms/orders") and "filter[updatedAt][from]" not in r.query)
        assert max(pages.values()) == 1, f"source {source_id}: history pages read twice: {pages.most_common(3)}"
        assert not sandbox.writes(), f"the history import wrote to Epicentr: {sandbox.writes()[:3]}"
    history_cards = sum(len(card_gets(sandbox)) for sandbox in sandboxes)

    # -- 2. confirmations on both servers while the platform changes orders and the sync runs ------
    phase_started = time.monotonic()
    selected = {}  # sale.order id -> (sandbox, uuid)
    per_source = []
    for source_id, sandbox in zip(source_ids, sandboxes):
        quotations = a.call("sale.order", "search_read", [
            ("epicentr_source_id", "=", source_id), ("state", "=", "draft"), ("epicentr_status", "=", "new")],
            ["epicentr_uuid"], order="id", limit=CONFIRM_PER_SOURCE)
        assert len(quotations) == CONFIRM_PER_SOURCE, f"source {source_id}: only {len(quotations)} new quotations"
        assert all(sandbox.store.orders[q["epicentr_uuid"]]["statusCode"] == "new" for q in quotations)
        selected.update({q["id"]: (sandbox, q["epicentr_uuid"]) for q in quotations})
        per_source.append([q["id"] for q in quotations])
    mixed = [order_id for group in zip_longest(*per_source) for order_id in group if order_id]
    batches = [mixed[i:i + CONFIRM_BATCH] for i in range(0, len(mixed), CONFIRM_BATCH)]
    chosen = {uuid for _sandbox, uuid in selected.values()}
    changed, cancelled_by_buyer = set(), set()

    def platform_changes(share):
        """What Epicentr and the buyers do meanwhile, to orders nobody confirms here."""
        for source_id, sandbox in zip(source_ids, sandboxes):
            store = sandbox.store
            with store.lock:
                movable = sorted(u for u in expected[source_id] - chosen - changed
                                 if store.orders[u]["statusCode"] in ("sent", "delivered", "completed"))
                waiting = sorted(u for u in expected[source_id] - chosen - changed
                                 if store.orders[u]["statusCode"] == "new")
            for uuid in movable[:share(PLATFORM_MOVES)]:
                store.platform_set_status(uuid, PLATFORM_STEPS[store.orders[uuid]["statusCode"]])
                changed.add(uuid)
            for uuid in waiting[:share(BUYER_CANCELS)]:
                store.platform_set_status(uuid, "canceled")
                changed.add(uuid)
                cancelled_by_buyer.add(uuid)
            for _ in range(share(LATE_ORDERS)):
                expected[source_id].add(store.add_order()["id"])

    def confirm(index, batch):
        server = servers[index % 2]
        server.call("sale.order", "action_confirm", batch)

    platform_changes(lambda n: n // 2)
    with ThreadPoolExecutor(CLICKERS) as clickers:
        futures = [clickers.submit(confirm, i, batch) for i, batch in enumerate(batches[:len(batches) // 2])]
        for source_id in source_ids:  # the admin presses "Sync now", on the other server
            b.call("epicentr.source", "action_sync_now", [source_id])
        platform_changes(lambda n: n - n // 2)
        futures += [clickers.submit(confirm, i, batch) for i, batch in enumerate(batches) if i >= len(batches) // 2]
        for future in futures:
            future.result()
    timings["confirmations (RPC)"] = time.monotonic() - phase_started

    def sent():
        groups = a.call("epicentr.outbox", "read_group", [], ["state"], ["state"], lazy=False)
        states = Counter({g["state"]: g["__count"] for g in groups})
        return states["pending"] == 0 and states["done"] >= len(selected), dict(states)

    wait_for("the outbox to be sent", sent, PUSH_BOUND)
    timings["confirmations until sent"] = time.monotonic() - phase_started

    calls = defaultdict(list)  # uuid -> the statuses asked for, in arrival order
    other_writes = []
    for sandbox in sandboxes:
        for record in list(sandbox.requests):
            match = CHANGE_STATUS.match(record.path) if record.method == "POST" else None
            if match:
                calls[match[1]].append(match[2])
            elif record.method != "GET":
                other_writes.append(f"{record.method} {record.path}")
    wrong = {uuid: calls.get(uuid) for uuid in chosen if calls.get(uuid) != ["confirmed_by_merchant", "confirmed"]}
    assert not wrong, f"{len(wrong)} confirmed orders did not get exactly new → confirmed_by_merchant → confirmed: {wrong}"
    assert set(calls) == chosen, f"status changes sent for orders nobody confirmed: {set(calls) - chosen}"
    assert not other_writes, f"unexpected writes to Epicentr: {other_writes[:10]}"
    not_confirmed = [uuid for sandbox, uuid in selected.values() if sandbox.store.orders[uuid]["statusCode"] != "confirmed"]
    assert not not_confirmed, f"{len(not_confirmed)} orders are not confirmed on Epicentr: {not_confirmed[:5]}"
    pushes = a.call("epicentr.outbox", "search_read", [], ["order_id", "state", "kind", "target_status", "last_error"])
    assert sorted(p["order_id"][0] for p in pushes) == sorted(selected), "not one outbox entry per confirmed order"
    assert {(p["state"], p["kind"], p["target_status"]) for p in pushes} == {("done", "status", "confirmed")}, (
        [p for p in pushes if p["state"] != "done"][:5])

    # -- 3. the syncs catch up with everything that changed ---------------------------------------
    catch_up_started = time.monotonic()
    for source_id in source_ids:
        a.call("epicentr.source", "action_sync_now", [source_id])

    def caught_up():
        orders = a.call("sale.order", "search_read", [("epicentr_source_id", "in", source_ids)],
                        ["epicentr_source_id", "epicentr_uuid", "epicentr_status", "state"])
        behind = []
        for source_id, sandbox in zip(source_ids, sandboxes):
            odoo = {o["epicentr_uuid"]: o["epicentr_status"] for o in orders if o["epicentr_source_id"][0] == source_id}
            behind += [uuid for uuid in expected[source_id] if odoo.get(uuid) != sandbox.store.orders[uuid]["statusCode"]]
        return not behind, f"{len(behind)} orders missing or not at Epicentr's status, e.g. {behind[:3]}"

    wait_for("Odoo to show every order as Epicentr has it", caught_up, CATCH_UP_BOUND, interval=1)
    timings["catch-up sync"] = time.monotonic() - catch_up_started
    timings["whole run after the servers started"] = time.monotonic() - run_started

    # -- the end state ---------------------------------------------------------------------------
    orders = a.call("sale.order", "search_read", [("epicentr_source_id", "in", source_ids)],
                    ["epicentr_source_id", "epicentr_uuid", "user_id", "state"])
    spread = {}
    for source_id, sandbox, pool in zip(source_ids, sandboxes, pools):
        mine = [o for o in orders if o["epicentr_source_id"][0] == source_id]
        uuids = Counter(o["epicentr_uuid"] for o in mine)
        assert set(uuids) == expected[source_id] and len(mine) == len(expected[source_id]), (
            f"source {source_id}: {len(mine)} orders for {len(expected[source_id])} in the window, "
            f"duplicated: {[u for u, n in uuids.items() if n > 1][:5]}")
        turns = Counter(o["user_id"] and o["user_id"][0] for o in mine)
        assert set(turns) == set(pool) and max(turns.values()) - min(turns.values()) <= 1, (
            f"source {source_id}: round-robin over {pool} gave {dict(turns)}")
        spread[source_id] = sorted(turns.values())
    cancelled = {o["epicentr_uuid"] for o in orders if o["state"] == "cancel"}
    assert cancelled_by_buyer <= cancelled, f"not cancelled in Odoo: {cancelled_by_buyer - cancelled}"
    sources = a.call("epicentr.source", "read", source_ids, ["last_error", "failed_orders", "token_revoked"])
    assert [(s["last_error"], s["failed_orders"] or {}, s["token_revoked"]) for s in sources] == [(False, {}, False)] * 3, sources
    failed_logs = a.call("epicentr.sync.log", "search_read", [("state", "=", "error")], ["source_id", "error"])
    assert not failed_logs, f"syncs in error: {failed_logs}"
    # PostgreSQL's "could not serialize" (two transactions wrote one row) is logged as an ERROR by
    # odoo.sql_db even when the caller handles it: those are counted, anything else fails the test.
    records = [r for server in servers for r in server.log_records("ERROR", "CRITICAL")]
    conflicts = [r for r in records if "odoo.sql_db: bad query" in r and "could not serialize access" in r]
    errors = [r for r in records if r not in conflicts]
    assert not errors, "errors in the servers' logs:\n" + "\n".join(errors[:10])

    requests_total = sum(len(sandbox.requests) for sandbox in sandboxes)
    runs = {server.name: Counter(re.search(r"Job '(Epicentr: [^']+)'", r)[1] for r in server.log_records("INFO")
                                 if "ir_cron: Job 'Epicentr: " in r and ") starting" in r) for server in servers}
    print(f"\ntwo servers: {len(orders)} orders imported ({history_total} by the history import, "
          f"{history_cards} cards read), {len(selected)} confirmed in {len(batches)} calls and sent once, "
          f"{len(changed)} changed by the platform; {requests_total} requests to the sandboxes, "
          f"{len(conflicts)} concurrent updates met and retried")
    print(f"  orders per salesperson, per source: {spread}; cron runs per server: {runs}")
    for phase, seconds in timings.items():
        print(f"  {phase}: {seconds:.1f} s")

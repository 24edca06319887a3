"""Switchable faults: the next N matching requests fail the way a real gateway can.

Before the request is handled (it never takes effect): 500/502/503, 429 (Retry-After:
retry_after=, default 1), drop (the connection closed without an answer), refuse (status=
with message=, as Epicentr refuses a request); slow (delay= seconds) only delays it. After it
was handled (a write did take effect): drop_after (the connection closed instead of the
answer), malformed (the answer cut short), missing (the answer without field=, dotted for a
nested one: "address.shipment").

A hostile or broken server, for the bounds the client keeps: replace (field= set to value= in
the answer; dotted, a number indexing a list: "items.0.id"), huge (the answer padded to size= bytes),
endless (a list page of the items= given, with a fresh `next` cursor every time; with fresh=True
the items get new ids on every page).
"""
import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field

from werkzeug.wrappers import Response

FAULT_KINDS = ("500", "502", "503", "429", "slow", "drop", "drop_after", "malformed", "missing",
               "refuse", "replace", "huge", "endless")
_STATUS_TEXT = {"500": "Internal Server Error", "502": "Bad Gateway",
                "503": "Service Unavailable", "429": "Too Many Requests"}


@dataclass
class Fault:
    kind: str
    remaining: int
    path_contains: str = None
    params: dict = field(default_factory=dict)


class FaultInjector:
    def __init__(self):
        self._faults = []
        self._lock = threading.Lock()

    def add(self, kind, count=1, path_contains=None, **params):
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")
        if kind == "slow" and "delay" not in params:
            raise ValueError("a 'slow' fault needs delay=<seconds>")
        if kind in ("missing", "replace") and not params.get("field"):
            raise ValueError(f"a {kind!r} fault needs field=<name>, dotted for a nested one")
        with self._lock:
            self._faults.append(Fault(kind, int(count), path_contains, params))

    def clear(self):
        with self._lock:
            self._faults.clear()

    def take(self, path):
        """The first queued fault whose `path_contains` is in `path` (the path with its query),
        used up once; None when there is none."""
        with self._lock:
            for fault in self._faults:
                if fault.path_contains is None or fault.path_contains in path:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None


class ConnectionDropped(ConnectionAbortedError):
    """Raised after closing the socket: werkzeug's server then drops the request silently."""


def fault_response(fault, environ):
    """The response replacing the normal one, or None to handle the request normally (after a
    delay for 'slow'; the kinds that spoil the normal answer are done by `damaged_response`)."""
    if fault.kind == "slow":
        time.sleep(float(fault.params["delay"]))
        return None
    if fault.kind == "drop":  # before the request is applied
        _drop(environ)
    if fault.kind in ("drop_after", "malformed", "missing", "replace", "huge"):
        return None
    if fault.kind == "endless":
        items = fault.params.get("items", [])
        if fault.params.get("fresh"):  # every page other orders: a list that never ends
            items = [{**item, "id": str(uuid.uuid4())} for item in items]
        page = {"items": items, "next": uuid.uuid4().hex}
        return Response(json.dumps(page), 200, content_type="application/json")
    if fault.kind == "refuse":
        status = int(fault.params.get("status", 400))
        return Response(json.dumps({"message": fault.params.get("message", "Refused"), "code": status}), status,
                        content_type="application/json")
    body = json.dumps({"message": _STATUS_TEXT[fault.kind], "code": int(fault.kind)})
    response = Response(body, int(fault.kind), content_type="application/json")
    if fault.kind == "429":
        response.headers["Retry-After"] = str(fault.params.get("retry_after", 1))
    return response


def damaged_response(fault, response, environ):
    """The normal answer of a request that was applied, spoiled by `fault` on its way back."""
    if fault.kind == "drop_after":  # a write took effect, the client never hears of it
        _drop(environ)
    if fault.kind == "malformed":
        # cut short: half of the body (a prefix of a JSON object is never valid JSON)
        body = response.get_data()
        broken = body[:len(body) // 2] if len(body) > 1 else b'{"items": [{"id": "5b0f6c2e-'
        return Response(broken, response.status_code, content_type="application/json")
    if fault.kind in ("missing", "replace") and response.status_code == 200:
        data = json.loads(response.get_data())
        *parents, name = fault.params["field"].split(".")
        target = data
        for parent in parents:  # a number indexes a list: "items.0.id"
            if isinstance(target, list) and parent.isdigit() and int(parent) < len(target):
                target = target[int(parent)]
            else:
                target = target.get(parent) if isinstance(target, dict) else None
        if isinstance(target, dict) and fault.kind == "missing":
            target.pop(name, None)
        elif isinstance(target, dict):
            target[name] = fault.params.get("value")
        return Response(json.dumps(data, ensure_ascii=False), 200, content_type="application/json")
    if fault.kind == "huge" and response.status_code == 200:
        data = json.loads(response.get_data())
        data["padding"] = "x" * int(fault.params["size"])
        return Response(json.dumps(data), 200, content_type="application/json")
    return response


def _drop(environ):
    # Close the TCP connection before any byte of a response: the client sees a
    # ConnectionError (RemoteDisconnected / connection reset).
    sock = environ["werkzeug.socket"]
    sock.shutdown(socket.SHUT_RDWR)
    sock.close()
    raise ConnectionDropped()

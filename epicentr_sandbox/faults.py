"""Switchable faults: the next N matching requests fail the way a real gateway can."""
import json
import socket
import threading
import time
from dataclasses import dataclass, field

from werkzeug.wrappers import Response

FAULT_KINDS = ("500", "502", "503", "429", "slow", "drop", "malformed")
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
    """The response replacing the normal one, or None to answer normally (after a delay)."""
    if fault.kind == "slow":
        time.sleep(float(fault.params["delay"]))
        return None
    if fault.kind == "drop":
        # Close the TCP connection before any byte of a response: the client sees a
        # ConnectionError (RemoteDisconnected / connection reset).
        sock = environ["werkzeug.socket"]
        sock.shutdown(socket.SHUT_RDWR)
        sock.close()
        raise ConnectionDropped()
    if fault.kind == "malformed":
        return Response('{"items": [{"id": "5b0f6c2e-', 200, content_type="application/json")
    body = json.dumps({"message": _STATUS_TEXT[fault.kind], "code": int(fault.kind)})
    response = Response(body, int(fault.kind), content_type="application/json")
    if fault.kind == "429":
        response.headers["Retry-After"] = str(fault.params.get("retry_after", 1))
    return response

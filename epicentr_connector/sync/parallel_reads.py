"""Reads of one sync that overlap: at most as many requests to Epicentr in flight as there are
clients, each client used by one thread at a time (a requests.Session is not thread-safe), all of
them held back together by a 429 (the clients share one RateGate). Only reads go through here;
the ORM stays in the caller's thread."""

import queue
from concurrent.futures import ThreadPoolExecutor


class ParallelReads:
    def __init__(self, clients):
        self._clients = clients
        self._free = queue.SimpleQueue()
        for client in clients:
            self._free.put(client)
        self._pool = ThreadPoolExecutor(max_workers=len(clients), thread_name_prefix="epicentr-read")

    def submit(self, read, *args):
        """A future of ``read(client, *args)``, run on a client no other thread is using."""
        return self._pool.submit(self._run, read, args)

    def call(self, function, *args):
        """A future of ``function(*args)`` on a thread of the pool (the next list page: its
        iterator keeps a client of its own), within the same bound."""
        return self._pool.submit(function, *args)

    def _run(self, read, args):
        client = self._free.get()
        try:
            return read(client, *args)
        finally:
            self._free.put(client)

    def close(self):
        """Drop what has not started, wait for what has, close the clients."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        for client in self._clients:
            client.close()

"""Threads for the concurrency tests: a worker with a transaction of its own, like a cron worker
or an HTTP request, and the log records of every thread."""
import contextlib
import logging
import threading
from logging.handlers import BufferingHandler

from odoo import SUPERUSER_ID, api
from odoo.api import Transaction

TIMEOUT = 30  # seconds: the bound of every wait and join, never a pause


@contextlib.contextmanager
def log_records(*names, level=logging.INFO):
    """The records of ``names`` (default: the addon's) and below at ``level`` and above, from every thread."""
    handler = BufferingHandler(capacity=100_000)
    loggers = [logging.getLogger(name) for name in names or ("odoo.addons.epicentr_connector",)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(level)
    try:
        yield handler.buffer
    finally:
        for logger, old_level in zip(loggers, levels):
            logger.removeHandler(handler)
            logger.setLevel(old_level)


def record_text(record):
    """A record's message, with its traceback."""
    text = record.getMessage()
    return text + logging.Formatter().formatException(record.exc_info) if record.exc_info else text


def describe(records):
    return "\n".join(f"{r.levelname} {r.name}: {r.getMessage()}" for r in records)


class WorkerKilled(BaseException):
    """The worker process dies: no handler of the connector may run after it."""


class Worker(threading.Thread):
    """Runs ``func(env)`` in a transaction of its own, committed at the end unless it raises."""

    def __init__(self, registry, func, context):
        super().__init__(name=f"epicentr-test-{func.__name__}", daemon=True)
        self.registry, self.func, self.context = registry, func, context
        self.result = self.error = self.pid = None
        self.started_cursor = threading.Event()

    def run(self):
        threading.current_thread().dbname = self.registry.db_name
        threading.current_thread().testing = True
        try:
            with self.registry.cursor() as cr:
                # the test runner's thread holds the lock of Registry(dbname): hand the registry over
                cr.transaction = Transaction(self.registry)
                self.pid = cr.connection.info.backend_pid
                self.started_cursor.set()
                self.result = self.func(api.Environment(cr, SUPERUSER_ID, self.context))
        except BaseException as error:  # noqa: BLE001 - handed to the test by outcome()
            self.error = error
        finally:
            self.started_cursor.set()

    def outcome(self):
        self.join(TIMEOUT)
        if self.is_alive():
            raise AssertionError(f"{self.name} still runs after {TIMEOUT} s")
        if self.error is not None:
            raise self.error
        return self.result

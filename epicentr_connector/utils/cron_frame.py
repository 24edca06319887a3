"""The one frame of both crons (the sync and the outbox): units of work one after another, each
in its own transaction, within a time budget.

Why not ``ir.cron._notify_progress``: Odoo 18 runs up to 10 further callbacks of a job that
reports ``remaining`` in one pass of a worker, and kills a prefork cron worker whose pass
outlives --limit-time-real/--limit-time-cpu; a call of ~CRON_CALL_SECONDS that wakes the next
one with ``_trigger()`` keeps every pass short whatever the backlog.
"""

import logging
import threading
import time

from odoo import modules
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from .. import const
from .switches import switch

_logger = logging.getLogger(__name__)


def try_lock(env, namespace, key):
    """True if this transaction now holds the advisory lock (namespace, key), freed at its end:
    one worker at a time syncs a source or sends an order, whatever the number of servers."""
    env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", namespace, key))
    return env.cr.fetchone()[0]


def commit_and_relock(env, namespace, key):
    """Commit a long run's progress, then take its advisory lock again (the commit freed it):
    False when another worker took it meanwhile, and the run must stop."""
    env.cr.commit()  # pylint: disable=invalid-commit
    return try_lock(env, namespace, key)


def running_tests():
    """True inside a test run: odoo-bin's runner sets ``modules.module.current_test``; it and
    pytest-odoo (which does not set that attribute in 18.0) both mark the thread as testing."""
    return bool(modules.module.current_test) or getattr(threading.current_thread(), "testing", False)


def cron_commits(env):
    """Whether a cron call commits after each unit: always in production; in tests only when the
    test gives it cursors that commit (the ``epicentr_commit`` switch)."""
    return switch(env, "epicentr_commit", not running_tests())


def run_units(env, units, work, on_failure, cron_xmlid, label):
    """``work(unit, commit, deadline)`` for each unit (True: it has more to do), committed one by
    one. Past the budget the rest waits for the next call, woken at once. A concurrent update
    (a salesperson, another worker) rolls the unit back: it is simply done again next call. Any
    other failure of one unit is logged and handed to ``on_failure(unit, error)`` after the
    rollback, and the next units go on. In tests (no commits) every failure is raised."""
    commit = cron_commits(env)
    deadline = time.monotonic() + const.CRON_CALL_SECONDS
    more = False
    for done, unit in enumerate(units):
        if done and time.monotonic() > deadline:
            more = True  # the rest stays due
            break
        try:
            more |= bool(work(unit, commit, deadline))
            env.flush_all()  # a concurrent update is met here, not by the commit below
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
            if not commit:
                raise
            env.cr.rollback()
            _logger.info("Epicentr %s %s: met a concurrent update (%s), done again at the next call",
                         label, unit.id, error.pgcode)
            more = True
        except Exception as error:  # noqa: BLE001 - one unit's bug must not stop the others
            if not commit:
                raise
            env.cr.rollback()
            _logger.exception("Epicentr %s %s failed", label, unit.id)
            on_failure(unit, error)
        if commit:
            # the cron's own cursor: each unit is kept whatever happens to the next one
            env.cr.commit()  # pylint: disable=invalid-commit
    if more:
        env.ref(cron_xmlid)._trigger()

import threading

from odoo import modules


def running_tests():
    """True inside a test run: odoo-bin's runner sets ``modules.module.current_test``; it and
    pytest-odoo (which does not set that attribute in 18.0) both mark the thread as testing."""
    return bool(modules.module.current_test) or getattr(threading.current_thread(), "testing", False)

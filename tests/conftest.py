import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from epicentr_sandbox import Sandbox  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def load_registry():
    """Replaces pytest-odoo's autouse fixture of that name: these tests need no Odoo database."""
    yield


@pytest.fixture(scope="module")
def sandbox():
    """A running Epicentr sandbox with 60 generated orders, shared by one test module."""
    with Sandbox(orders=60, seed=7) as sb:
        yield sb


# -- the Epicentr client (tests/test_client.py) ----------------------------------------------
# epicentr_connector/__init__.py imports Odoo models, so the client package is loaded on its
# own, as the top-level package `epicentr_api` (api/ uses relative imports only).
def _load_epicentr_api():
    api_dir = ROOT / "epicentr_connector" / "api"
    spec = importlib.util.spec_from_file_location(
        "epicentr_api", api_dir / "__init__.py", submodule_search_locations=[str(api_dir)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


epicentr_api = sys.modules.get("epicentr_api") or _load_epicentr_api()


@pytest.fixture
def sleeps():
    """The retry waits a client asked for: tests pass sleeps.append, nothing really sleeps."""
    return []


@pytest.fixture
def client(sandbox, sleeps):
    """A client of the module's sandbox: short timeouts, fast back-off, recorded waits."""
    with epicentr_api.EpicentrClient(
        sandbox.url, sandbox.token, timeout=(2, 2), backoff=0.01, sleep=sleeps.append
    ) as epicentr_client:
        yield epicentr_client

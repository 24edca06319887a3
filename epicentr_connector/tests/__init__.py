from . import test_source
from . import test_import
from . import test_access
from . import test_views
from . import test_push
from . import test_tours
from . import test_hardening
from . import test_concurrency

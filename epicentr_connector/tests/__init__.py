from . import test_source
from . import test_import

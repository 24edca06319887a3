from . import epicentr_order_import_wizard
from . import epicentr_cancel_wizard

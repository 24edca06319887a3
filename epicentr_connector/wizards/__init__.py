from . import epicentr_order_import_wizard

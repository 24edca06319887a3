from . import epicentr_order_import_wizard
from . import epicentr_cancel_wizard
from . import epicentr_offer_preview
from . import epicentr_offer_add_wizard

from . import epicentr_source
from . import epicentr_status_rule
from . import epicentr_push
from . import epicentr_order_import
from . import sale_order
from . import sale_order_line
from . import stock_picking
from . import res_config_settings

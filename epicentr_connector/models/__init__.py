from . import epicentr_source
from . import res_config_settings

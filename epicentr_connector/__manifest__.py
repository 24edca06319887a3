{
    "name": "Epicentr Connector",
    "summary": "Import Epicentr K marketplace orders into Odoo Sales "
    "and push statuses and tracking numbers back",
    "version": "18.0.1.0.0",
    "category": "Sales",
    "license": "LGPL-3",
    "author": "epicentr_connector contributors",
    "depends": ["sale_management", "sale_stock", "stock_delivery", "mail"],
    "external_dependencies": {"python": ["requests", "phonenumbers"]},
    "data": [
        "security/epicentr_connector_groups.xml",
        "security/ir.model.access.csv",
        "security/epicentr_source_security.xml",
        "views/epicentr_source_views.xml",
        "views/res_config_settings_views.xml",
        "views/epicentr_menus.xml",
    ],
    "installable": True,
    "application": False,
}

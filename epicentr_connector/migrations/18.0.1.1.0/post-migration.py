"""18.0.1.1.0: the import now records which contact it made for a hidden buyer (it removes that
one only when Epicentr reveals the buyer). For orders imported before, the placeholder is the
customer created in the same transaction as the order, which PostgreSQL stamps with one time."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        UPDATE sale_order o
           SET epicentr_buyer_placeholder_id = o.partner_id
          FROM res_partner p
         WHERE p.id = o.partner_id
           AND o.epicentr_buyer_hidden
           AND o.epicentr_buyer_placeholder_id IS NULL
           AND p.create_date = o.create_date
    """)

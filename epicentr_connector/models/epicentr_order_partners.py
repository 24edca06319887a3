"""Who an Epicentr order is for: the buyer, a paying company with the buyer as its contact, and
the recipient; matched to existing contacts where they are known, created in one go where not."""

from markupsafe import Markup

from odoo import api, models
from odoo.exceptions import ValidationError


class EpicentrOrderPartners(models.AbstractModel):
    _name = "epicentr.order.partners"
    _description = "Epicentr order customers"

    @api.model
    def _partners_for(self, source, mapped):
        """{uuid: (customer, delivery contact, invoice address)} for the orders whose buyer Epicentr shows.

        A buyer paying for a company (payerName, govNumber) is that company's contact and the
        company is invoiced; an alternate recipient is a delivery contact of the customer's company.
        """
        shown = [m for m in mapped if m["buyer"]]
        companies = self._payer_companies(source, [m for m in shown if m["payer"]])
        customers = self._buyers(source, [m for m in shown if m["uuid"] not in companies])
        customers.update(self._company_contacts(
            source, {m["uuid"]: (companies[m["uuid"]], m["buyer"]) for m in shown if m["uuid"] in companies}))
        delivery = self._delivery_contacts(customers, mapped)
        return {uuid: (customer, delivery.get(uuid, customer), companies.get(uuid, customer))
                for uuid, customer in customers.items()}

    @api.model
    def _create_partners(self, vals_list):
        """res.partner.create(), without account's default of a form-only field that counts the
        invoice layouts once a partner (a query each)."""
        return self.env["res.partner"].with_context(
            default_display_invoice_template_pdf_report_id=False).create(vals_list).with_env(self.env)

    @api.model
    def _candidates(self, source):
        """The contacts the import may attach an order (and its follower rights) to: active, of
        the source's company or shared, customers rather than users' own partners (portal users,
        employees). active_test off so that archived users count as users."""
        Partner = self.env["res.partner"].with_context(active_test=False)
        domain = [("company_id", "in", [False, source.company_id.id]), ("active", "=", True), ("user_ids", "=", False)]
        if "employee_ids" in Partner._fields:  # hr installed: an employee's private contact is not a buyer
            domain.append(("employee_ids", "=", False))
        return Partner, domain

    @api.model
    def _buyers(self, source, mapped):
        """{uuid: partner}: buyers matched by E.164 phone (Odoo's sanitized phone), then by
        e-mail (unverified, so only after the phone); the rest created."""
        Partner, domain = self._candidates(source)
        phones = {m["buyer"]["phone"] for m in mapped if m["buyer"]["phone_valid"]}
        emails = {m["buyer"]["email"] for m in mapped if m["buyer"]["email"]}
        by_phone, by_email = {}, {}
        if phones:
            for partner in Partner.search(domain + [("phone_sanitized", "in", list(phones)), ("type", "=", "contact")], order="id"):
                by_phone.setdefault(partner.phone_sanitized, partner)
        if emails:
            for partner in Partner.search(domain + [("email_normalized", "in", list(emails)), ("type", "=", "contact")], order="id"):
                by_email.setdefault(partner.email_normalized, partner)

        def found(buyer):
            return (buyer["phone_valid"] and by_phone.get(buyer["phone"])) or (buyer["email"] and by_email.get(buyer["email"]))

        to_create = {}
        for m in mapped:
            if not found(m["buyer"]):
                to_create.setdefault(person_key(m["buyer"]), m["buyer"])
        created = dict(zip(to_create, self._create_partners([
            {**person_values(buyer), "company_id": source.company_id.id,
             "comment": self.env._("Created from an Epicentr order.")}
            for buyer in to_create.values()
        ]))) if to_create else {}
        return {m["uuid"]: found(m["buyer"]) or created[person_key(m["buyer"])] for m in mapped}

    @api.model
    def _payer_companies(self, source, mapped):
        """{uuid: company partner}: matched by EDRPOU/ITN in the tax ID (or company ID), by exact
        name when Epicentr's number is not a valid one; the rest created."""
        Partner, domain = self._candidates(source)
        domain = domain + [("is_company", "=", True)]
        codes = {m["payer"]["code"] for m in mapped if m["payer"]["code_valid"]}
        names = {m["payer"]["name"] for m in mapped if not m["payer"]["code_valid"]}
        known = {}
        if codes:
            for partner in Partner.search(domain + ["|", ("vat", "in", [p + c for c in codes for p in ("", "UA")]),
                                                    ("company_registry", "in", list(codes))], order="id"):
                for code in {partner.company_registry, (partner.vat or "").removeprefix("UA")} & codes:
                    known.setdefault(code, partner)
        if names:
            for partner in Partner.search(domain + [("name", "in", list(names))], order="id"):
                known.setdefault(partner.name, partner)
        missing = {}
        for m in mapped:
            if payer_key(m["payer"]) not in known:
                missing.setdefault(payer_key(m["payer"]), m["payer"])
        if missing:
            known.update(zip(missing, self._create_companies(source, list(missing.values()))))
        return {m["uuid"]: known[payer_key(m["payer"])] for m in mapped}

    @api.model
    def _create_companies(self, source, payers):
        values = [{"name": payer["name"], "is_company": True, "company_id": source.company_id.id,
                   "company_registry": payer["code"] if payer["code_valid"] else False,
                   "comment": self.env._("Created from an Epicentr order paid by invoice.")} for payer in payers]
        try:
            with self.env.cr.savepoint():
                return self._create_partners([
                    {**company, "vat": payer["code"] if payer["code_valid"] else False}
                    for company, payer in zip(values, payers)])
        except ValidationError:  # a tax ID check (base_vat) refusing a bare code: the company ID keeps it
            return self._create_partners(values)

    @api.model
    def _company_contacts(self, source, wanted):
        """{uuid: contact}: the buyer among the contacts of the paying company (by phone, then
        e-mail), else a new contact of it."""
        if not wanted:
            return {}
        Partner, domain = self._candidates(source)  # not a user's own partner, as for any buyer
        children = Partner.search(domain + [("parent_id", "in", list({company.id for company, _b in wanted.values()})),
                                            ("type", "=", "contact")], order="id")
        known = {}
        for child in children:
            for key in (child.phone_sanitized, child.email_normalized):
                if key:
                    known.setdefault((child.parent_id.id, key), child)
        missing = {}
        keys = {}
        for uuid, (company, buyer) in wanted.items():
            for key in filter(None, (buyer["phone"] if buyer["phone_valid"] else None, buyer["email"])):
                if (company.id, key) in known:
                    keys[uuid] = (company.id, key)
                    break
            else:
                keys[uuid] = (company.id, person_key(buyer))
                missing.setdefault(keys[uuid], {**person_values(buyer), "parent_id": company.id, "type": "contact"})
        if missing:
            known.update(zip(missing, self._create_partners(list(missing.values()))))
        return {uuid: known[key] for uuid, key in keys.items()}

    @api.model
    def _delivery_contacts(self, customers, mapped):
        """{uuid: delivery contact} for the orders with an alternate recipient (a contact of the
        customer's company, the buyer's own when there is none)."""
        wanted = {m["uuid"]: m["recipient"] for m in mapped if m["recipient"] and m["uuid"] in customers}
        if not wanted:
            return {}
        Partner = self.env["res.partner"]
        parents = {uuid: customers[uuid].commercial_partner_id for uuid in wanted}
        existing = {
            (child.parent_id.id, child.phone_sanitized or child.name): child
            for child in Partner.search([("parent_id", "in", list({p.id for p in parents.values()})), ("type", "=", "delivery")])
        }
        keys = {uuid: (parents[uuid].id, person["phone"] if person["phone_valid"] else person["name"])
                for uuid, person in wanted.items()}
        missing = {}
        for uuid, k in keys.items():
            if k not in existing:
                person = wanted[uuid]
                missing.setdefault(k, {"name": person["name"], "phone": person["phone"], "type": "delivery",
                                       "parent_id": parents[uuid].id})
        if missing:
            existing.update(zip(missing, self._create_partners(list(missing.values()))))
        return {uuid: existing[k] for uuid, k in keys.items()}

    @api.model
    def _note_invalid_payer(self, order, payer):
        """Tell the salesperson when the paying company's number is not a Ukrainian tax number."""
        if payer and not payer["code_valid"] and payer["code"]:
            order.message_post(body=Markup("<p>%s</p>") % self.env._(
                "Epicentr gives %(number)s as the tax number of the paying company %(company)s; it is "
                "neither an EDRPOU (8 digits) nor an ITN (10 digits), so the company has no tax ID in "
                "Odoo. Check it with the buyer before invoicing.", number=payer["code"], company=payer["name"]),
                message_type="comment", subtype_xmlid="mail.mt_note")


def payer_key(payer):
    return payer["code"] if payer["code_valid"] else payer["name"]


def person_key(person):
    return person["phone"] if person["phone_valid"] else (person["email"] or person["name"])


def person_values(person):
    return {"name": person["name"], "phone": person["phone"], "email": person["email"]}

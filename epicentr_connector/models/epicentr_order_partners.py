"""Who an Epicentr order is for: the buyer, a paying company with the buyer as its contact, and
the recipient; matched to existing contacts where they are known, created in one go where not."""

from markupsafe import Markup

from odoo import api, models
from odoo.exceptions import ValidationError


class EpicentrOrderPartners(models.AbstractModel):
    _name = "epicentr.order.partners"
    _description = "Epicentr order customers"

    @api.model
    def _partners_for(self, source, cards):
        """{uuid: (customer, delivery contact, invoice address)} for the orders whose buyer Epicentr shows.

        A buyer paying for a company (payerName, govNumber) is that company's contact and the
        company is invoiced; an alternate recipient is a delivery contact of the customer's company.
        """
        shown = [card for card in cards if card.buyer]
        companies = self._payer_companies(source, [card for card in shown if card.payer])
        customers = self._buyers(source, [card for card in shown if card.uuid not in companies])
        customers.update(self._company_contacts(
            source, {card.uuid: (companies[card.uuid], card.buyer) for card in shown if card.uuid in companies}))
        delivery = self._delivery_contacts(customers, cards)
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
    def _buyers(self, source, cards):
        """{uuid: partner}: buyers matched by E.164 phone (Odoo's sanitized phone), then by
        e-mail (unverified, so only after the phone); the rest created."""
        Partner, domain = self._candidates(source)
        phones = {card.buyer.phone for card in cards if card.buyer.phone_valid}
        emails = {card.buyer.email for card in cards if card.buyer.email}
        by_phone, by_email = {}, {}
        if phones:
            for partner in Partner.search(domain + [("phone_sanitized", "in", list(phones)), ("type", "=", "contact")], order="id"):
                by_phone.setdefault(partner.phone_sanitized, partner)
        if emails:
            for partner in Partner.search(domain + [("email_normalized", "in", list(emails)), ("type", "=", "contact")], order="id"):
                by_email.setdefault(partner.email_normalized, partner)

        def found(buyer):
            return (buyer.phone_valid and by_phone.get(buyer.phone)) or (buyer.email and by_email.get(buyer.email))

        to_create = {}
        for card in cards:
            if not found(card.buyer):
                to_create.setdefault(card.buyer.key, card.buyer)
        created = dict(zip(to_create, self._create_partners([
            {**buyer.values(), "company_id": source.company_id.id,
             "comment": self.env._("Created from an Epicentr order.")}
            for buyer in to_create.values()
        ]))) if to_create else {}
        return {card.uuid: found(card.buyer) or created[card.buyer.key] for card in cards}

    @api.model
    def _payer_companies(self, source, cards):
        """{uuid: company partner}: matched by EDRPOU/ITN in the tax ID (or company ID), by exact
        name when Epicentr's number is not a valid one; the rest created."""
        Partner, domain = self._candidates(source)
        domain = domain + [("is_company", "=", True)]
        codes = {card.payer.code for card in cards if card.payer.code_valid}
        names = {card.payer.name for card in cards if not card.payer.code_valid}
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
        for card in cards:
            if card.payer.key not in known:
                missing.setdefault(card.payer.key, card.payer)
        if missing:
            known.update(zip(missing, self._create_companies(source, list(missing.values()))))
        return {card.uuid: known[card.payer.key] for card in cards}

    @api.model
    def _create_companies(self, source, payers):
        values = [{"name": payer.name, "is_company": True, "company_id": source.company_id.id,
                   "company_registry": payer.code if payer.code_valid else False,
                   "comment": self.env._("Created from an Epicentr order paid by invoice.")} for payer in payers]
        try:
            with self.env.cr.savepoint():
                return self._create_partners([
                    {**company, "vat": payer.code if payer.code_valid else False}
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
            for key in filter(None, (buyer.phone if buyer.phone_valid else None, buyer.email)):
                if (company.id, key) in known:
                    keys[uuid] = (company.id, key)
                    break
            else:
                keys[uuid] = (company.id, buyer.key)
                missing.setdefault(keys[uuid], {**buyer.values(), "parent_id": company.id, "type": "contact"})
        if missing:
            known.update(zip(missing, self._create_partners(list(missing.values()))))
        return {uuid: known[key] for uuid, key in keys.items()}

    @api.model
    def _delivery_contacts(self, customers, cards):
        """{uuid: delivery contact} for the orders with an alternate recipient (a contact of the
        customer's company, the buyer's own when there is none)."""
        wanted = {card.uuid: card.recipient for card in cards if card.recipient and card.uuid in customers}
        if not wanted:
            return {}
        Partner = self.env["res.partner"]
        parents = {uuid: customers[uuid].commercial_partner_id for uuid in wanted}
        existing = {
            (child.parent_id.id, child.phone_sanitized or child.name): child
            for child in Partner.search([("parent_id", "in", list({p.id for p in parents.values()})), ("type", "=", "delivery")])
        }
        keys = {uuid: (parents[uuid].id, person.phone if person.phone_valid else person.name)
                for uuid, person in wanted.items()}
        missing = {}
        for uuid, k in keys.items():
            if k not in existing:
                person = wanted[uuid]
                missing.setdefault(k, {"name": person.name, "phone": person.phone, "type": "delivery",
                                       "parent_id": parents[uuid].id})
        if missing:
            existing.update(zip(missing, self._create_partners(list(missing.values()))))
        return {uuid: existing[k] for uuid, k in keys.items()}

    @api.model
    def _note_invalid_payer(self, order, payer):
        """Tell the salesperson when the paying company's number is not a Ukrainian tax number."""
        if payer and not payer.code_valid and payer.code:
            order.message_post(body=Markup("<p>%s</p>") % self.env._(
                "Epicentr gives %(number)s as the tax number of the paying company %(company)s; it is "
                "neither an EDRPOU (8 digits) nor an ITN (10 digits), so the company has no tax ID in "
                "Odoo. Check it with the buyer before invoicing.", number=payer.code, company=payer.name),
                message_type="comment", subtype_xmlid="mail.mt_note")


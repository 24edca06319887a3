"""Epicentr's catalogue vocabulary read into Odoo: categories, attribute sets with their
attributes, and the options of the select attributes of the sets a mapping uses (reading every
set's options would take thousands of requests). Known entries are updated in place, so the
mappings that point to them hold; an entry Epicentr no longer lists stays, and a category gone
is marked closed."""

from .. import const


def title(entry, language):
    for translation in entry.get("translations") or []:
        if isinstance(translation, dict) and translation.get("languageCode") == language and translation.get("title"):
            return str(translation["title"])[:500]
    return None


def words(entry):
    """{code, name, name_ru} of a vocabulary entry; its code stands in for a missing Ukrainian title."""
    code = str(entry["code"])
    return {"code": code, "name": title(entry, "ua") or title(entry, "uk") or title(entry, "ru") or code,
            "name_ru": title(entry, "ru")}


class PimVocabulary:
    def __init__(self, source, client):
        self.env = source.env(su=True)
        self.client = client

    def read_all(self):
        """Read it all; returns {"categories", "sets", "options"} counts."""
        sets = self.read_sets()
        categories = self.read_categories(sets)
        options = self.read_options(self.sets_in_use())
        self.env["epicentr.offer"]._mark_feed_all()
        return {"categories": categories, "sets": len(sets), "options": options}

    def upsert(self, model, rows, key="code", extra_domain=()):
        """{code: record} of ``rows`` (dicts with ``key``), created or updated."""
        Model = self.env[model].with_context(active_test=False)
        known = {record[key]: record for record in Model.search([(key, "in", [row[key] for row in rows]), *extra_domain])}
        new = [row for row in rows if row[key] not in known]
        for row in rows:
            record = known.get(row[key])
            # relational values (commands) are always written; the others only when they changed
            if record and any(isinstance(value, list) or record._fields[name].convert_to_write(record[name], record) != value
                              for name, value in row.items()):
                record.write(row)
        known.update({record[key]: record for record in Model.create(new)})
        return known

    def read_sets(self):
        entries = [entry for entry in self.client.iter_pim("attribute_sets")
                   if isinstance(entry, dict) and entry.get("code")]
        attributes = {}
        for entry in entries:
            for attribute in entry.get("attributes") or []:
                if isinstance(attribute, dict) and attribute.get("code"):
                    value_type = attribute.get("type") if attribute.get("type") in dict(const.PIM_VALUE_TYPES) else "string"
                    attributes[str(attribute["code"])] = {**words(attribute), "value_type": value_type}
        by_code = self.upsert("epicentr.attribute", list(attributes.values()))
        sets = self.upsert("epicentr.attribute.set", [words(entry) for entry in entries])
        for entry in entries:
            listed = [a for a in entry.get("attributes") or [] if isinstance(a, dict) and str(a.get("code")) in by_code]
            sets[str(entry["code"])].write({
                "attribute_ids": [(6, 0, [by_code[str(a["code"])].id for a in listed])],
                "required_attribute_ids": [(6, 0, [by_code[str(a["code"])].id for a in listed if a.get("isRequired")])]})
        return sets

    def read_categories(self, sets):
        entries = [entry for entry in self.client.iter_pim("categories") if isinstance(entry, dict) and entry.get("code")]
        categories = self.upsert("epicentr.category", [
            {**words(entry), "has_child": bool(entry.get("hasChild")), "deleted": bool(entry.get("deleted")),
             "attribute_set_ids": [(6, 0, [sets[str(s["code"])].id for s in entry.get("attributeSets") or []
                                           if isinstance(s, dict) and str(s.get("code")) in sets])]}
            for entry in entries])
        for entry in entries:
            parent = categories.get(str(entry.get("parentCode") or ""))
            if categories[str(entry["code"])].parent_id != parent:
                categories[str(entry["code"])].parent_id = parent
        gone = self.env["epicentr.category"].search([("code", "not in", list(categories)), ("deleted", "=", False)])
        gone.write({"deleted": True})
        return len(categories)

    def sets_in_use(self):
        return (self.env["product.category"].search([("epicentr_attribute_set_id", "!=", False)]).epicentr_attribute_set_id
                | self.env["product.template"].with_context(active_test=False).search(
                    [("epicentr_attribute_set_id", "!=", False)]).epicentr_attribute_set_id)

    def read_options(self, sets):
        count = 0
        for attribute_set in sets:
            for attribute in attribute_set.attribute_ids.filtered(lambda a: a.value_type in const.SELECT_TYPES):
                rows = {str(entry["code"]): {**words(entry), "attribute_id": attribute.id}
                        for entry in self.client.iter_pim("options", set_code=attribute_set.code,
                                                          attribute_code=attribute.code)
                        if isinstance(entry, dict) and entry.get("code")}
                options = self.upsert("epicentr.attribute.option", list(rows.values()),
                                      extra_domain=[("attribute_id", "=", attribute.id)])
                for option in options.values():
                    if attribute_set not in option.set_ids:
                        option.set_ids = [(4, attribute_set.id)]
                count += len(rows)
        return count

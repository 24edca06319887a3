"""Every term of the addon is translated in Ukrainian and Russian (no empty or fuzzy entries)."""

from pathlib import Path

import polib
import pytest

I18N = Path(__file__).resolve().parents[1] / "epicentr_connector" / "i18n"


@pytest.mark.parametrize("lang", ["uk", "ru"])
def test_every_term_is_translated(lang):
    template = polib.pofile(str(I18N / "epicentr_connector.pot"))
    catalog = {entry.msgid: entry for entry in polib.pofile(str(I18N / f"{lang}.po"))}
    missing = [e.msgid for e in template if e.msgid not in catalog or not catalog[e.msgid].msgstr]
    fuzzy = [msgid for msgid, entry in catalog.items() if "fuzzy" in entry.flags]
    assert not missing, f"{len(missing)} terms untranslated in {lang}.po, e.g. {missing[:5]}"
    assert not fuzzy, f"fuzzy entries in {lang}.po: {fuzzy[:5]}"

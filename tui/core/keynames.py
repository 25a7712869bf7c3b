"""A key as Textual names it ("*" is "asterisk", "/" is "slash"), without importing Textual: the
config's checks of `[[actions]]` keys run where no UI is loaded (`warroom check-config`, the
actions). tests/core/test_keys.py holds this to Textual's own rule for every printable character."""

from __future__ import annotations

import unicodedata

# Textual's friendlier names for a few characters' Unicode names (textual.keys).
_REPLACEMENTS = {
    "solidus": "slash",
    "reverse_solidus": "backslash",
    "commercial_at": "at",
    "hyphen_minus": "minus",
    "plus_sign": "plus",
    "low_line": "underscore",
}
_ASCII = {"\t": "tab"}


def normalise(key: str) -> str:
    """One key as a binding names it: a single character by its name, anything else as given."""
    key = key.strip()
    if len(key) != 1:
        return key
    if key.isalnum():
        name = key
    else:
        try:
            name = unicodedata.name(key).lower().replace("-", "_").replace(" ", "_")
        except ValueError:
            name = _ASCII.get(key, key)
    return _REPLACEMENTS.get(name, name)

"""The one message catalogue: every text a respondent or municipality reads.

Texts live in ``messages.yaml`` next to this module, Dutch first and English
second; code refers to them by key. Texts that belong to an instrument (items,
scales, level descriptors) live in the instrument file instead.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

CATALOGUE = Path(__file__).with_name("messages.yaml")


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """All messages: ``{key: {"nl": ..., "en": ...}}``."""
    # libyaml's parser where it is there (as ``loading.SAFE_LOADER``): the same data, faster
    return yaml.load(
        CATALOGUE.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    )


def t(key: str, lang: str = "nl", **values: object) -> str:
    """The message ``key`` in ``lang`` (Dutch when no translation), filled with ``values``.

    An unknown key raises ``KeyError``: a missing text is a bug, not something to hide.
    """
    entry = catalogue()[key]
    text = entry.get(lang) or entry["nl"]
    return text.format(**values) if values else text


def t_count(key: str, count: int, lang: str = "nl", **values: object) -> str:
    """The message for ``count`` things: ``key_one`` when it is 1, else ``key_many`` (Dutch and
    English both have one plural form), filled with ``values``."""
    return t(f"{key}_{'one' if count == 1 else 'many'}", lang, **values)

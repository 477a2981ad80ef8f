"""The defined categories of the registry's classifying columns, in their defined order.

An organisation's kind, size class, urbanisation and province are text in the registry (as the
analyst's files give them), but they classify: archives and statistics code them. The codes come
from these definitions, never from the values a round happens to hold, so a code means the same
in every project and round and pooled archives agree. Size class and urbanisation are ordered
(ordinal); kind and province are not (nominal).

* size class: CBS's municipality size classes (gemeentegrootteklassen, inhabitants); the text
  is matched by its numbers, so ``> 250.000``, ``250.000 en meer`` and ``250000+`` are one class;
* urbanisation: CBS's five classes of address density (stedelijkheid 1-5), by name or number;
* province: the twelve provinces in CBS's order (PV20-PV31), Friesland also as Fryslân;
* kind: gemeente, provincie, other (``registry.KINDS``).

A value outside a definition is not lost: ``Classification.codes`` gives it a code from
``EXTRA_CODE`` upwards (alphabetically), after every defined code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

EXTRA_CODE = 101  # the first code of a value outside the definition (defined codes never move)

# (label, lowest, highest) inhabitants; ``None`` is open-ended
SIZE_CLASSES = (
    ("minder dan 5.000", 0, 5_000),
    ("5.000-10.000", 5_000, 10_000),
    ("10.000-20.000", 10_000, 20_000),
    ("20.000-50.000", 20_000, 50_000),
    ("50.000-100.000", 50_000, 100_000),
    ("100.000-150.000", 100_000, 150_000),
    ("150.000-250.000", 150_000, 250_000),
    ("250.000 en meer", 250_000, None),
)
URBANISATION = (
    "zeer sterk stedelijk",
    "sterk stedelijk",
    "matig stedelijk",
    "weinig stedelijk",
    "niet stedelijk",
)
PROVINCES = (
    "Groningen",
    "Fryslân",
    "Drenthe",
    "Overijssel",
    "Flevoland",
    "Gelderland",
    "Utrecht",
    "Noord-Holland",
    "Zuid-Holland",
    "Zeeland",
    "Noord-Brabant",
    "Limburg",
)
KINDS = ("gemeente", "provincie", "other")
_BELOW = re.compile(r"<|minder|kleiner|onder|less|under|below|\btot\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d{1,3}(?:[.\s]\d{3})+|\d+")


def _present(value) -> bool:
    """Not missing: neither ``None``, NaN, pandas' NA nor blank text."""
    try:
        return bool(value == value) and value is not None and bool(str(value).strip())
    except TypeError:  # pandas.NA compares as NA
        return False


def _key(text: str) -> str:
    return " ".join(str(text).replace("\xa0", " ").split()).casefold()


def size_class(text: str) -> str | None:
    """The defined size class ``text`` names (by its numbers), or ``None``."""
    numbers = [int(re.sub(r"\D", "", n)) for n in _NUMBER.findall(str(text))]
    for label, low, high in SIZE_CLASSES:
        if _key(text) == _key(label):
            return label
        if len(numbers) == 2 and numbers == [low, high]:
            return label
        if len(numbers) == 1:
            below = bool(_BELOW.search(str(text)))
            if (below and numbers[0] == high) or (
                not below and numbers[0] == low and (high is None or low == 0)
            ):
                return label
    return None


def _named(
    categories: tuple[str, ...], aliases: dict[str, str] | None = None
) -> Callable[[str], str | None]:
    """A matcher by name (case and spacing aside), by alias, or by the category's number (1, 2, …)."""
    lookup = {_key(c): c for c in categories} | {_key(a): c for a, c in (aliases or {}).items()}
    lookup |= {str(n): c for n, c in enumerate(categories, start=1)}
    return lambda text: lookup.get(_key(text))


@dataclass(frozen=True)
class Classification:
    """One classifying column: its categories in their defined order, whether that order
    means something (ordinal), and how a registry text is matched to a category."""

    column: str
    categories: tuple[str, ...]
    ordinal: bool
    match: Callable[[str], str | None] = field(compare=False)

    def codes(self, values: Iterable) -> dict[str, int]:
        """Text value → code: a defined category's position (1, 2, …), whether or not present;
        any other text from ``EXTRA_CODE`` upwards, alphabetically."""
        codes = {c: n for n, c in enumerate(self.categories, start=1)}
        found = {str(v) for v in values if _present(v)}
        known = {v: codes[m] for v in found if (m := self.match(v)) is not None}
        extra = sorted(v for v in found if v not in known)
        return known | {v: n for n, v in enumerate(extra, start=EXTRA_CODE)}


CLASSIFICATIONS = {
    "kind": Classification("kind", KINDS, False, _named(KINDS)),
    "size_class": Classification(
        "size_class", tuple(label for label, _, _ in SIZE_CLASSES), True, size_class
    ),
    "urbanisation": Classification("urbanisation", URBANISATION, True, _named(URBANISATION)),
    "province": Classification(
        "province", PROVINCES, False, _named(PROVINCES, {"Friesland": "Fryslân"})
    ),
}

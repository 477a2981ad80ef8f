"""How numbers read in each language the package speaks: the one home of the supported
languages, decimal and thousands marks, the minus sign, signed numbers, percentages, intervals,
the bound of an interval that rounds to zero, and the mark of a missing value.

Reports, the management summary, the advice, the forms, the charts' tables and the researchers'
notebooks all format their figures here, so a figure reads the same wherever it is shown:

* Dutch ``3,7`` and ``1.234,5``; English ``3.7`` and ``1,234.5`` (``DECIMAL_MARK``,
  ``THOUSANDS_MARK``; plotly gets the same marks through ``plotly_separators``).
* Rounding is half away from zero on the number as written: ``2,25`` → ``2,3``, ``2,675`` →
  ``2,68``, ``−2,25`` → ``−2,3`` (the rule taught at school and used by a reader who checks a
  figure by hand; Python's ``round`` would give ``2,2`` and ``2,67``).
* One minus sign, ``MINUS`` (U+2212 "−"), never the hyphen-minus: it is the sign typography
  prescribes for numbers, as wide as "+" and the digits so that signed figures line up in a
  table column, screen readers name it "minus" (a hyphen is read as "streepje"/"dash" or not
  at all), and it cannot be taken for the hyphen of a word broken at the end of a printed line.
  What municipalities read is typeset, not parsed; exports for software (CSV, Parquet, SPSS)
  carry plain numbers and never pass through this module.
* A number that rounds to zero has no sign: never "−0,00" or "+0,00".
* A missing value (``None``, NaN, ``pd.NA``) is ``MISSING`` ("–"), never "nan" or an empty cell.
* An interval bound that is not zero but rounds to zero reads "> 0" or "< 0" (``bound``), so that
  an interval never hides on which side of zero it lies (``docs/scoring.md``, "Change between
  rounds"); the message catalogue explains the notation to the reader (``report.change_correction``).
* An interval is two bounds joined by an en dash: closed between plain numbers ("2,1–3,4"),
  with spaces when a bound carries a sign or "<"/">" ("−0,25 – −0,10", "< 0 – 0,80"), so that
  the dash is not read as a minus.

The lowest layer (with ``ids`` and ``resources``): it imports nothing of the package, so every
layer can use it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from numbers import Integral
from typing import Literal, get_args

Language = Literal["nl", "en"]
LANGUAGES: tuple[str, ...] = get_args(Language)  # every text exists in these; nl is required
PRIMARY_LANGUAGE = "nl"  # the language of a text without a translation, and of unmarked files

DECIMAL_MARK = {"nl": ",", "en": "."}
THOUSANDS_MARK = {"nl": ".", "en": ","}
MINUS = "\u2212"
MISSING = "–"
ABOVE_ZERO, BELOW_ZERO = "> 0", "< 0"
RANGE_DASH = "–"


def known_language(lang: str | None) -> str:
    """``lang`` when the package speaks it, else the primary language (for a language that
    comes from a link or a request, which anyone can write)."""
    return lang if lang in LANGUAGES else PRIMARY_LANGUAGE


def plotly_separators(lang: str) -> str:
    """The decimal mark, then the thousands mark: plotly's ``layout.separators`` for ``lang``,
    so that a chart's axes read as the text around them."""
    lang = known_language(lang)
    return DECIMAL_MARK[lang] + THOUSANDS_MARK[lang]


def is_missing(value) -> bool:
    """``None``, NaN, ``pd.NA`` or ``pd.NaT`` (without importing pandas: the command line
    imports this module before it needs pandas, ``benchmarks/bench_startup.py``)."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN and NaT are the values not equal to themselves
    except TypeError:  # pd.NA: whether it equals itself is itself missing
        return True


def _exact(value) -> Decimal:
    """``value`` as the decimal number it is written as (a float by its shortest repr, so that
    2.675 is 2.675 and not the binary 2.67499…)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, Integral):
        return Decimal(int(value))
    return Decimal(repr(float(value)))


def _rounded(value, decimals: int) -> Decimal:
    """``value`` rounded half away from zero to ``decimals`` decimals; zero without a sign."""
    rounded = _exact(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded == 0 else rounded


def number(value, decimals: int, lang: str = PRIMARY_LANGUAGE, signed: bool = False) -> str:
    """``value`` with ``decimals`` decimals in the format of ``lang``: its decimal and thousands
    marks, the minus sign ``MINUS``, ``+`` before a positive value when ``signed`` (for
    differences), no sign for a value that rounds to zero, ``MISSING`` for a missing value."""
    if is_missing(value):
        return MISSING
    lang = known_language(lang)
    if _exact(value).is_infinite():
        return (MINUS if value < 0 else "+" if signed else "") + "∞"
    rounded = _rounded(value, decimals)
    digits = format(rounded.copy_abs(), f",.{decimals}f")
    digits = digits.translate(str.maketrans({",": THOUSANDS_MARK[lang], ".": DECIMAL_MARK[lang]}))
    sign = MINUS if rounded < 0 else ("+" if signed and rounded > 0 else "")
    return sign + digits


def percent(share, lang: str = PRIMARY_LANGUAGE, decimals: int = 0) -> str:
    """A share (0.45) as a percentage ("45%"), rounded as ``number`` rounds; ``MISSING`` for a
    missing share."""
    if is_missing(share):
        return MISSING
    return number(_exact(share) * 100, decimals, lang) + "%"


def bound(value, decimals: int, lang: str = PRIMARY_LANGUAGE) -> str:
    """An interval bound whose side of zero survives rounding: a bound that is not zero but
    rounds to zero reads ``ABOVE_ZERO`` ("> 0") or ``BELOW_ZERO`` ("< 0"); any other bound is
    ``number``."""
    if is_missing(value) or value == 0 or _rounded(value, decimals) != 0:
        return number(value, decimals, lang)
    return ABOVE_ZERO if value > 0 else BELOW_ZERO


def interval(low, high, decimals: int, lang: str = PRIMARY_LANGUAGE) -> str:
    """The interval from ``low`` to ``high``: two ``bound``s joined by an en dash, closed between
    plain numbers ("2,1–3,4"), with spaces when a bound has a sign or reads "< 0"/"> 0"
    ("−0,25 – −0,10"); ``MISSING`` when a bound is missing."""
    if is_missing(low) or is_missing(high):
        return MISSING
    ends = bound(low, decimals, lang), bound(high, decimals, lang)
    plain = all(end[0].isdigit() for end in ends)
    return (RANGE_DASH if plain else f" {RANGE_DASH} ").join(ends)

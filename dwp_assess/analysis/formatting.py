"""Tables formatted for reading: Dutch decimal comma, no scientific notation, no NaN rows,
suppressed cells named, and intervals whose sign survives rounding.

The researcher notebook shows tables to people, not to programs: ``-1.78e-01`` becomes
``−0,178``, a p-value below 0.001 reads ``< 0,001``, a withheld figure reads "onderdrukt"
(``analysis.formatting.suppressed``) instead of an empty cell, and a row without any figure
is left out with a count of how many.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dwp_assess.instruments.messages import t

MAX_DECIMALS = 4
MINUS = "−"


def number(value, decimals: int = 2, lang: str = "nl", signed: bool = False) -> str:
    """``value`` with ``decimals`` decimals, never in scientific notation; Dutch decimal
    comma for ``lang`` nl; the minus sign U+2212; ``+`` for a positive value when ``signed``;
    "" for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return ""
    text = f"{abs(float(value)):,.{decimals}f}"
    if lang == "nl":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    rounded_zero = round(float(value), decimals) == 0
    sign = MINUS if float(value) < 0 and not rounded_zero else ("+" if signed and float(value) > 0 and not rounded_zero else "")  # fmt: skip
    return sign + text


def decimals_for(*values: float, decimals: int = 2) -> int:
    """The fewest decimals (at least ``decimals``, at most ``MAX_DECIMALS``) at which no
    non-zero value rounds to zero, so a sign is never hidden by rounding."""
    present = [abs(v) for v in values if v is not None and not pd.isna(v) and v != 0]
    for d in range(decimals, MAX_DECIMALS + 1):
        if all(round(v, d) != 0 for v in present):
            return d
    return MAX_DECIMALS


def interval(low: float, high: float, decimals: int = 2, lang: str = "nl") -> str:
    """``[low; high]`` with enough decimals that neither bound's sign is hidden by rounding;
    a bound too close to zero even at ``MAX_DECIMALS`` reads as "< 0,0001" with its sign."""
    if pd.isna(low) or pd.isna(high):
        return ""
    d = decimals_for(low, high, decimals=decimals)

    def bound(v: float) -> str:
        if v != 0 and round(v, d) == 0:
            return f"{MINUS if v < 0 else '+'}< {number(10.0**-d, d, lang)}"
        return number(v, d, lang, signed=True)

    return f"[{bound(low)}; {bound(high)}]"


def p_value(p: float, lang: str = "nl") -> str:
    """A p-value to three decimals, or ``< 0,001``."""
    if pd.isna(p):
        return ""
    return f"< {number(0.001, 3, lang)}" if p < 0.001 else number(p, 3, lang)


def readable(
    frame: pd.DataFrame,
    decimals: dict[str, int] | int = 2,
    lang: str = "nl",
    suppressed: str | None = None,
    signed: tuple[str, ...] = (),
    p_columns: tuple[str, ...] = (),
) -> pd.DataFrame:
    """A copy of ``frame`` for display: float columns as text (``number``, ``p_value`` for
    ``p_columns``), rows without any figure left out, and where the boolean column
    ``suppressed`` is true the figures replaced by the catalogue's "onderdrukt"."""
    out = frame.copy()
    floats = [c for c in out.columns if pd.api.types.is_float_dtype(out[c])]
    withheld = out[suppressed].fillna(False).astype(bool) if suppressed else pd.Series(False, index=out.index)  # fmt: skip
    empty = out[floats].isna().all(axis=1) & ~withheld if floats else pd.Series(False, index=out.index)  # fmt: skip
    out = out[~empty]
    withheld = withheld[~empty]
    for column in floats:
        d = decimals.get(column, 2) if isinstance(decimals, dict) else decimals
        if column in p_columns:
            text = out[column].map(lambda v: p_value(v, lang))
        else:
            text = out[column].map(lambda v, d=d, s=column in signed: number(v, d, lang, signed=s))
        out[column] = text.where(~withheld, t("formatting.suppressed", lang)).astype(object)
    for column in [c for c in out.columns if pd.api.types.is_integer_dtype(out[c])]:
        out[column] = out[column].map(lambda v: number(v, 0, lang)).astype(object)
    if suppressed:
        out = out.drop(columns=suppressed)
    out.attrs["rows_left_out"] = int(empty.sum())
    return out.reset_index(drop=True)


def with_interval(
    frame: pd.DataFrame, low: str, high: str, name: str, decimals: int = 2, lang: str = "nl"
) -> pd.DataFrame:
    """``frame`` with the columns ``low`` and ``high`` replaced by one text column ``name``."""
    out = frame.copy()
    position = list(out.columns).index(low)
    text = [interval(lo, hi, decimals, lang) for lo, hi in zip(out[low], out[high], strict=True)]
    out = out.drop(columns=[low, high])
    out.insert(position, name, np.array(text, dtype=object))
    return out


def grouped_texts(texts: pd.Series) -> list[tuple[str, int]]:
    """Identical answers (after trimming spaces, ignoring case) once, with how often they were
    given, most frequent first, then in the order given; the first spelling is kept. Reports
    show open answers this way, so that a text given four times reads once with "(4×)"."""
    seen: dict[str, list] = {}
    for text in texts.dropna().astype(str):
        clean = " ".join(text.split())
        if clean:
            seen.setdefault(clean.casefold(), [clean, 0])[1] += 1
    ordered = sorted(enumerate(seen.values()), key=lambda kv: (-kv[1][1], kv[0]))
    return [(text, n) for _, (text, n) in ordered]

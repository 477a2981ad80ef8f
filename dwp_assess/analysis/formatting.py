"""Tables formatted for reading: numbers as ``dwp_assess.locale`` writes them (Dutch decimal
comma, no scientific notation, the one minus sign and missing mark), no NaN rows, suppressed
cells named, and intervals whose sign survives rounding.

The researcher notebook shows tables to people, not to programs: ``-1.78e-01`` becomes
``−0,178``, a p-value below 0.001 reads ``< 0,001``, a withheld figure reads "onderdrukt"
(``analysis.formatting.suppressed``) instead of an empty cell, and a row without any figure
is left out with a count of how many.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dwp_assess.instruments.messages import t
from dwp_assess.locale import interval, is_missing, number


def p_value(p: float, lang: str = "nl") -> str:
    """A p-value to three decimals, or ``< 0,001``."""
    return number(p, 3, lang) if is_missing(p) or p >= 0.001 else f"< {number(0.001, 3, lang)}"


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
    withheld = (
        out[suppressed].fillna(False).astype(bool)
        if suppressed
        else pd.Series(False, index=out.index)
    )
    empty = (
        out[floats].isna().all(axis=1) & ~withheld if floats else pd.Series(False, index=out.index)
    )
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

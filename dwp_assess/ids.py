"""Identifiers of organisations, teams, rounds and collaborations, and the paths made from them.

Ids become file names (``reports/<round>/<organisation>.html``), folder names and parts of
links, so one pattern holds for all of them: lowercase letters ``a``-``z``, digits ``0``-``9``,
``-`` and ``_``, starting with a letter or a digit, at most 64 characters. No dots (``gm.a``
and ``gm.b`` would both become ``gm.html``), no slashes or backslashes, no ``..``, no
upper case (``Gouda`` and ``gouda`` are one file on Windows and macOS), nothing outside
ASCII (look-alike letters). The names ``index`` and ``manifest`` (the files of a round's
report folder) and the device names Windows cannot open (``con``, ``nul``, ``com1`` …) are
reserved. Ids are checked where they enter (registry import, round create, import, form
links); every output path built from an id goes through ``output_path``, which checks the
id again and proves the path stays inside its folder.

This is the lowest layer, with ``project`` and ``resources``: it imports nothing of the package.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

MAX_LENGTH = 64
PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
RULE = (
    f"ids are lowercase letters a-z, digits, '-' and '_', starting with a letter or digit, "
    f"at most {MAX_LENGTH} characters (no dots, slashes, spaces or capitals)"
)
RESERVED = frozenset(
    {"index", "manifest", "con", "prn", "aux", "nul"}
    | {f"{device}{n}" for device in ("com", "lpt") for n in range(1, 10)}
)
_SUFFIX = re.compile(r"[a-z0-9_.-]*")
_CHAR = re.compile(r"[a-z0-9_-]")
_NOT_ALLOWED = re.compile(r"[^a-z0-9_-]+")


class IdError(ValueError):
    """An id that does not match the pattern, or a path that would leave its folder."""


def problem(value: object) -> str | None:
    """Why ``value`` is not a valid id (a short phrase), or ``None`` when it is one."""
    if not isinstance(value, str) or value == "":
        return "is empty"
    if len(value) > MAX_LENGTH:
        return f"is {len(value)} characters long, more than {MAX_LENGTH}"
    if PATTERN.fullmatch(value):
        return "is reserved (a file name of its own)" if value in RESERVED else None
    reasons = []
    bad = sorted({c for c in value if not _CHAR.fullmatch(c.lower())})
    if bad:
        reasons.append("has " + ", ".join(_describe(c) for c in bad))
    if any(c.isascii() and c.isupper() for c in value):
        reasons.append("has capitals")
    if value[0] in "-_":
        reasons.append(f"starts with '{value[0]}'")
    return " and ".join(reasons) + _hint(value)


def _hint(value: str) -> str:
    """A suggestion in id form, when normalising keeps every letter (a look-alike letter from
    another alphabet would silently vanish from it)."""
    hint = normalise(value)
    kept = len(unicodedata.normalize("NFKD", value).encode("ascii", "ignore")) == len(value)
    return f" (for example '{hint}')" if kept and is_valid(hint) else ""


def _describe(char: str) -> str:
    """A character as an error shows it: printable ASCII quoted, others by their code point."""
    if char == " ":
        return "a space"
    if char.isascii() and char.isprintable():
        return f"'{char}'"
    return f"U+{ord(char):04X} ({unicodedata.name(char, 'control character').lower()})"


def is_valid(value: object) -> bool:
    return problem(value) is None


def check(value: object, what: str = "id") -> str:
    """``value`` when it is a valid id, else an ``IdError`` saying what is wrong and the rule."""
    reason = problem(value)
    if reason:
        raise IdError(f"{what} {value!r} {reason}; {RULE}")
    return value


def normalise(text: str) -> str:
    """``text`` made into id form: accents dropped, lowercase, every run of other characters
    a single ``-``, no ``-`` or ``_`` at the ends. The result may still be invalid (empty,
    too long or reserved): check it."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_ALLOWED.sub("-", ascii_text.lower()).strip("-_")


def case_key(value: str) -> str:
    """The form under which two ids count as the same: ids that differ only in case collide
    on case-insensitive file systems, so they are refused."""
    return value.casefold()


def output_path(folder: str | Path, *parts: str, suffix: str = "") -> Path:
    """``folder/part/…/last<suffix>``: the one way an id becomes a path.

    Every part must be a valid id; ``suffix`` (``.html``, ``-long.csv``) is appended, never
    substituted, and is the program's own text: lowercase letters, digits, ``.``, ``-``,
    ``_``, no ``..``. The result, symbolic links resolved, is proven to lie inside
    ``folder``; otherwise ``IdError``.
    """
    if not parts:
        raise IdError("an output path needs at least one id")
    for part in parts:
        check(part)
    if not _SUFFIX.fullmatch(suffix) or ".." in suffix:
        raise IdError(f"file name suffix {suffix!r} is not allowed")
    base = Path(folder).resolve()
    path = base.joinpath(*parts[:-1], parts[-1] + suffix).resolve()
    if path == base or not path.is_relative_to(base):
        raise IdError(f"{path} is not inside {base}")
    return path

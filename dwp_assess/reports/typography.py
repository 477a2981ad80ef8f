"""Typesetting of the reports' text: where a word may break, and where it may not.

Chromium has no Dutch hyphenation dictionary (and none at all offline), so CSS
``hyphens: auto`` does nothing for a Dutch report and a narrow table cell either overflows
or, with ``overflow-wrap: anywhere``, breaks a word anywhere ("Verke nnen"). Instead the
hyphenation points are written into the page when it is printed (``printing.for_printing``):
soft hyphens (U+00AD) from pyphen's dictionaries (nl_NL, en_GB), which the browser uses only
where a line must break (CSS ``hyphens: manual``) and shows as a hyphen there. The HTML files
keep their words as written (searched, copied and read by other tools whole); on screen a
table grows to its longest word and a narrow screen scrolls the table, never breaking a word.

``hyphenate_html`` works on rendered, escaped HTML and touches only text between tags:
never a tag, an attribute, a script, a style or preformatted text; inside text it leaves
alone every chunk that holds a digit, a URL, an e-mail address or an entity. Words get
soft hyphens only inside the elements where columns are narrow (table cells, labels);
running text and headings, which have the whole column, break between words. A name with a short prefix and a hyphen
("'s-Hertogenbosch") and a date ("07-12-2026") are kept on one line everywhere.
"""

from __future__ import annotations

import re
from functools import cache

import pyphen

SOFT_HYPHEN = "\u00ad"
DICTIONARIES = {"nl": "nl_NL", "en": "en_GB"}
MIN_WORD = 7  # shorter words fit any column the reports have
# A column header is hyphenated only for a long word: a short one ("gemiddeld") broken over
# three lines let the table squeeze its column to a syllable.
MIN_HEADER_WORD = 11
# Elements whose text may be hyphenated: the narrow boxes of a page. Headings and captions
# have the whole column and break between words; an element of class ``LITERAL`` (ids,
# hashes: the technical details) is never hyphenated.
HYPHENATED = frozenset({"th", "td", "caption", "dt", "label", "summary", "legend"})
LITERAL = "dwp-literal"
# Elements whose content is never text to set: copied as they are.
_VERBATIM = re.compile(r"<(script|style|pre|code|textarea|svg|title)\b.*?</\1\s*>", re.S | re.I)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)?[^>]*>")
_APOSTROPHE = r"(?:'|’|&#x27;|&#39;|&apos;|&rsquo;)"
# "'s-Hertogenbosch", "'t-Harde": a prefix of one or two letters and a hyphen, one word; a
# date ("07-12-2026", "2026-12-07") and the program's name ("dwp-assess", in colophons and
# methods), which a line must not break at their hyphens either.
_KEEP_TOGETHER = re.compile(
    rf"(?<![\w&#;]){_APOSTROPHE}[^\W\d_]{{1,2}}-[^\s<]+"
    r"|(?<![\w-])(?:\d{1,2}-\d{1,2}-\d{4}|\d{4}-\d{1,2}-\d{1,2}|dwp-assess)(?![\w-])"
)
NOWRAP_OPEN = '<span class="dwp-nowrap">'
_LETTERS = {size: re.compile(rf"[^\W\d_]{{{size},}}") for size in (MIN_WORD, MIN_HEADER_WORD)}
_NOT_A_WORD = re.compile(r"[\d/@&_\\]|\.\w|" + SOFT_HYPHEN)  # numbers, paths, URLs, entities


@cache
def _dictionary(lang: str) -> pyphen.Pyphen | None:
    name = DICTIONARIES.get(lang)
    return pyphen.Pyphen(lang=name, left=2, right=3) if name else None


def hyphenate_text(text: str, lang: str, min_word: int = MIN_WORD) -> str:
    """``text`` with soft hyphens at the hyphenation points of its words of ``min_word``
    letters or more, in the dictionary of ``lang`` (none for another language). A chunk
    between spaces that holds a digit, a slash, an @, an entity or a dot inside a name is
    left as it is."""
    dictionary = _dictionary(lang)
    if dictionary is None:
        return text
    parts = re.split(r"(\s+)", text)
    for n, chunk in enumerate(parts):
        if n % 2 or not chunk or _NOT_A_WORD.search(chunk):
            continue
        parts[n] = _LETTERS[min_word].sub(lambda m: _hyphenated(m.group(0), dictionary), chunk)
    return "".join(parts)


def _hyphenated(word: str, dictionary: pyphen.Pyphen) -> str:
    """``word`` with soft hyphens at the dictionary's points, leaving out points that would
    make a piece of one letter (the Dutch dictionary splits unknown compounds so: "Da-t-avol")."""
    kept, previous = [], 0
    for at in dictionary.positions(word):
        if at - previous >= 2:
            kept.append(at)
            previous = at
    pieces = [word[a:b] for a, b in zip([0, *kept], [*kept, len(word)], strict=True)]
    return SOFT_HYPHEN.join(pieces)


def _set_text(text: str, lang: str, min_word: int | None, in_nowrap: bool) -> str:
    """One run of escaped text: names kept together, words of ``min_word`` letters or more
    hyphenated (none when ``min_word`` is None)."""
    if in_nowrap:
        return text

    def words(part: str) -> str:
        return hyphenate_text(part, lang, min_word) if min_word else part

    out, last = [], 0
    for match in _KEEP_TOGETHER.finditer(text):
        out += [words(text[last : match.start()]), f"{NOWRAP_OPEN}{match.group(0)}</span>"]
        last = match.end()
    out.append(words(text[last:]))
    return "".join(out)


def hyphenate_html(markup: str, lang: str) -> str:
    """Rendered HTML with its text set for narrow columns (see the module docstring): the
    same markup, attributes and escaping, soft hyphens in the words of table cells,
    headings and labels, and nowrap spans around names such as "'s-Hertogenbosch". Safe to
    apply twice."""
    markup = str(markup)
    has_body = re.search(r"<body\b", markup, re.I) is not None
    in_body = not has_body
    open_elements: list[str] = []  # the hyphenated elements the text is in
    out, in_nowrap, literal = [], False, None  # literal: [element name, depth]
    for kind, piece in _pieces(markup):
        if kind == "text":
            if in_body and piece:
                min_word = (
                    (MIN_HEADER_WORD if open_elements[-1] == "th" else MIN_WORD)
                    if open_elements and not literal
                    else None
                )
                out.append(_set_text(piece, lang, min_word, in_nowrap))
            else:
                out.append(piece)
            continue
        out.append(piece)
        if kind != "tag":
            continue
        match = _TAG.match(piece)
        closing, name = match.group(1), (match.group(2) or "").lower()
        if name == "body":
            in_body = not closing
        if literal:
            literal[1] += (-1 if closing else 1) if name == literal[0] else 0
            if literal[1] == 0:
                literal = None
        elif not closing and re.search(rf'class="[^"]*\b{LITERAL}\b', piece):
            literal = [name, 1]
        if name in HYPHENATED and not piece.endswith("/>"):
            if not closing:
                open_elements.append(name)
            elif name in open_elements:
                del open_elements[len(open_elements) - 1 - open_elements[::-1].index(name)]
        in_nowrap = piece == NOWRAP_OPEN
    return "".join(out)


def _pieces(markup: str) -> list[tuple[str, str]]:
    """``markup`` cut into ("verbatim" | "tag" | "text", piece), in order; joined they are
    ``markup`` again."""
    pieces, at = [], 0
    for block in _VERBATIM.finditer(markup):
        pieces += _tags_and_text(markup[at : block.start()])
        pieces.append(("verbatim", block.group(0)))
        at = block.end()
    return pieces + _tags_and_text(markup[at:])


def _tags_and_text(markup: str) -> list[tuple[str, str]]:
    pieces, at = [], 0
    for tag in re.finditer(r"<!--.*?-->|<[^>]*>", markup, re.S):
        pieces.append(("text", markup[at : tag.start()]))
        pieces.append(("tag" if _TAG.match(tag.group(0)) else "verbatim", tag.group(0)))
        at = tag.end()
    pieces.append(("text", markup[at:]))
    return pieces

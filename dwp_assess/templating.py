"""HTML from jinja2 templates, every value escaped: the one set-up the reports and the form share.

Why one set-up: ``reports/`` (the report, summary, index) and ``collect/`` (the form's pages,
its result and count) each keep their own templates, and neither may import the other
(``tests/test_layers.py``); a value printed in either is escaped the same way and None or NaN
never prints as "None" or "nan". Only a value that is already HTML made by a template may be
wrapped in ``markupsafe.Markup`` by the caller.
"""

from __future__ import annotations

import html
from functools import cache

import jinja2
from markupsafe import Markup


def printed(value):
    """Every value a template prints passes here: None and NaN print as nothing (never as
    "None" or "nan"); text is escaped with the standard library's ``html.escape`` (quotes
    as ``&quot;``, as reports always did), trusted ``Markup`` is kept as it is."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if hasattr(value, "__html__"):
        return value
    return Markup(html.escape(str(value)))


@cache
def environment(folder: str, trim_blocks: bool = False) -> jinja2.Environment:
    """The autoescaping environment of the templates in ``folder`` (made once per folder).
    ``trim_blocks``: a line that holds only a block tag (``{% if %}``, ``{% for %}``) leaves
    nothing in the output, not even its line break."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        keep_trailing_newline=True,
        finalize=printed,
        trim_blocks=trim_blocks,
        lstrip_blocks=trim_blocks,
    )

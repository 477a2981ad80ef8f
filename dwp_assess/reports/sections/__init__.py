"""The sections of every output, as safe HTML, one module per part: ``common`` (what every
section shares), ``levels`` (a dimension's level in words), ``organisation`` (the
organisation report), ``advice`` (first and recommended actions), ``change`` (since the
previous round, and the improvement plan's follow-up), ``team`` (the team profile) and
``closing`` (open answers, methods, provenance and colophon, which close every document).

Report notebooks call these functions and display what they return. Each function
works out what its section says (texts from the message catalogue and the instrument,
numbers in the reader's format) and renders the section's jinja2 template,
``templates/sections/<name>.html.j2``, with autoescaping: the markup lives in the
templates, where it can be changed without touching Python, and every text from
respondents, organisations or files is escaped by jinja2. The only trusted fragments
(``markupsafe.Markup``) are figure payloads and table cells rendered by the templates'
own macros (``templates/sections/_macros.html.j2``). Figures are embedded as JSON that
the report page renders with its inlined plotly.js (``reports.html``), so no code and
no network request is needed to read the report.
"""

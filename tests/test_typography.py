"""Words break only where a dictionary says they may: soft hyphens written into the text of
table cells and labels at build time (Chromium has no Dutch dictionary), never into
markup, attributes, scripts, URLs or numbers; names such as "'s-Hertogenbosch" stay whole."""

from __future__ import annotations

import re
from datetime import date, timedelta

from dwp_assess.reports.typography import SOFT_HYPHEN, hyphenate_html, hyphenate_text

SHY = SOFT_HYPHEN


def visible(markup: str) -> str:
    return markup.replace(SHY, "")


def test_dutch_and_english_words_get_their_own_hyphenation_points():
    assert hyphenate_text("Organisatiestructuur", "nl") == SHY.join(
        ["Or", "ga", "ni", "sa", "tie", "struc", "tuur"]
    )
    assert hyphenate_text("Experimenteren", "nl") == SHY.join(
        ["Ex", "pe", "ri", "men", "te", "ren"]
    )
    assert hyphenate_text("organisation", "en") != hyphenate_text("organisation", "nl")
    assert hyphenate_text("gedekt", "nl") == "gedekt"  # short words fit every column
    assert hyphenate_text("Organisatiestructuur", "de") == "Organisatiestructuur"  # no dictionary
    # no piece of one letter, even where the dictionary offers it ("Da-t-avol…")
    pieces = hyphenate_text("Datavolwassenheid", "nl").split(SHY)
    assert len(pieces) > 2 and min(len(p) for p in pieces) >= 2


def test_numbers_urls_and_addresses_are_never_touched():
    for text in (
        "https://www.gemmaonline.nl/Gegevensmodel",
        "info@datawerkplaats.nl",
        "data-strategy-2026",
        "95%-betrouwbaarheidsinterval",
        "docs.example.org/Verantwoording",
    ):
        assert hyphenate_text(text, "nl") == text


def test_only_the_text_of_cells_and_labels_is_hyphenated():
    page = (
        '<html lang="nl"><head><title>Organisatiestructuur</title><style>td::after{content:"Organisatiestructuur"}</style></head>'
        '<body><h2 id="Organisatiestructuur">Organisatiestructuur</h2><p title="Organisatiestructuur">Organisatiestructuur</p>'
        '<table><tr><th>Eensgezindheid</th><th>gemiddeld</th></tr><tr><td><a href="https://x.nl/Organisatiestructuur">Organisatiestructuur</a></td>'
        '<td>Experimenteren &amp; Verbreden</td></tr></table><script>const s = "<td>Organisatiestructuur</td>";</script></body></html>'
    )
    out = hyphenate_html(page, "nl")
    assert visible(out) == page  # markup, attributes, escaping: all as they were
    text_of = {
        tag: re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", out)
        for tag in ("h2", "p", "th", "a", "td", "script", "title", "style")
    }
    assert SHY not in text_of["h2"][0] and SHY in text_of["a"][0] and SHY in text_of["td"][1]
    assert (
        SHY in text_of["th"][0] and SHY not in text_of["th"][1]
    )  # a short header word stays whole
    assert SHY not in "".join(
        text_of["p"] + text_of["script"] + text_of["title"] + text_of["style"]
    )
    assert re.search(r'(title|id|href)="[^"]*' + SHY, out) is None
    assert hyphenate_html(out, "nl") == out  # once is enough


def test_a_name_with_a_short_prefix_stays_on_one_line():
    out = hyphenate_html(
        "<h1>Datavolwassenheid van &#x27;s-Hertogenbosch</h1><p>In &#x27;s-Hertogenbosch</p>", "nl"
    )
    assert out.count('<span class="dwp-nowrap">&#x27;s-Hertogenbosch</span>') == 2
    assert hyphenate_html(out, "nl") == out


def test_a_date_is_never_broken_at_its_hyphens():
    """Every day of a year, as the reports write it ("07-12-2026", the provenance and the
    colophon) and as ISO, in running text and in a cell: kept on one line; a range of
    numbers or an id with a year ("data-sharing-2026") is not a date."""
    start = date(2026, 1, 1)
    for n in range(365):
        day = start + timedelta(days=n)
        for written in (day.strftime("%d-%m-%Y"), day.isoformat()):
            out = hyphenate_html(f"<p>Gemaakt op {written}.</p><td>{written}</td>", "nl")
            assert out.count(f'<span class="dwp-nowrap">{written}</span>') == 2, written
    out = hyphenate_html("<p>1-2 keer in ronde data-sharing-2026</p>", "nl")
    assert "dwp-nowrap" not in out


def test_technical_details_are_never_hyphenated():
    table = '<table class="dwp-table dwp-provenance dwp-literal"><tr><td>Instrument</td><td>data-strategy v2</td></tr></table>'
    page = f"<table><tr><td>Organisatiestructuur</td></tr></table>{table}<table><tr><td>Organisatiestructuur</td></tr></table>"
    out = hyphenate_html(page, "nl")
    assert table in out and out.count(SHY) == 2 * (
        len(hyphenate_text("Organisatiestructuur", "nl")) - len("Organisatiestructuur")
    )


def test_the_programs_name_is_never_broken_at_its_hyphen():
    """ "dwp-assess" in the colophon and methods stays on one line in every language; a word
    that only contains it ("dwp-assessment") is left to the browser."""
    for lang in ("nl", "en"):
        text = "<p>Gemaakt met dwp-assess 0.1.0.</p><td>vragenlijst; dwp-assess</td>"
        out = hyphenate_html(text, lang)
        assert out.count('<span class="dwp-nowrap">dwp-assess</span>') == 2, lang
    assert "dwp-nowrap" not in hyphenate_html("<p>a dwp-assessment</p>", "nl")

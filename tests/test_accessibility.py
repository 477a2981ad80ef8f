"""What a municipality publishes and what a respondent fills in meets WCAG 2.1 A and AA, as
axe-core checks it in Chromium: 0 violations on every kind of output, in both languages, on
generated rounds (a population round with names like "'s-Hertogenbosch", and every other
instrument from the sample generator with a seed of its own), and on the form's pages. On
paper, the same outputs keep a heading and its lead text with what they introduce.

Dutch government bodies must publish accessible documents (Besluit digitale toegankelijkheid
overheid: WCAG 2.1 AA); axe-core finds what a machine can find (contrast, names, landmarks,
languages, tables, keyboard reach of scrolling boxes), a person reading checks the rest.
"""

from __future__ import annotations

import asyncio
import html
import re
import threading
from pathlib import Path
from urllib.parse import urlencode

import pytest
from axe_playwright_python.sync_playwright import Axe
from pypdf import PdfReader

from dwp_assess.collect import server as collect
from dwp_assess.collect import web
from dwp_assess.data import importers, invitations, registry, store
from dwp_assess.data.sample_files import write_sample
from dwp_assess.demo import sample_rounds
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.reports import printing
from dwp_assess.reports import run as reports
from dwp_assess.reports.options import ReportOptions
from tests.generated_rounds import population_round

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.timeout(900),
]  # four rounds reported first

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ROUND = "ds-2027"
SEED = 2027  # another seed than the committed sample's
OTHER_KINDS = ("competences-2026", "data-sharing-2026", "digital-governance-2026")


def violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now, one line each with the
    rule, its impact and the first elements it names."""
    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]},
    )
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}"
        for v in results.response["violations"]
    ]


def largest_unit(engine, round_id: str, column: str) -> str:
    """The unit of a round with the most responses (the fullest page of its kind)."""
    counts = store.load_responses(engine, round_id)[column].value_counts()
    return str(counts.index[0])


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A store with a population round of six organisations and the team, collaboration and
    workshop rounds of the generator, and the reports of one unit of each kind in both
    languages (with the indexes)."""
    folder = tmp_path_factory.mktemp("a11y")
    engine = store.connect(f"sqlite:///{folder / 'dwp.sqlite'}")
    instrument = get_instrument("data-strategy", 2)
    population = population_round(folder / "imports", instrument, n_orgs=6, rho=0.5, seed=3)
    registry.import_registry(engine, population.registry)
    store.create_round(engine, instrument, "2027", ROUND)
    registry.import_registry(engine, population.registry, round_id=ROUND)
    for path in population.exports:
        importers.import_file(engine, path, ROUND)
    sample = folder / "sample"
    write_sample(sample, seed=SEED)
    registry.import_registry(
        engine,
        sample / "organisations.csv",
        sample / "teams.csv",
        collaborations_csv=sample / "collaborations.csv",
    )
    for generated_round in sample_rounds(sample):
        if generated_round.round_id in OTHER_KINDS:
            ins = get_instrument(generated_round.instrument_id, generated_round.instrument_version)
            store.create_round(engine, ins, generated_round.period, generated_round.round_id)
            for path, fmt in generated_round.files:
                importers.import_file(engine, path, generated_round.round_id, fmt=fmt)
    units = {
        ROUND: [population.organisations["id"].iloc[0]],  # 's-Hertogenbosch
        "competences-2026": [largest_unit(engine, "competences-2026", "team_id")],
        "data-sharing-2026": [largest_unit(engine, "data-sharing-2026", "collaboration_id")],
        "digital-governance-2026": [largest_unit(engine, "digital-governance-2026", "team_id")],
    }
    out = folder / "reports"
    for round_id, chosen in units.items():
        summary = reports.generate_reports(
            engine, ReportOptions(round_id, out, units=chosen, lang="nl,en", jobs=1)
        )
        assert summary.failed == 0, round_id
    yield engine, out, units, population
    engine.dispose()


def report_pages(out: Path, units: dict[str, list[str]]) -> list[Path]:
    pages = []
    for round_id, chosen in units.items():
        for unit in chosen:
            pages += sorted((out / round_id).glob(f"{unit}.*html"))
        pages += sorted((out / round_id).glob("index*.html"))
    return pages


def test_every_output_has_no_wcag_violations(generated, page):
    """Report and summary, team profile, project plan, agreements list and the indexes, in
    Dutch and English, with their charts drawn."""
    _, out, units, _ = generated
    pages = report_pages(out, units)
    names = {p.name for p in pages}
    org = units[ROUND][0]
    assert {
        f"{org}.html",
        f"{org}.en.html",
        f"{org}.samenvatting.html",
        f"{org}.samenvatting.en.html",
        "index.html",
        "index.en.html",
    } <= names
    assert len(pages) == 2 * (2 + 1 + 1 + 1) + 4 * 2  # four kinds of output + summary; indexes
    found = {}
    for path in pages:
        page.goto(path.as_uri())
        if not path.name.startswith("index"):
            page.wait_for_function("document.body.dataset.chartsReady === 'true'", timeout=60_000)
        problems = violations(page)
        if problems:
            found[f"{path.parent.name}/{path.name}"] = problems
    assert found == {}


def test_a_narrow_screen_has_no_wcag_violations(generated, page):
    """At the width of a phone the wide tables and charts scroll in boxes the keyboard
    reaches; nothing else changes what axe-core finds."""
    _, out, units, _ = generated
    page.set_viewport_size({"width": 400, "height": 900})
    found = {}
    for path in report_pages(out, units):
        if path.name.startswith("index"):
            continue
        page.goto(path.as_uri())
        page.wait_for_function("document.body.dataset.chartsReady === 'true'", timeout=60_000)
        problems = violations(page)
        if problems:
            found[path.name] = problems
    assert found == {}


@pytest.fixture
def form_base(generated):
    """The form server for the population round, in a thread, on a free port."""
    engine = generated[0]
    served = web.make_served(engine, rounds={ROUND})
    port = collect.free_port()
    ready, holder = threading.Event(), {}

    def run():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        holder["server"] = web.make_app(None, served=served).listen(port, "127.0.0.1")
        holder["loop"] = loop
        loop.call_soon(ready.set)
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(30)
    yield f"http://127.0.0.1:{port}/"
    holder["loop"].call_soon_threadsafe(holder["server"].stop)
    holder["loop"].call_soon_threadsafe(holder["loop"].stop)
    thread.join(10)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_form_has_no_wcag_violations(generated, form_base, page, lang):
    """The introduction, a page of questions with what is missing named after Next, and the
    result after sending, in the respondent's language."""
    engine, _, _, population = generated
    org = population.organisations["id"].iloc[0]
    token = invitations.issue(engine, ROUND, invitations.Unit(org), "group")[0].token
    page.goto(
        form_base
        + "?"
        + urlencode({"round": ROUND, "organisation": org, "token": token, "lang": lang})
    )
    page.wait_for_selector("button.dwp-next", timeout=60_000)
    found = {"introduction": violations(page)}
    page.locator("button.dwp-next").click()
    page.wait_for_selector("input[type=radio]", timeout=30_000)
    page.locator("button.dwp-next").click()  # nothing answered: the form names what is missing
    page.wait_for_function("document.querySelector('.dwp-app > .dwp-message').textContent !== ''")
    found["questions with what is missing"] = violations(page)
    assert {part: problems for part, problems in found.items() if problems} == {}


# -- on paper: a heading and its lead text print with what they introduce ---------------------

LEAD_TEXTS = """() => [...document.querySelectorAll("main h2 + p, main h3 + p")]
  .filter(p => p.nextElementSibling && p.nextElementSibling.matches("table, figure, ul, ol, h3, .dwp-scroll, .dwp-keep"))
  .map(p => [p.previousElementSibling.textContent, getComputedStyle(p).breakAfter, getComputedStyle(p).breakInside])"""


def _squeezed(text: str) -> str:
    return re.sub(r"[\s\u00ad\u2010-]", "", text)


def test_a_heading_and_its_lead_text_print_with_what_they_introduce(generated, page, tmp_path):
    """ "Stap 3" and its one-line lead at the foot of a page and its chart on the next (the
    agreements list), "Wie dekt wat" apart from its grid (the team profile), a theme of the
    project plan apart from its points: in print a lead text keeps whole with what follows
    (never split to stay: "terechtkwam." alone at the top of a page), and in
    the printed PDF the heading's page also holds the start of what the lead introduces."""
    _, out, units, _ = generated
    outputs = [p for p in report_pages(out, units) if not p.name.startswith("index")]
    page.emulate_media(media="print")
    leads = 0
    for path in outputs:
        page.goto(path.as_uri())
        page.wait_for_function("document.body.dataset.chartsReady === 'true'", timeout=60_000)
        found = page.evaluate(LEAD_TEXTS)
        assert all(after == inside == "avoid" for _, after, inside in found), (path.name, found)
        leads += len(found)
    assert leads >= 10
    nl = [p for p in outputs if ".en." not in p.name]
    files = [
        (p, tmp_path / f"{p.parent.name}-{p.stem}.pdf", "nl") for p in nl
    ]  # two rounds name a team alike
    try:
        printing.print_pdfs(files)
    finally:
        printing.discard_printer()
    apart = []
    for html_path, pdf, _ in files:
        reader = PdfReader(pdf)
        texts = [_squeezed(p.extract_text()) for p in reader.pages]
        pages = _heading_pages(reader)
        for heading, first in _leads_and_what_follows(html_path.read_text(encoding="utf-8")):
            on = pages.get(_squeezed(heading))
            if on is not None and _squeezed(first)[:12] not in texts[on]:
                apart.append((pdf.name, heading, on + 1))
    assert apart == []


def _heading_pages(reader: PdfReader) -> dict[str, int]:
    """The page (0-based) of every bookmark of a tagged PDF, by its title squeezed; a title
    that several headings share ("Geregeld" in every theme) has none."""
    pages, todo = {}, list(reader.outline)
    while todo:
        entry = todo.pop()
        if isinstance(entry, list):
            todo += entry
            continue
        title = _squeezed(entry.title)
        pages[title] = None if title in pages else reader.get_destination_page_number(entry)
    return pages


def _leads_and_what_follows(page: str) -> list[tuple[str, str]]:
    """Per heading with a short lead paragraph: the heading's text and the first words of the
    element after the lead (a table's header, a chart's caption, a sub-heading, a list)."""
    hidden = r"<(script|style|details)\b.*?</\1>|<span class=\"dwp-screen-only\">.*?</span>"  # not on paper
    page = re.sub(hidden, "", page, flags=re.S).replace("\u00ad", "")
    found = []
    # the lead is one paragraph: a heading whose paragraph ends its section (nothing follows)
    # has nothing to keep it with, and is not read as leading into the next section's heading
    lead = r"<p\b[^>]*>((?:(?!</p>).)*)</p>"
    pattern = rf"<h([23])\b[^>]*>(.*?)</h\1>\s*{lead}\s*(<[^/].*?)(?=<h[23]\b|$)"
    for match in re.finditer(pattern, page, re.S):
        heading, lead, rest = (_plain(match.group(n)) for n in (2, 3, 4))
        if len(lead) < 400 and len(rest) > 12:
            found.append((heading, rest[:40]))
    return found


def _plain(markup: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup))).strip()

"""The management summary "in één oogopslag" and honest words (issue #26), on rounds generated
with another seed than the sample's: page 1 holds the headline, every dimension and the first
actions in the report's own order; an organisation that skipped the previous round is told
there is nothing to compare with; strengths, priorities and peer gaps only beyond the noise,
ties said as ties; agreement words that cannot contradict the shown distribution.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from dwp_assess.analysis.profiles import analyse_answers, organisation_view
from dwp_assess.analysis.recommend import first_actions, recommend_organisation
from dwp_assess.instruments.messages import t
from dwp_assess.reports import summary
from dwp_assess.reports.printing import discard_printer, print_pdfs
from dwp_assess.reports.sections import advice as advice_sections
from dwp_assess.reports.sections import levels as levels_sections
from dwp_assess.reports.sections import organisation as organisation_sections
from tests.generated_rounds import (
    analysed_with_previous,
    answers_with_respondents,
    data_strategy_rounds,
)

SEED = 20261206  # not the sample's seed: other organisations' answers, other orders
SKIPPER = "woerden"  # left out of the generated previous round


@pytest.fixture(scope="module")
def rounds():
    """Both data-strategy rounds of the generated sample, the later one compared with the
    earlier; ``SKIPPER`` did not take part in the earlier one."""
    registry, before, after = data_strategy_rounds(SEED)
    previous_answers = answers_with_respondents(before)
    later = analysed_with_previous(
        registry, before, after, previous_answers[previous_answers["organisation_id"] != SKIPPER]
    )
    first_meta = {
        "round_id": before.round_id,
        "period": "2025",
        "snapshot_hash": "y",
        "instrument_id": before.instrument.id,
        "instrument_version": before.instrument.version,
        "level_basis": "estimate",
    }
    earlier = analyse_answers(previous_answers, before.instrument, registry, first_meta)
    return {"2026": later, "2025": earlier}


def _text(markup: str) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", str(markup))))


def _section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    return page[start : page.index("</section>", start)]


def _views(analysis):
    return [organisation_view(analysis, o) for o in sorted(set(analysis.scores["organisation_id"]))]


@pytest.mark.parametrize("period", ["2025", "2026"])
def test_the_summary_actions_are_the_reports_priorities_in_the_same_order_and_words(rounds, period):
    """Summary page 1, the report's summary ("Eerst aanpakken") and the first actions of the
    report's advice: the same dimensions, numbers and reasons, in the same order, for every
    generated organisation, in both languages."""
    analysis = rounds[period]
    instrument = analysis.instrument
    for view in _views(analysis):
        for lang in ("nl", "en"):
            page = summary.summary_html(view, instrument, lang)
            first = first_actions(view, instrument, lang=lang)
            labels = {d.id: d.label.get(lang) for d in instrument.dimensions}
            expected = [labels[d] for d in first["dimension_id"]]
            on_page_1 = re.findall(
                r'<li value="(\d+)"><strong>(.*?)</strong>', _section(page, "priorities")
            )
            assert [(int(n), html_lib.unescape(d)) for n, d in on_page_1] == list(
                enumerate(expected, 1)
            )
            report = str(organisation_sections.summary(view, instrument, lang))
            listed = re.findall(r"<li><strong>(.*?)</strong>: (.*?)(?: <em>|</li>)", report)
            assert [html_lib.unescape(d) for d, _ in listed] == expected
            assert [html_lib.unescape(r) for _, r in listed] == [
                "; ".join(r) for r in first["reasons"]
            ]
            advice = str(advice_sections.recommendations(view, instrument, lang))
            assert [
                html_lib.unescape(d)
                for d in re.findall(r"<li>(?:<div[^>]*>)?<strong>(.*?)</strong>", advice)
            ][: len(expected)] == expected
            why = _text(_section(page, "why"))
            for reasons in first["reasons"]:
                assert _text("; ".join(reasons)) in why
            assert "prioriteit" not in _text(page).lower().replace("prioriteiten", "")


def test_the_headline_names_the_level_most_dimensions_are_at_and_what_comes_first(rounds):
    analysis = rounds["2026"]
    instrument = analysis.instrument
    for view in _views(analysis)[:6]:
        levels = view.levels["level"].dropna().astype(int)
        counts = levels.value_counts()
        common = min(counts[counts == counts.max()].index)
        page = summary.summary_html(view, instrument, "nl")
        headline = _text(
            re.search(r'<p class="dwp-headline" id="headline">(.*?)</p>', page).group(1)
        )
        assert view.organisation["name"] in headline
        assert f"niveau {levels_sections.level_label(instrument, common, 'nl')}" in headline
        first = first_actions(view, instrument)
        assert (
            instrument.dimensions[
                [d.id for d in instrument.dimensions].index(first["dimension_id"].iloc[0])
            ].label.nl
            in headline
        )


def test_an_organisation_that_skipped_the_previous_round_has_nothing_to_compare(rounds):
    analysis = rounds["2026"]
    instrument = analysis.instrument
    skipper = organisation_view(analysis, SKIPPER)
    assert skipper.change.empty
    for lang in ("nl", "en"):
        page = _text(summary.summary_html(skipper, instrument, lang))
        assert t("summary.not_in_previous", lang, previous="2025") in page
        no_change = t("summary.no_change", lang, previous="2025")
        assert no_change not in page
    other = organisation_view(analysis, "gouda")
    assert not other.change.empty
    assert t("summary.not_in_previous", "nl", previous="2025") not in _text(
        summary.summary_html(other, instrument, "nl")
    )


def test_a_round_without_a_previous_one_says_so(rounds):
    view = organisation_view(rounds["2025"], "gouda")
    assert t("report.no_previous", "nl") in _text(
        summary.summary_html(view, rounds["2025"].instrument, "nl")
    )


def test_strengths_and_priorities_lie_beyond_the_noise_for_every_organisation(rounds):
    """A strength's interval lies wholly above the organisation's own average, a priority's
    wholly below: a listed strength can never have the mean of a listed priority."""
    for analysis in rounds.values():
        for view in _views(analysis):
            strengths, priorities = view.strengths_and_priorities()
            centre = view.mean_intervals()["mean"].mean()
            assert (strengths["low"] > centre).all() and (priorities["high"] < centre).all()
            if len(strengths) and len(priorities):
                assert strengths["mean"].min() > priorities["mean"].max()


def test_differences_within_the_intervals_give_no_strengths_or_priorities_but_say_so(rounds):
    analysis = rounds["2026"]
    view = organisation_view(analysis, "gouda")
    means = np.linspace(2.9, 3.1, len(view.dimensions))  # 0,2 apart, intervals about ±0,4
    wide = replace(view, dimensions=view.dimensions.assign(mean=means, sd=1.2))
    strengths, priorities = wide.strengths_and_priorities()
    assert strengths.empty and priorities.empty
    text = _text(organisation_sections.summary(wide, analysis.instrument, "nl"))
    assert t("report.no_strengths", "nl", centre="3,0") in text
    reasons = " ".join(
        r for rs in recommend_organisation(wide, analysis.instrument)["reasons"] for r in rs
    )
    assert "duidelijk lager dan uw andere dimensies" not in reasons
    narrow = replace(
        view,
        dimensions=view.dimensions.assign(mean=np.linspace(2.0, 4.0, len(means)), sd=0.3, n=40),
    )
    strengths, priorities = narrow.strengths_and_priorities()
    assert len(strengths) == 3 and len(priorities) == 3


def test_ties_in_the_action_order_are_said_to_be_ties(rounds):
    """Two first actions of the same kind whose intervals overlap are "even belangrijk"."""
    analysis = rounds["2026"]
    seen = 0
    for view in _views(analysis):
        advice = recommend_organisation(view, analysis.instrument)
        items = advice_sections.first_action_items(advice.head(3), analysis.instrument, "nl")
        for row, item in zip(advice.head(3).itertuples(), items, strict=True):
            overlap = (
                row.rank > 1
                and advice.iloc[row.rank - 2]["high"] >= row.low
                and advice.iloc[row.rank - 2]["low"] <= row.high
            )
            if row.tied:
                seen += 1
                assert overlap and item["tied"] == t("advice.tied", "nl", previous=row.rank - 1)
            else:
                assert item["tied"] == ""
    assert seen  # the generated round has ties to show


def test_a_peer_gap_counts_only_beyond_the_own_interval(rounds):
    analysis = rounds["2026"]
    view = organisation_view(analysis, "gouda")
    assert not view.peers.empty and not view.peers["suppressed"].any()
    dim = view.dimensions["dimension_id"].iloc[0]
    own = float(view.dimensions["mean"].iloc[0])
    peers = view.peers.assign(
        mean=np.where(view.peers["dimension_id"] == dim, own + 0.35, view.peers["mean"])
    )

    def peer_reason(sd: float) -> bool:
        dims = view.dimensions.assign(
            sd=np.where(view.dimensions["dimension_id"] == dim, sd, view.dimensions["sd"])
        )
        changed = replace(view, peers=peers, dimensions=dims)
        advice = recommend_organisation(changed, analysis.instrument)
        row = advice[advice["dimension_id"] == dim]
        return bool(len(row)) and any(
            "vergelijkbare organisaties" in r for r in row.iloc[0]["reasons"]
        )

    assert not peer_reason(2.0)  # 0,35 lower, but inside the interval: not "duidelijk lager"
    assert peer_reason(0.1)


def _bimodal(rounds):
    """Gouda's 2026 answers with planted level choices: 11% level 1, 35% level 5, the rest
    level 3, while every statement gets the same answer (rwg(J) = 1)."""
    analysis = rounds["2026"]
    instrument = analysis.instrument
    rows = []
    levels = [1] * 4 + [3] * 19 + [5] * 13  # 36 respondents: 11% level 1, 36% level 5
    for n, level in enumerate(levels):
        rid = f"b{n}"
        common = {
            "response_id": rid,
            "respondent_id": rid,
            "organisation_id": "gouda",
            "team_id": None,
            "role": "beleid",
            "text": None,
        }
        rows += [
            common | {"item_id": i.id, "value": float(level), "code": None}
            for i in instrument.level_items
        ]
        rows += [
            common | {"item_id": i.id, "value": 4.0, "code": None} for i in instrument.rated_items
        ]
    registry = pd.DataFrame(
        {
            "organisation_id": ["gouda"],
            "name": ["Gouda"],
            "kind": "gemeente",
            "size_class": "50.000-100.000",
            "invited": 40,
        }
    )
    meta = analysis.meta | {"previous_round_id": None, "previous_period": None}
    return organisation_view(
        analyse_answers(pd.DataFrame(rows), instrument, registry, meta, min_group=1), "gouda"
    )


def test_agreement_words_follow_the_shown_distribution(rounds):
    view = _bimodal(rounds)
    instrument = rounds["2026"].instrument
    bands = view.agreement_bands()
    assert (bands["rwg_j"] > 0.9).all()  # the statements alone would say "eensgezind"
    assert (bands["band"].isin(["lack", "weak"])).all()
    section = str(organisation_sections.response_and_reliability(view, instrument, "nl"))
    table = _text(section[section.index("<table") : section.index("</table>")])
    assert (
        t("agreement.word.in_agreement", "nl") not in table
        and t("agreement.word.divided", "nl") in table
    )
    page = _text(summary.summary_html(view, instrument, "nl"))
    assert t("summary.agreement_none", "nl") in page


def test_a_dimension_on_the_discussion_agenda_is_never_called_unanimous(rounds):
    for view in _views(rounds["2026"]):
        bands = view.agreement_bands()
        assert not bands[bands["on_agenda"]]["band"].isin(["strong", "very_strong"]).any()


def test_the_colophon_names_organisation_round_date_sender_contact_and_versions(rounds):
    analysis = rounds["2026"]
    view = organisation_view(analysis, "gouda")
    page = _text(
        summary.summary_html(
            view,
            analysis.instrument,
            "en",
            colophon={"sender": "Gemeente Testdorp", "contact": "data@testdorp.example"},
        )
    )
    colophon = page[page.index(t("report.colophon", "en")) :]
    for text in (
        "Gouda",
        "2026",
        # the date in words, never "07-12-2026", which reads as 12 July in English
        pd.Timestamp.now(tz="UTC").strftime("%-d %B %Y"),
        "Gemeente Testdorp",
        "data@testdorp.example",
        f"version {analysis.instrument.version}",
        "dwp-assess",
    ):
        assert text in colophon
    default = _text(summary.summary_html(view, analysis.instrument, "nl"))
    assert "Datawerkplaats, Universiteit Utrecht" in default[default.index("Colofon") :]


def _squeezed(text: str) -> str:
    """Text without spaces, line breaks and (soft) hyphens, ligatures undone (NFKC), so words
    split over lines match."""
    return re.sub(r"[\s\u00ad\-‐]", "", unicodedata.normalize("NFKC", text))


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_printed_page_one_holds_headline_every_dimension_actions_and_position(
    rounds, tmp_path, lang
):
    """Printed with Chromium: page 1 alone has the headline, every dimension of the grid, the
    first actions with owner and horizon, and the peers and change sentences."""
    jobs = []
    for period, organisation in (("2026", "gouda"), ("2026", SKIPPER), ("2025", "zuid-holland")):
        analysis = rounds[period]
        view = organisation_view(analysis, organisation)
        path = tmp_path / f"{organisation}-{period}.html"
        path.write_text(
            summary.summary_html(view, analysis.instrument, lang, True), encoding="utf-8"
        )
        jobs.append((path, path.with_suffix(".pdf"), lang, view, analysis.instrument))
    try:
        print_pdfs([(html, pdf, lang) for html, pdf, lang, _, _ in jobs])
    finally:
        discard_printer()
    for _, pdf, _, view, instrument in jobs:
        first_page = _squeezed(PdfReader(pdf).pages[0].extract_text())
        actions = first_actions(view, instrument, lang=lang)
        wanted = [
            summary.headline(
                view,
                instrument,
                advice_sections.first_action_items(actions, instrument, lang),
                lang,
            ),
            *(d.label.get(lang) for d in instrument.dimensions),
            t("summary.priorities", lang),
            *actions["owner"],
            summary.peers_sentence(view, instrument, lang),
            summary.change_sentence(view, instrument, lang),
        ]
        for text in wanted:
            assert _squeezed(text) in first_page, (pdf.name, text)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_peer_mean_is_said_to_count_the_organisation_itself(rounds, lang):
    view = organisation_view(rounds["2026"], "gouda")
    words = {"nl": "uw organisatie telt daarin mee", "en": "your organisation counts in it"}[lang]
    assert words in summary.peers_sentence(view, rounds["2026"].instrument, lang)
    note = {
        "nl": "Uw organisatie telt mee in dat gemiddelde",
        "en": "Your organisation counts in that mean",
    }[lang]
    for step in ("size_class", "adjacent", "kind"):
        meta = {
            "peer_kind": "gemeente",
            "peer_step": step,
            "peer_classes": "50.000-100.000",
            "peer_n": 7,
            "min_group_size": 5,
        }
        assert note in organisation_sections.peer_note(meta, lang)


def test_sender_and_contact_come_from_dwp_toml_and_must_be_text(tmp_path):
    from dwp_assess import project

    made = project.create(tmp_path / "p", owner="Gemeente Testdorp")
    assert made.colophon == {"sender": project.DEFAULT_SENDER, "contact": ""}
    toml = made.root / project.PROJECT_FILE
    text = toml.read_text(encoding="utf-8")
    toml.write_text(
        text.replace('contact = ""', 'contact = "data@testdorp.example"'), encoding="utf-8"
    )
    assert project.load(made.root).colophon["contact"] == "data@testdorp.example"
    toml.write_text(text.replace('contact = ""', "contact = 3"), encoding="utf-8")
    with pytest.raises(project.ProjectError, match="project.contact must be text"):
        project.load(made.root)

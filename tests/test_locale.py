"""One home for how numbers read (``dwp_assess.locale``) and scales from the instrument.

The module's behaviour in Dutch and English (signs, rounding, missing values, large numbers,
intervals, the bound of an interval that rounds to zero), a scan of the package and its
notebooks for any other number formatter, and the scored range of an instrument: charts,
the radar's title and the form follow a 1–7 instrument made in a project of its own, and an
instrument whose scored scales differ in range is refused with the file and the scales named.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from dwp_assess import locale, project
from dwp_assess.collect import questionnaire, rendering
from dwp_assess.instruments.loading import QUESTIONNAIRE_DIR, get_instrument, validate_files
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import InstrumentError
from dwp_assess.reports import charts
from tests.package_code import package_sources

PACKAGE = Path(locale.__file__).parent
MINUS = "\u2212"

# -- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "nl", "en"),
    [
        (3.66, 1, "3,7", "3.7"),
        (2.0, 2, "2,00", "2.00"),
        (-0.35, 2, "−0,35", "−0.35"),
        (7, 0, "7", "7"),
        (1234.5, 1, "1.234,5", "1,234.5"),
        (1234567.891, 2, "1.234.567,89", "1,234,567.89"),
        (-9876543.21, 0, "−9.876.543", "−9,876,543"),
        (10**18 + 1, 0, "1.000.000.000.000.000.001", "1,000,000,000,000,000,001"),
        (np.float64(4.25), 1, "4,3", "4.3"),
        (np.int64(12345), 0, "12.345", "12,345"),
        (Decimal("0.5"), 0, "1", "1"),
    ],
)
def test_a_number_reads_in_the_format_of_its_language(value, decimals, nl, en):
    assert locale.number(value, decimals, "nl") == nl and locale.number(value, decimals, "en") == en


def test_the_one_minus_sign_is_u2212_and_never_a_hyphen():
    for value in (-0.5, -3, -1234.5, np.float64(-2.25)):
        for lang in locale.LANGUAGES:
            text = locale.number(value, 2, lang, signed=True)
            assert text.startswith(MINUS) and "-" not in text, text
    assert locale.MINUS == MINUS


@pytest.mark.parametrize("value", [-0.0, -0.001, -0.004999, 0.004, 0.0, np.float64(-1e-12)])
def test_a_number_that_rounds_to_zero_has_no_sign(value):
    for lang in locale.LANGUAGES:
        expected = "0,00" if lang == "nl" else "0.00"
        assert locale.number(value, 2, lang) == expected
        assert locale.number(value, 2, lang, signed=True) == expected


def test_signed_numbers_carry_plus_and_minus():
    assert locale.number(0.35, 2, "nl", signed=True) == "+0,35"
    assert locale.number(-0.35, 2, "en", signed=True) == "−0.35"
    assert locale.number(0.35, 2, "nl") == "0,35"  # unsigned: no plus


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (2.25, 1, "2,3"),
        (2.35, 1, "2,4"),
        (2.45, 1, "2,5"),
        (-2.25, 1, "−2,3"),
        (2.675, 2, "2,68"),
        (0.125, 2, "0,13"),
        (1.005, 2, "1,01"),
        (0.5, 0, "1"),
        (1.5, 0, "2"),
        (2.5, 0, "3"),
        (-0.5, 0, "−1"),
        (2.2499, 1, "2,2"),
    ],
)
def test_half_way_rounds_away_from_zero_on_the_number_as_written(value, decimals, expected):
    """A reader who checks 2,25 by hand writes 2,3: not Python's 2,2 (half to even) nor 2,67
    for 2,675 (whose binary float lies just below)."""
    assert locale.number(value, decimals, "nl") == expected


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA, pd.NaT, np.float64("nan")])
def test_a_missing_value_is_one_mark_everywhere(missing):
    assert locale.is_missing(missing)
    for lang in locale.LANGUAGES:
        assert locale.number(missing, 2, lang) == locale.MISSING == "–"
        assert locale.number(missing, 1, lang, signed=True) == "–"
        assert locale.percent(missing, lang) == "–"
        assert locale.bound(missing, 2, lang) == "–"
        assert (
            locale.interval(missing, 1.0, 2, lang) == "–"
            and locale.interval(1.0, missing, 2, lang) == "–"
        )
    assert not any(locale.is_missing(v) for v in (0, 0.0, -1, "tekst", np.float64(2)))


def test_infinity_reads_as_infinity():
    assert locale.number(float("inf"), 2, "nl") == "∞"
    assert locale.number(float("-inf"), 2, "nl") == MINUS + "∞"


@pytest.mark.parametrize(
    ("share", "nl", "en"),
    [
        (0.45, "45%", "45%"),
        (0.285, "29%", "29%"),
        (0.005, "1%", "1%"),
        (1.0, "100%", "100%"),
        (0.0, "0%", "0%"),
        (12.5, "1.250%", "1,250%"),
        (-0.015, "−2%", "−2%"),
        (1 / 3, "33%", "33%"),
    ],
)
def test_percentages(share, nl, en):
    assert locale.percent(share, "nl") == nl and locale.percent(share, "en") == en
    assert locale.percent(0.4567, "nl", decimals=1) == "45,7%"


# -- bounds and intervals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "nl", "en"),
    [
        (0.003, "> 0", "> 0"),
        (-0.004, "< 0", "< 0"),
        (0.0, "0,00", "0.00"),
        (0.126, "0,13", "0.13"),
        (-0.8049, "−0,80", "−0.80"),
        (-0.005, "−0,01", "−0.01"),
        (None, "–", "–"),
    ],
)
def test_an_interval_bound_never_hides_its_sign(value, nl, en):
    assert locale.bound(value, 2, "nl") == nl and locale.bound(value, 2, "en") == en


@pytest.mark.parametrize(
    ("low", "high", "decimals", "nl", "en"),
    [
        (2.1, 3.4, 1, "2,1–3,4", "2.1–3.4"),
        (0.0, 0.8, 2, "0,00–0,80", "0.00–0.80"),
        (1200.5, 3400.25, 1, "1.200,5–3.400,3", "1,200.5–3,400.3"),
        (-0.25, -0.1, 2, "−0,25 – −0,10", "−0.25 – −0.10"),
        (-1.5, 2.25, 2, "−1,50 – 2,25", "−1.50 – 2.25"),
        (-0.004, 0.8, 2, "< 0 – 0,80", "< 0 – 0.80"),
        (-0.3, -0.001, 2, "−0,30 – < 0", "−0.30 – < 0"),
        (0.001, 0.3, 2, "> 0 – 0,30", "> 0 – 0.30"),
        (-0.001, 0.3, 1, "< 0 – 0,3", "< 0 – 0.3"),
    ],
)
def test_intervals_with_plain_and_negative_bounds(low, high, decimals, nl, en):
    """Closed en dash between plain numbers, spaced when a bound has a sign or a "<"/">", so
    that "−0,25 – −0,10" is not read as a subtraction."""
    assert locale.interval(low, high, decimals, "nl") == nl
    assert locale.interval(low, high, decimals, "en") == en


def test_the_bound_notation_is_the_one_the_report_explains():
    for lang in locale.LANGUAGES:
        explained = t("report.change_correction", lang, n=3)
        assert f'"{locale.ABOVE_ZERO}"' in explained and f'"{locale.BELOW_ZERO}"' in explained


# -- languages -----------------------------------------------------------------------------------


def test_languages_marks_and_chart_separators_agree():
    assert locale.LANGUAGES == ("nl", "en") and locale.LANGUAGES[0] == locale.PRIMARY_LANGUAGE
    assert set(locale.DECIMAL_MARK) == set(locale.THOUSANDS_MARK) == set(locale.LANGUAGES)
    for lang in locale.LANGUAGES:
        separators = locale.plotly_separators(lang)
        assert locale.number(1234.5, 1, lang) == f"1{separators[1]}234{separators[0]}5"
    assert locale.known_language("en") == "en"
    assert [locale.known_language(x) for x in ("de", "", None, "EN")] == ["nl"] * 4


def test_the_instrument_format_and_the_project_accept_exactly_the_supported_languages(tmp_path):
    schema = json.loads((QUESTIONNAIRE_DIR / "schema.json").read_text(encoding="utf-8"))
    assert tuple(schema["properties"]["languages"]["items"]["enum"]) == locale.LANGUAGES
    with pytest.raises(project.ProjectError, match="language must be one of nl, en"):
        project.create(tmp_path / "p", language="de")


# -- no other formatter ------------------------------------------------------------------------

# A format spec that writes a number with decimals, a percentage or a thousands mark.
NUMBER_SPEC = re.compile(r"\.\d+[gG]$|[eEfF%]$|,")
PRINTF_NUMBER = re.compile(r"%[-+ 0#]*\d*(\.\d+)?[eEfF]")


def _sources() -> list[tuple[str, str]]:
    """Every Python module of the package (but the locale.py) and every notebook's code."""
    return package_sources(Path(locale.__file__))


def _literal(node: ast.AST) -> str:
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""


def number_formatters(source: str) -> list[tuple[int, str]]:
    """Places in ``source`` that format a number themselves: a format spec with decimals, a
    percentage or a thousands mark (f-string, ``format``, ``str.format``, ``%``), or a decimal
    point swapped for a comma."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            spec = _literal(node.format_spec)
            if NUMBER_SPEC.search(spec):
                found.append((node.lineno, f"f-string format {spec!r}"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            args = [_literal(a) for a in node.args]
            if node.func.attr == "replace" and args[:2] == [".", ","]:
                found.append((node.lineno, 'replace(".", ",")'))
            elif node.func.attr == "format" and re.search(
                r"\{[^{}]*:[^{}]*([eEfF%]|,)[^{}]*\}", _literal(node.func.value)
            ):
                found.append((node.lineno, "str.format with a number format"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "format"
        ):
            if len(node.args) > 1 and NUMBER_SPEC.search(_literal(node.args[1])):
                found.append((node.lineno, "format() with a number format"))
        elif (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Mod)
            and PRINTF_NUMBER.search(_literal(node.left))
        ):
            found.append((node.lineno, "%-formatting of a number"))
    return found


def test_no_module_or_notebook_formats_numbers_itself():
    """Reports, summary, advice, forms, charts' tables, the command line and the notebooks all
    format their figures with ``dwp_assess.locale``: a fifth formatter cannot appear."""
    problems = [
        f"{where}:{line}: {what}"
        for where, source in _sources()
        for line, what in number_formatters(source)
    ]
    assert problems == [], "format numbers with dwp_assess.locale:\n" + "\n".join(problems)


def test_no_module_or_notebook_lists_the_languages_itself():
    """The supported languages are ``locale.LANGUAGES``: no other tuple, list or set of them."""
    problems = [
        f"{where}:{node.lineno}"
        for where, source in _sources()
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Tuple | ast.List | ast.Set)
        and {_literal(e) for e in node.elts} == set(locale.LANGUAGES)
    ]
    assert problems == [], "use dwp_assess.locale.LANGUAGES:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "source",
    [
        'x = f"{mean:.1f}"',
        'x = f"{share:.0%}"',
        'x = f"{n:,}"',
        'x = str(v).replace(".", ",")',
        'x = format(v, ".2f")',
        'x = f"{v:.3g}"',
        'x = "{:.2f}".format(v)',
        'x = "%.1f" % v',
        'x = f"{v:+.2f} punten"',
    ],
)
def test_the_scan_finds_a_formatter_of_each_kind(source):
    assert number_formatters(source), source


@pytest.mark.parametrize(
    "source",
    [
        'x = f"{when:%Y-%m-%d %H:%M}"',
        'x = f"{c:02X}"',
        'x = f"{name:>12}"',
        'x = "%{y:.1f}%"',
        'x = f"%{{x:.1f}}% {label}"',
        'x = text.replace(",", ".")',
        'x = f"{spread:g}"',
    ],
)
def test_the_scan_leaves_dates_hex_padding_and_plotly_templates_alone(source):
    assert number_formatters(source) == [], source


# -- the scored range ---------------------------------------------------------------------------

SEVEN = [
    ("Helemaal oneens", "Strongly disagree"),
    ("Oneens", "Disagree"),
    ("Een beetje oneens", "Somewhat disagree"),
    ("Neutraal", "Neutral"),
    ("Een beetje eens", "Somewhat agree"),
    ("Eens", "Agree"),
    ("Helemaal eens", "Strongly agree"),
]


def _scale(scale_id: str, labels: list[tuple[str, str]], special: list) -> dict:
    points = [{"value": n + 1, "label": {"nl": nl, "en": en}} for n, (nl, en) in enumerate(labels)]
    return {"id": scale_id, "points": points, "special": special}


def _project_instrument(folder: Path, instrument_id: str, scales_of_items) -> Path:
    """A project of its own whose ``questionnaires/`` holds ``instrument_id``-v1: the packaged
    data-strategy v1 on a 7-point agreement scale (``agree7``), except the items for which
    ``scales_of_items(n)`` names the packaged 5-point scale; the project is made active, as
    the command line makes it. Returns the instrument file."""
    settings = project.create(folder)
    raw = yaml.safe_load((QUESTIONNAIRE_DIR / "data-strategy-v1.yaml").read_text(encoding="utf-8"))
    five = next(s for s in raw["scales"] if s["id"] == "agree5")
    raw.update(id=instrument_id, version=1)
    raw["scales"] = [five, _scale("agree7", SEVEN, copy.deepcopy(five.get("special", [])))]
    for n, item in enumerate(raw["items"]):
        item["scale"] = scales_of_items(n)
    path = settings.questionnaires_dir / f"{instrument_id}-v1.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    project.activate(settings)
    return path


@pytest.fixture
def seven_point(tmp_path):
    _project_instrument(tmp_path / "zeven", "zeven-punten", lambda n: "agree7")
    return get_instrument("zeven-punten")


def test_a_seven_point_instrument_has_its_own_scored_range(seven_point):
    assert seven_point.scored_range == (1, 7)
    assert [s.id for s in seven_point.scored_scales] == [
        "agree7"
    ]  # the unused 5-point scale is not scored
    assert get_instrument("data-strategy", 1).scored_range == (1, 5)


def test_every_chart_axis_and_the_radar_title_follow_the_instruments_range(seven_point):
    dims = [d.id for d in seven_point.dimensions]
    means = pd.DataFrame({"dimension_id": dims, "mean": np.linspace(1.5, 6.5, len(dims))})
    scores = pd.DataFrame({"dimension_id": dims * 3, "score": np.linspace(1.0, 7.0, 3 * len(dims))})
    matrix = pd.DataFrame([[2.5, 6.5]], index=["VS1"], columns=["gouda", "almere"])
    for lang in locale.LANGUAGES:
        radar = charts.radar(means, seven_point, lang=lang)
        assert tuple(radar.layout.polar.radialaxis.range) == (1, 7)
        assert radar.layout.meta["title"] == t("chart.radar_title", lang, range="1–7")
        assert "(1–7)" in radar.layout.meta["title"] and "5" not in radar.layout.meta["title"]
        box = charts.distribution(scores, seven_point, lang)
        assert tuple(box.layout.yaxis.range) == pytest.approx((0.7, 7.3))
        heat = charts.heatmap(matrix, "items", seven_point, lang)
        assert (heat.data[0].zmin, heat.data[0].zmax) == (1, 7)


def test_a_five_point_instrument_keeps_its_axes(data_strategy):
    """The packaged instruments' charts are as before: the axis 0,8–5,2, the title "(1–5)"."""
    dims = [d.id for d in data_strategy.dimensions]
    means = pd.DataFrame({"dimension_id": dims, "mean": 3.0})
    assert tuple(
        charts.distribution(
            means.rename(columns={"mean": "score"}), data_strategy
        ).layout.yaxis.range
    ) == (0.8, 5.2)
    radar = charts.radar(means, data_strategy, lang="en")
    assert radar.layout.meta["title"] == "Mean score per dimension (1–5)"


def test_the_forms_result_follows_the_instruments_range(seven_point):
    """A respondent's own score of 4 on a 1–7 scale fills half of its bar, 7 all of it; the
    intro names the scale 1–7."""
    scores = pd.DataFrame({"label": ["Visie", "Data", "Mensen"], "score": [4.0, 7.0, float("nan")]})
    svg = rendering.result_chart_svg(scores, seven_point, "nl")
    bar = rendering.CHART_PX - rendering.CHART_SCORE_ROOM
    widths = [
        int(w)
        for w in re.findall(r'<rect x="0" y="\d+" width="(\d+)" height="18" fill="#0072B2"/>', svg)
    ]
    assert widths == [round(bar / 2), bar]
    assert ">4,0<" in svg and ">7,0<" in svg and ">–<" in svg
    assert "1–7" in questionnaire.result_intro(seven_point, "nl")
    assert "1–7" in questionnaire.result_intro(seven_point, "en")


def test_an_instrument_whose_scored_scales_differ_in_range_is_refused(tmp_path):
    path = _project_instrument(
        tmp_path / "gemengd", "gemengd", lambda n: "agree5" if n % 2 else "agree7"
    )
    with pytest.raises(InstrumentError) as caught:
        get_instrument("gemengd")
    (problem,) = [p for p in caught.value.problems if "one range" in p]
    assert problem.startswith(f"{path}: ")
    assert "agree5 from 1 to 5" in problem and "agree7 from 1 to 7" in problem
    assert "Traceback" not in problem and "\n" not in problem
    assert validate_files([path]) == caught.value.problems  # `dwp-assess validate` says the same


def test_an_agreements_instrument_with_two_ranges_is_refused_and_a_project_plan_is_not(tmp_path):
    """The relevance and safeguarding scales of an agreements list are averaged and
    subtracted: one range. A project plan's statuses and facts are never averaged, so its
    scales may differ (data-sharing v1: 1–3, 1–5, 1–2) and it has no scored range."""
    raw = yaml.safe_load(
        (QUESTIONNAIRE_DIR / "digital-governance-v1.yaml").read_text(encoding="utf-8")
    )
    relevance = next(s for s in raw["scales"] if s["id"] == "relevance5")
    relevance["points"].append({"value": 6, "label": {"nl": "Onmisbaar", "en": "Indispensable"}})
    path = tmp_path / "digital-governance-v9.yaml"
    path.write_text(yaml.safe_dump(raw | {"version": 9}, allow_unicode=True), encoding="utf-8")
    (problem,) = validate_files([path])
    assert "relevance5 from 1 to 6" in problem and "safeguarding5 from 1 to 5" in problem
    plan = get_instrument("data-sharing", 1)
    assert plan.scored_scales == []
    with pytest.raises(
        ValueError, match="data-sharing-v1: output project-plan averages no answers"
    ):
        _ = plan.scored_range

"""The analyst's own project tells the truth (issue #24): its own instrument (from YAML only)
and its own recommendation rules reach every output, also the report made in a kernel
started in the package's folder, with no ``DWP_PROJECT`` set; up to date means up to date
(a rules or instrument change remakes exactly the reports it changes, ``--pdf`` prints what is
made and never makes it again); and a report made again leaves nothing older beside it (no
PDF, other language, bundle or index entry of older data, no files of a unit that left the
round).

The projects are generated here: organisations with realistic names, six to eight respondents
each, answers drawn around an organisation-specific level.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import yaml
from sqlalchemy import delete, select

from dwp_assess import project
from dwp_assess.data import registry, store
from dwp_assess.instruments.loading import QUESTIONNAIRE_DIR, RULES_NAME, get_instrument
from dwp_assess.reports import run as reports
from dwp_assess.reports.options import ReportOptions

OWN = "eigen-volwassenheid"  # the project's own maturity instrument
MARK = "Eigen regel: "  # starts every action text of the project's own rules
ORGANISATIONS = [  # id, name, invited
    ("s-hertogenbosch", "'s-Hertogenbosch", 12),
    ("sudwest-fryslan", "Súdwest-Fryslân", 10),
    ("heerhugowaard", "Heerhugowaard", 9),
]


def _own_instrument() -> dict:
    """The data-strategy v2 file as the project's own instrument (another id and title)."""
    raw = yaml.safe_load((QUESTIONNAIRE_DIR / "data-strategy-v2.yaml").read_text(encoding="utf-8"))
    raw.update(id=OWN, version=1)
    raw["title"] = {"nl": "Eigen volwassenheidsmeting", "en": "Own maturity assessment"}
    return raw


def _own_rules(instrument: dict) -> dict:
    """Rules for the own instrument only: the packaged data-strategy actions with their own
    texts and the indicator items the instrument asks; the packaged rules stay in place."""
    packaged = yaml.safe_load((QUESTIONNAIRE_DIR / RULES_NAME).read_text(encoding="utf-8"))
    asked = {item["id"] for item in instrument["items"]}
    actions = []
    for action in packaged["organisation"]["actions"]:
        text = {lang: MARK + value for lang, value in action["action"].items()}
        actions.append(
            action | {"action": text, "indicator": [i for i in action["indicator"] if i in asked]}
        )
    return {
        "selection": {"limit": 4, "priorities": 2},
        "organisation": [{"instrument": OWN, "actions": actions}],
    }


def _write_yaml(path: Path, raw: dict) -> None:
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _registry(settings: project.Settings, organisations) -> Path:
    path = settings.folders["registry"] / "organisations.csv"
    lines = ["id,name,kind,cbs_code,size_class,urbanisation,province,invited"]
    lines += [
        f'{i},"{name}",gemeente,,50.000-100.000,sterk stedelijk,Noord-Holland,{invited}'
        for i, name, invited in organisations
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _answers(engine, round_id: str, organisation: str, n: int, seed: int, first: int = 0) -> None:
    """``n`` responses of ``organisation``: every item answered, around a level of its own."""
    instrument = get_instrument(*_round_instrument(engine, round_id))
    rng = np.random.default_rng(seed)
    level = rng.uniform(1.8, 4.2)
    for r in range(first, first + n):
        values = np.clip(np.rint(rng.normal(level, 0.8, len(instrument.items))), 1, 5)
        answers = tuple(
            store.AnswerRecord(item.id, float(v))
            for item, v in zip(instrument.items, values, strict=True)
        )
        record = store.ResponseRecord(
            f"{round_id}-{organisation}-{r:03d}",
            round_id,
            f"p-{round_id}-{organisation}-{r:03d}",
            organisation,
            None,
            None,
            "test",
            datetime(2027, 3, 1 + r % 20, tzinfo=UTC),
            answers,
        )
        assert store.store_response(engine, record) == store.STORED


def _round_instrument(engine, round_id: str) -> tuple[str, int]:
    info = store.get_round(engine, round_id)
    return info.instrument_id, info.instrument_version


def _project(folder: Path, rounds: dict[str, tuple[str, int]]) -> tuple[project.Settings, object]:
    """A project with its own instrument and rules, the registry and ``rounds`` (round id →
    instrument id and version), each with answers of every organisation; made this process's
    project, as the command line would."""
    settings = project.create(folder, owner="Provincie Testland")
    raw = _own_instrument()
    _write_yaml(settings.questionnaires_dir / f"{OWN}-v1.yaml", raw)
    _write_yaml(settings.questionnaires_dir / RULES_NAME, _own_rules(raw))
    project.activate(settings)
    engine = store.connect(settings.database_url)
    organisations = _registry(settings, ORGANISATIONS)
    registry.import_registry(engine, organisations)
    for n, (round_id, (instrument_id, version)) in enumerate(rounds.items()):
        store.create_round(engine, get_instrument(instrument_id, version), "2027", round_id)
        registry.import_registry(engine, organisations, round_id=round_id)
        for m, (org, _, _) in enumerate(ORGANISATIONS):
            _answers(engine, round_id, org, 6 + m, seed=100 * n + m)
    return settings, engine


def _advice(html: str, section: str, css_class: str) -> list[str]:
    """The actions of a report's or summary's advice, in order: 'dimension: action'."""
    part = html.split(f'<section id="{section}">', 1)[1].split("</section>", 1)[0]
    listed = (
        part.split(f'<ol class="{css_class}">', 1)[1].split("</ol>", 1)[0]
        if css_class in part
        else ""
    )
    return [
        f"{d}: {a.strip()}"
        for d, a in re.findall(r"<li[^>]*>(?:<div[^>]*>)?<strong>(.*?)</strong>: ([^<]*)", listed)
    ]


def _without_project_variables() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DWP_")}


def test_the_own_instrument_and_rules_reach_report_and_summary_without_dwp_project(
    tmp_path, monkeypatch
):
    """The commands run inside the project folder, with no DWP_PROJECT: `validate` sees the
    own instrument and rules, and `report` makes every report in a kernel started in the
    package's folder; the full report and the summary give each organisation the same advice,
    from the project's rules."""
    round_id = "eigen-2027"
    settings, engine = _project(tmp_path / "mijn project", {round_id: (OWN, 1)})
    engine.dispose()
    monkeypatch.delenv(project.PROJECT_ENV)
    for command in (["validate"], ["report", "--round", round_id]):
        result = subprocess.run(
            [sys.executable, "-m", "dwp_assess", *command],
            cwd=settings.root,
            env=_without_project_variables(),
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed" in result.stdout and f"{len(ORGANISATIONS)} made" in result.stdout
    out = settings.reports_dir / round_id
    for org, _, _ in ORGANISATIONS:
        report = _advice(
            (out / f"{org}.html").read_text(encoding="utf-8"), "recommendations", "dwp-advice"
        )
        summary = _advice(
            (out / f"{org}.samenvatting.html").read_text(encoding="utf-8"),
            "priorities",
            "dwp-actions",
        )
        assert report and all(MARK in a for a in report), report
        assert summary == report[: len(summary)] and len(summary) == min(
            2, len(report)
        )  # the project's priorities
        assert (
            len(report) >= 2
        )  # the project's limit (4) and priorities (2), not the packaged 5 and 3


def test_validate_names_a_scored_instrument_without_rules(tmp_path, monkeypatch):
    settings = project.create(tmp_path / "p")
    _write_yaml(settings.questionnaires_dir / f"{OWN}-v1.yaml", _own_instrument())
    monkeypatch.delenv(project.PROJECT_ENV)
    result = subprocess.run(
        [sys.executable, "-m", "dwp_assess", "validate"],
        cwd=settings.root,
        env=_without_project_variables(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{OWN}-v1: no recommendation rules" in result.stdout
    assert (
        "data-strategy-v2: no recommendation rules" not in result.stdout
    )  # the packaged rules stay


def test_a_rules_or_instrument_change_remakes_exactly_the_reports_it_changes(tmp_path):
    settings, engine = _project(
        tmp_path / "p", {"eigen-2027": (OWN, 1), "ds-2027": ("data-strategy", 2)}
    )

    def make(round_id):
        return reports.generate_reports(engine, ReportOptions(round_id), settings=settings)

    n = len(ORGANISATIONS)
    assert [(s.ok, s.skipped) for s in map(make, ("eigen-2027", "ds-2027"))] == [(n, 0), (n, 0)]
    assert [(s.ok, s.skipped) for s in map(make, ("eigen-2027", "ds-2027"))] == [(0, n), (0, n)]
    rules_path = settings.questionnaires_dir / RULES_NAME
    rules = yaml.safe_load(rules_path.read_text(encoding="utf-8"))
    rules["organisation"][0]["actions"][0]["action"]["nl"] += " (herzien)"
    _write_yaml(rules_path, rules)  # the own instrument's rules only
    assert [(s.ok, s.skipped) for s in map(make, ("eigen-2027", "ds-2027"))] == [(n, 0), (0, n)]
    rules["tools"] = {
        "deda": {
            "kind": "datawerkplaats",
            "name": {"nl": "DEDA (eigen)", "en": "DEDA (own)"},
            "description": {"nl": "Eigen omschrijving.", "en": "Own description."},
        }
    }
    _write_yaml(rules_path, rules)  # a tool both instruments' actions name
    assert [(s.ok, s.skipped) for s in map(make, ("eigen-2027", "ds-2027"))] == [(n, 0), (n, 0)]
    instrument_path = settings.questionnaires_dir / f"{OWN}-v1.yaml"
    raw = yaml.safe_load(instrument_path.read_text(encoding="utf-8"))
    raw["dimensions"][0]["label"]["nl"] += " (eigen)"
    _write_yaml(instrument_path, raw)  # the own instrument's file, same version
    assert [(s.ok, s.skipped) for s in map(make, ("eigen-2027", "ds-2027"))] == [(n, 0), (0, n)]
    assert "(eigen)" in (settings.reports_dir / "eigen-2027" / "heerhugowaard.html").read_text(
        encoding="utf-8"
    )


def _bundle_names(path: Path) -> tuple[set[str], str]:
    with zipfile.ZipFile(path) as archive:
        readme = next(n for n in archive.namelist() if n.endswith("README.txt"))
        return {Path(n).name for n in archive.namelist()} - {"README.txt"}, archive.read(
            readme
        ).decode()


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Chromium")
def test_a_report_made_again_leaves_nothing_older_beside_it(tmp_path):
    round_id = "ds-2027"
    settings, engine = _project(tmp_path / "p", {round_id: ("data-strategy", 2)})
    out = settings.reports_dir / round_id

    def make(**kw):
        return reports.generate_reports(engine, ReportOptions(round_id, **kw), settings=settings)

    n = len(ORGANISATIONS)
    first = make(bundle=True)
    made = {p: p.stat().st_mtime_ns for p in out.glob("*.html") if not p.name.startswith("index")}
    printed = make(lang="nl,en", pdf=True)  # the README's order: --bundle, then --lang nl,en --pdf
    assert (printed.ok, printed.skipped, printed.printed) == (
        n,
        n,
        n,
    )  # English made, Dutch only printed
    assert all(p.stat().st_mtime_ns == t for p, t in made.items() if p.is_file()), (
        "a current report was made again"
    )
    names, text = _bundle_names(out / "bundles" / "heerhugowaard.zip")
    assert names == {
        f"heerhugowaard{s}"
        for s in (
            ".html",
            ".en.html",
            ".pdf",
            ".en.pdf",
            ".samenvatting.html",
            ".samenvatting.en.html",
            ".samenvatting.pdf",
            ".samenvatting.en.pdf",
        )
    }
    assert ".pdf-bestand" in text and out / "bundles" / "heerhugowaard.zip" in printed.replaced
    assert (
        first.bundles.written and make(lang="nl,en", pdf=True).printed == 0
    )  # nothing older: nothing to do

    _answers(engine, round_id, "heerhugowaard", 3, seed=7, first=50)  # more answers arrive
    again = make()  # Dutch HTML only, no --pdf
    assert again.ok == n
    left = {p.name for p in out.iterdir() if p.is_file()}
    assert not [
        name for name in left if name.endswith(".pdf") or ".en." in name or name == "index.en.html"
    ], left
    removed = {p.name for p in again.removed}
    assert {
        "heerhugowaard.en.html",
        "heerhugowaard.pdf",
        "heerhugowaard.samenvatting.en.pdf",
        "index.en.html",
    } <= removed
    names, text = _bundle_names(out / "bundles" / "heerhugowaard.zip")
    assert names == {"heerhugowaard.html", "heerhugowaard.samenvatting.html"} and ".pdf" not in text
    index = (out / "index.html").read_text(encoding="utf-8")
    assert ".en.html" not in index and ".pdf" not in index

    # Heerhugowaard merges into Dijk en Waard: its answers now belong to the new municipality
    merged = [*ORGANISATIONS[:2], ("dijk-en-waard", "Dijk en Waard", 14)]
    registry.import_registry(engine, _registry(settings, merged))
    with engine.begin() as conn:
        respondents = select(store.respondent.c.id).where(
            store.respondent.c.organisation_id == "heerhugowaard"
        )
        gone = select(store.response.c.response_id).where(
            store.response.c.respondent_id.in_(respondents)
        )
        conn.execute(delete(store.answer).where(store.answer.c.response_id.in_(gone)))
        conn.execute(delete(store.response).where(store.response.c.respondent_id.in_(respondents)))
    _answers(engine, round_id, "dijk-en-waard", 8, seed=11)
    renamed = make(bundle=True)
    left = {p.name for p in out.rglob("*") if p.is_file()}
    assert not [name for name in left if "heerhugowaard" in name], left
    assert {"dijk-en-waard.html", "dijk-en-waard.samenvatting.html", "dijk-en-waard.zip"} <= left
    assert {"heerhugowaard.html", "heerhugowaard.zip"} <= {p.name for p in renamed.removed}
    assert "heerhugowaard" not in (out / "index.html").read_text(encoding="utf-8")


PACKAGE = Path(__file__).resolve().parent.parent / "dwp_assess"
ENTRY_POINTS = {
    "project.py",
    "cli/settings.py",  # where the command line resolves it
    "cli/app.py",  # the help of --project, which names DWP_PROJECT
    "cli/__init__.py",  # the docstring, which says how a command finds its project
}  # where the project is resolved; everything else is handed it
IMPLICIT = re.compile(
    r"DWP_PROJECT|PROJECT_ENV|project\.(current|require|find_root)\(|Path\.cwd\(\)|os\.getcwd\("
)


def test_no_module_below_the_entry_points_looks_for_the_project_itself():
    """Settings are resolved once, by the command line (or a notebook's or form page's
    entry, from what it was handed): no other module reads ``DWP_PROJECT`` or the working
    folder to find the project. (``collect/xlsform.py`` writes a form into the working folder
    when no path is given: a file name, not the project.)"""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).as_posix() in ENTRY_POINTS:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if IMPLICIT.search(line) and not (
                path.name == "xlsform.py" and "output_path(Path.cwd()" in line
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}")
    assert found == []

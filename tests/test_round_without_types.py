"""Rounds without type structure, as real small rounds are: every report is made, none tells an
organisation it belongs to a type, every optional section with nothing to show says so in
words, and the researcher's typology notebook runs and shows the one population."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import papermill as pm
import pytest

from dwp_assess import resources
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.messages import t, t_count
from dwp_assess.reports.sections.organisation import peer_note
from tests.generated_rounds import population_round

pytestmark = pytest.mark.slow


def cli(*args: str, db: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DWP_DATABASE_URL": db}
    return subprocess.run(
        [sys.executable, "-m", "dwp_assess", *args], capture_output=True, text=True, env=env
    )


def load_round(folder: Path, db: str, round_id: str, **shape) -> object:
    """Registry, round and one export per organisation, through the commands an analyst runs."""
    generated = population_round(folder / "imports", get_instrument("data-strategy", 2), **shape)
    for args in (
        ["registry", "import", str(generated.registry)],
        ["round", "create", "--instrument", "data-strategy", "--period", "2027", "--id", round_id],
        ["import", *map(str, generated.exports), "--round", round_id],
    ):
        result = cli(*args, db=db)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
    return generated


def visible(path: Path) -> str:
    text = re.sub(r"<script.*?</script>|<style.*?</style>", "", path.read_text("utf-8"), flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


@pytest.fixture(scope="module")
def twenty(tmp_path_factory):
    """A round of 20 municipalities from one population with a general level (r = .8)."""
    folder = tmp_path_factory.mktemp("twenty")
    db = f"sqlite:///{folder / 'dwp.sqlite'}"
    generated = load_round(folder, db, "ds-2027", n_orgs=20, rho=0.8)
    result = cli(
        "report", "--round", "ds-2027", "--out", str(folder / "reports"), "--jobs", "2", db=db
    )
    return db, generated, folder / "reports" / "ds-2027", result


def test_every_report_of_a_round_without_types_is_made(twenty):
    _, generated, _, result = twenty
    assert result.returncode == 0, result.stdout + result.stderr
    assert "20 made" in result.stdout and "0 failed" in result.stdout


@pytest.mark.parametrize("lang", ["nl"])
def test_no_report_tells_an_organisation_its_type_and_says_why_in_words(twenty, lang):
    _, generated, reports, _ = twenty
    plain = t("report.profile_none.one_type", lang)
    for org in generated.organisations["id"]:
        text = visible(reports / f"{org}.html")
        assert "Type 1" not in text and "hoort uw organisatie bij" not in text
        assert plain in text or t("report.profile_none.weak_evidence", lang) in text, org


def test_the_typology_notebook_runs_and_shows_the_one_population(twenty, tmp_path):
    db, _, _, _ = twenty
    out = tmp_path / "typology.ipynb"
    pm.execute_notebook(
        str(resources.NOTEBOOKS / "typology.ipynb"),
        str(out),
        kernel_name="python3",
        parameters={"round_id": "ds-2027", "database_url": db, "save_dir": str(tmp_path / "saved")},
    )
    text = out.read_text("utf-8")
    assert "één populatie" in text or "niet elke controle slaagt" in text
    assert "one_factor" in text and "full" in text  # every candidate model's figures are shown
    assert (tmp_path / "saved" / "meta.json").is_file()


def test_a_report_never_fails_because_an_optional_section_is_empty(tmp_path):
    """Three organisations, one role, no free text, no previous round, no plan: no peers, no
    typology, no roles, no change, no follow-up, no comments. Each section says so or is left
    out; the report is made."""
    db = f"sqlite:///{tmp_path / 'dwp.sqlite'}"
    load_round(tmp_path, db, "tiny-2027", n_orgs=3, rho=0.5, free_text=False, one_role=True)
    result = cli(
        "report",
        "--round",
        "tiny-2027",
        "--out",
        str(tmp_path / "reports"),
        "--lang",
        "nl,en",
        db=db,
    )
    assert result.returncode == 0 and "6 made" in result.stdout, result.stdout + result.stderr
    for lang, suffix in (("nl", ".html"), ("en", ".en.html")):
        text = visible(tmp_path / "reports" / "tiny-2027" / f"gm-00{suffix}")
        assert t("report.profile_none.too_few", lang, n=3, needed=14) in text
        assert t("report.roles_none", lang, min=5) in text
        assert t("report.no_previous", lang) in text
        assert (
            t(
                "report.peer_step.none",
                lang,
                kind=t_count("report.org_kind.gemeente", 3, lang),
                n=3,
                min=5,
            )
            in text
        )


@pytest.mark.parametrize(
    ("n", "kind", "nl", "en"),
    [
        (1, "gemeente", "telt 1 gemeente;", "has 1 municipality;"),
        (3, "gemeente", "telt 3 gemeenten;", "has 3 municipalities;"),
        (1, "provincie", "telt 1 provincie;", "has 1 province;"),
        (0, "other", "telt 0 overige organisaties;", "has 0 other organisations;"),
    ],
)
def test_the_peer_note_counts_in_the_right_number(n, kind, nl, en):
    """A round of one organisation says "1 gemeente", not "1 gemeenten" (a one-organisation
    export of next year's round printed that)."""
    meta = {"peer_kind": kind, "peer_classes": "", "peer_n": n, "min_group_size": 5}
    meta["peer_step"] = None
    assert nl in peer_note(meta, "nl") and en in peer_note(meta, "en")

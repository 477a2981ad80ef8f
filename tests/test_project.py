"""The analyst's project folder: ``init``, finding ``dwp.toml`` upwards, settings and overrides,
the project's own instruments, and commands that need no project."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dwp_assess import project
from dwp_assess.instruments.loading import (
    QUESTIONNAIRE_DIR,
    get_instrument,
    instrument_files,
    mapping_files,
)
from dwp_assess.instruments.model import InstrumentError


@pytest.fixture
def no_project(monkeypatch):
    """No DWP_PROJECT (the suite's autouse fixture sets one) and no stray overrides."""
    for variable in (project.PROJECT_ENV, "DWP_DATA_DIR", "DWP_REPORTS_DIR", "DWP_DATABASE_URL"):
        monkeypatch.delenv(variable, raising=False)


def run(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DWP_")}
    return subprocess.run(
        [sys.executable, "-m", "dwp_assess", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**clean, **(env or {})},
    )


def test_init_writes_settings_folders_and_a_dutch_readme(tmp_path, no_project):
    result = run(
        "init", "gouda-2027", "--owner", "Gemeente Gouda", "--min-group-size", "6", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    root = tmp_path / "gouda-2027"
    settings = project.load(root)
    assert settings.owner == "Gemeente Gouda"
    assert settings.min_group_size == 6
    assert settings.language == "nl"
    assert settings.database_url == f"sqlite:///{root / 'data' / 'dwp.sqlite'}"
    for folder in ("registry", "imports", "questionnaires", "data", "reports", "exports"):
        assert (root / folder).is_dir()
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "blijft bij de analist" in readme and "Gemeente Gouda" in readme
    assert "/data/" in (root / ".gitignore").read_text(encoding="utf-8")
    assert (root / "notebooks" / "analyse_round.ipynb").is_file()
    again = run("init", "gouda-2027", cwd=tmp_path)
    assert again.returncode == 2 and "already a dwp-assess project" in again.stderr


def test_owner_with_quotes_stays_valid_toml(tmp_path, no_project):
    settings = project.create(tmp_path / "p", owner='Gemeente "Súdwest" \\ Fryslân')
    assert settings.owner == 'Gemeente "Súdwest" \\ Fryslân'


def test_the_project_is_found_from_any_subfolder(tmp_path, no_project):
    root = project.create(tmp_path / "proj").root
    deep = root / "sub" / "folder"
    deep.mkdir(parents=True)
    assert project.find_root(deep) == root
    assert project.current(deep).reports_dir == root / "reports"
    assert project.find_root(tmp_path) is None


def test_dwp_project_and_environment_variables_override(tmp_path, monkeypatch, no_project):
    root = project.create(tmp_path / "proj").root
    monkeypatch.setenv(project.PROJECT_ENV, str(root))
    monkeypatch.setenv("DWP_DATABASE_URL", "postgresql://analist@db/dwp")
    monkeypatch.setenv("DWP_REPORTS_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("DWP_MIN_GROUP_SIZE", "7")
    settings = project.current(tmp_path)  # found through DWP_PROJECT, not the folder
    assert settings.root == root
    assert settings.database_url == "postgresql://analist@db/dwp"
    assert settings.reports_dir == tmp_path / "elsewhere"
    assert settings.min_group_size == 7
    monkeypatch.setenv(project.PROJECT_ENV, str(tmp_path / "nothing-here"))
    with pytest.raises(project.ProjectError, match="not a dwp-assess project"):
        project.current()


@pytest.mark.parametrize(
    "text, message",
    [
        ("[project\nowner = 1", "not valid TOML"),
        ('[project]\nlanguage = "fr"\n', "language must be one of nl, en"),
        ("[project]\nmin_group_size = 1\n", "at least 2"),
        ('[folders]\nreprots = "r"\n', "unknown key 'reprots'"),
    ],
)
def test_a_bad_dwp_toml_is_one_clear_error(tmp_path, no_project, text, message):
    (tmp_path / project.PROJECT_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(project.ProjectError, match=message.replace("(", r"\(").replace(")", r"\)")):
        project.load(tmp_path)


def test_outside_a_project_commands_say_how_to_make_one(tmp_path, no_project):
    for args in (
        ["status"],
        ["round", "list"],
        ["report", "--round", "x"],
        ["--db", "sqlite:///x.sqlite", "status"],
    ):
        result = run(*args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert "no dwp-assess project" in result.stderr and "dwp-assess init" in result.stderr
        assert "Traceback" not in result.stderr and len(lines) <= 3
    assert not (tmp_path / "x.sqlite").exists()


def test_commands_that_need_no_project_work_anywhere(tmp_path, no_project):
    assert run("--help", cwd=tmp_path).returncode == 0
    validate = run("validate", cwd=tmp_path)
    assert validate.returncode == 0, validate.stderr
    template = run("template", "--instrument", "competences", "--out", "t", cwd=tmp_path)
    assert template.returncode == 0, template.stderr
    form = run("export-form", "--instrument", "competences", "--out", "f.xlsx", cwd=tmp_path)
    assert form.returncode == 0, form.stderr
    assert (tmp_path / "f.xlsx").is_file() and any((tmp_path / "t").iterdir())


def own_instrument(root: Path, version: int, title: str) -> Path:
    raw = yaml.safe_load((QUESTIONNAIRE_DIR / "data-strategy-v1.yaml").read_text(encoding="utf-8"))
    raw["version"] = version
    raw["title"]["nl"] = title
    path = root / "questionnaires" / f"data-strategy-v{version}-eigen.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_project_instruments_extend_the_packaged_ones(tmp_path, monkeypatch, no_project):
    root = project.create(tmp_path / "proj").root
    monkeypatch.chdir(root)
    path = own_instrument(root, 9, "Datastrategie, eigen versie")
    project.activate(project.current())  # as the command line does, in the project folder
    assert path in instrument_files()
    newest = get_instrument("data-strategy")
    assert (newest.version, newest.title.nl) == (9, "Datastrategie, eigen versie")
    assert get_instrument("data-strategy", 1).title.nl != newest.title.nl
    result = run("validate", cwd=root)
    assert (
        result.returncode == 0
        and f"{len(instrument_files()) + len(mapping_files())} instrument and mapping file(s) valid"
        in result.stdout
    )


def test_same_id_and_version_in_the_project_is_an_error_naming_both(
    tmp_path, monkeypatch, no_project
):
    root = project.create(tmp_path / "proj").root
    monkeypatch.chdir(root)
    path = own_instrument(root, 1, "Kopie")
    project.activate(project.current())  # as the command line does, in the project folder
    with pytest.raises(InstrumentError) as caught:
        get_instrument("data-strategy")
    assert str(path) in str(caught.value)
    assert str(QUESTIONNAIRE_DIR / "data-strategy-v1.yaml") in str(caught.value)
    result = run("round", "create", "--instrument", "data-strategy", "--period", "2027", cwd=root)
    assert result.returncode == 2 and "defined twice" in result.stderr

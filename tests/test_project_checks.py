"""``dwp.toml`` is checked like a data file (unknown keys named with a did-you-mean, folders
that must exist), ``init`` says every anticipated system error in one line and gives a new
project what its first hour needs: example registry files that import as they are, the
researchers' notebooks (defaulting to the project's own newest round), the template in imports/."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dwp_assess import project
from dwp_assess.instruments.loading import get_instrument


@pytest.fixture
def no_project(monkeypatch):
    for variable in (project.PROJECT_ENV, "DWP_DATA_DIR", "DWP_REPORTS_DIR", "DWP_DATABASE_URL"):
        monkeypatch.delenv(variable, raising=False)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DWP_")}
    return subprocess.run(
        [sys.executable, "-m", "dwp_assess", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**env, "COLUMNS": "250"},
    )


def one_error_line(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("text", "named", "meant"),
    [
        ("[project]\nmin_groep_size = 3\n", "min_groep_size", "min_group_size"),
        ("[project]\nlanguag = 'en'\n", "languag", "language"),
        ("[stor]\nurl = 'sqlite:///x.sqlite'\n", "[stor]", "store"),
        ('[folders]\nreprots = "r"\n', "reprots", "reports"),
        ("min_group_size = 3\n", "min_group_size", "project.min_group_size"),
        ("[project]\nowner = 'x'\n[store]\nurll = 'sqlite:///x.sqlite'\n", "urll", "url"),
    ],
)
def test_an_unknown_key_in_dwp_toml_is_named_with_what_was_meant(
    tmp_path, no_project, text, named, meant
):
    (tmp_path / project.PROJECT_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(project.ProjectError) as caught:
        project.load(tmp_path)
    message = str(caught.value)
    assert named in message and f"did you mean '{meant}'" in message
    assert str(tmp_path / project.PROJECT_FILE) in message
    result = run("status", cwd=tmp_path)  # and on the command line: one line, no store made
    assert named in one_error_line(result)
    assert not any(tmp_path.rglob("*.sqlite"))


def test_a_misspelt_minimum_group_size_never_leaves_the_default(tmp_path, no_project):
    root = project.create(tmp_path / "p").root
    toml = root / project.PROJECT_FILE
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("min_group_size = 5", "min_group_sise = 10"),
        encoding="utf-8",
    )
    with pytest.raises(project.ProjectError, match="min_group_sise.*did you mean 'min_group_size'"):
        project.load(root)


def test_a_store_or_folder_in_a_folder_that_does_not_exist_is_an_error_and_nothing_is_made(
    tmp_path, no_project
):
    root = project.create(tmp_path / "p").root
    toml = root / project.PROJECT_FILE
    original = toml.read_text(encoding="utf-8")
    toml.write_text(
        original.replace('url = "sqlite:///data/dwp.sqlite"', 'url = "sqlite:///dta/dwp.sqlite"'),
        encoding="utf-8",
    )
    line = one_error_line(run("status", cwd=root))
    assert "store.url" in line and str(root / "dta") in line
    line = one_error_line(run("round", "list", cwd=root))
    assert not (root / "dta").exists() and not (root / "data" / "dwp.sqlite").exists()
    toml.write_text(
        original.replace('reports = "reports"', 'reports = "/nowhere/at/all"'), encoding="utf-8"
    )
    line = one_error_line(run("status", cwd=root))
    assert "folders.reports" in line and "/nowhere/at/all" in line


def test_init_refuses_a_store_in_a_folder_that_does_not_exist(tmp_path, no_project):
    line = one_error_line(
        run("init", "p", "--store", f"sqlite:///{tmp_path}/missing/x.sqlite", cwd=tmp_path)
    )
    assert "--store" in line and "missing" in line
    assert not (tmp_path / "p").exists()


def test_init_on_a_file_or_below_a_file_is_one_plain_line(tmp_path, no_project):
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    line = one_error_line(run("init", "notes.txt", cwd=tmp_path))
    assert "notes.txt is a file" in line
    line = one_error_line(run("init", "notes.txt/deeper/project", cwd=tmp_path))
    assert "notes.txt is a file" in line
    project.create(tmp_path / "made")
    line = one_error_line(run("init", "made", cwd=tmp_path))
    assert "already a dwp-assess project" in line


def test_init_without_write_permission_is_one_plain_line(tmp_path, no_project):
    if os.geteuid() == 0:  # permissions do not bind root: /sys refuses new folders to everyone
        target = Path("/sys/dwp-assess-project")
        if not Path("/sys").is_dir():
            pytest.skip("no /sys to try")
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        target = locked / "project"
    line = one_error_line(run("init", str(target), cwd=tmp_path))
    assert str(target) in line
    assert not target.exists()


def test_the_cd_hint_quotes_a_path_with_spaces(tmp_path, no_project):
    result = run("init", "mijn project 2027", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"cd {shlex.quote('mijn project 2027')}" in result.stdout
    assert (tmp_path / "mijn project 2027" / project.PROJECT_FILE).is_file()


def test_init_writes_example_registry_files_that_import_as_they_are(tmp_path, no_project):
    root = project.create(tmp_path / "p").root
    registry = root / "registry"
    readme = (registry / "README.md").read_text(encoding="utf-8")
    for name in ("organisations.csv", "teams.csv", "collaborations.csv"):
        columns = pd.read_csv(registry / name, nrows=0).columns
        assert len(pd.read_csv(registry / name)) >= 1
        for column in columns:  # every column explained
            assert f"| `{column}` |" in readme, (name, column)
    result = run(
        "registry",
        "import",
        "registry/organisations.csv",
        "registry/teams.csv",
        "--collaborations",
        "registry/collaborations.csv",
        cwd=root,
    )
    assert result.returncode == 0, result.stderr
    assert "organisations changed: 4, teams changed: 3, collaborations changed: 1" in result.stdout


def test_init_puts_every_notebook_the_docs_name_into_the_project(tmp_path, no_project):
    docs = Path(__file__).parents[1] / "docs"
    named = {
        word.strip("`").removeprefix("notebooks/")
        for text in (p.read_text(encoding="utf-8") for p in docs.glob("*.md"))
        for word in text.split()
        if word.strip("`").startswith("notebooks/") and word.strip("`").endswith(".ipynb")
    }
    assert {"analyse_round.ipynb", "typology.ipynb"} <= named
    root = project.create(tmp_path / "p").root
    for name in named:
        assert (root / "notebooks" / name).is_file(), name


def test_template_writes_into_the_projects_imports_folder(tmp_path, no_project):
    root = project.create(tmp_path / "p").root
    (root / "data").mkdir(exist_ok=True)
    result = run("template", "--instrument", "data-strategy", cwd=root / "data")
    assert result.returncode == 0, result.stderr
    newest = get_instrument("data-strategy").key  # without --version: the newest
    assert sorted(p.name for p in (root / "imports").iterdir()) == [
        f"{newest}-template.csv",
        f"{newest}-template.xlsx",
    ]
    assert not list(root.glob("*template*")) and not list((root / "data").glob("*template*"))


def test_the_notebooks_default_to_the_projects_newest_round_or_name_the_parameter(
    sqlite_url, tmp_path, no_project
):
    import json

    from dwp_assess.analysis import round_lookup
    from dwp_assess.data import store
    from dwp_assess.instruments.loading import get_instrument

    root = project.create(tmp_path / "p").root
    for name in ("analyse_round.ipynb", "typology.ipynb"):
        cells = json.loads((root / "notebooks" / name).read_text(encoding="utf-8"))["cells"]
        parameters = next(
            "".join(c["source"])
            for c in cells
            if "parameters" in c.get("metadata", {}).get("tags", [])
        )
        assert (
            "round_id = None" in parameters and "data-strategy-20" not in parameters.split("#")[0]
        )
    engine = store.connect(sqlite_url)
    with pytest.raises(ValueError, match="set round_id in the parameters cell"):
        round_lookup.latest_round(engine)
    store.create_round(engine, get_instrument("data-strategy", 1), "2030", "ds-2030")
    store.create_round(engine, get_instrument("data-strategy", 2), "2031", "ds-2031")
    store.create_round(engine, get_instrument("competences"), "2032", "comp-2032")  # per team
    assert round_lookup.latest_round(engine) == "ds-2031"
    assert round_lookup.latest_round(engine, "team") == "comp-2032"
    assert round_lookup.previous_round(engine, "ds-2031") == "ds-2030"
    assert round_lookup.previous_round(engine, "ds-2030") is None

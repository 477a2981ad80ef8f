"""dwp-assess as an analyst installs it: a wheel, non-editable, used outside any checkout.

The wheel is built from a copy of the source (the way ``pip install .`` builds it) and
installed with ``--no-deps`` into a fresh virtualenv; its dependencies come from the
test environment through a ``.pth`` path entry, which adds the folder without running
its ``.pth`` files, so the editable install of the checkout stays invisible. The
analyst's tour then runs from a subfolder of a new project, and every file it writes
must lie inside that project.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP_ANYWHERE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*cache"
)
SKIP_AT_TOP = {"reports", "data", "dwp-demo", "exports"}  # generated output of the checkout


def skip(folder: str, names: list[str]) -> set[str]:
    """What the copy of the source leaves out: caches everywhere, output folders at the top."""
    top = {n for n in names if n in SKIP_AT_TOP} if Path(folder) == ROOT else set()
    return set(SKIP_ANYWHERE(folder, names)) | top


pytestmark = pytest.mark.slow


def sh(*args, cwd: Path, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=280)
    if check:
        assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh virtualenv with the wheel installed non-editable; returns (venv bin, env)."""
    base = tmp_path_factory.mktemp("install")
    source = base / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=skip)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DWP_", "PYTHON", "VIRTUAL_ENV"))
    }
    sh(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "-q",
        "-w",
        str(base / "dist"),
        str(source),
        cwd=base,
        env=env,
    )
    wheel = next((base / "dist").glob("dwp_assess-*.whl"))
    venv = base / "venv"
    sh(sys.executable, "-m", "venv", "--without-pip", str(venv), cwd=base, env=env)
    python = venv / "bin" / "python"
    sh(
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(python),
        "install",
        "-q",
        "--no-deps",
        str(wheel),
        cwd=base,
        env=env,
    )
    site = sh(
        str(python),
        "-c",
        "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        cwd=base,
        env=env,
    )
    Path(site.stdout.strip(), "_test_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n"
    )
    env = {**env, "PATH": f"{venv / 'bin'}{os.pathsep}{env['PATH']}", "HOME": str(base / "home")}
    (base / "home").mkdir()
    return venv / "bin", env, wheel


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def test_the_wheel_holds_the_package_data(installed):
    import zipfile

    names = set(zipfile.ZipFile(installed[2]).namelist())
    for expected in (
        "dwp_assess/questionnaires/data-strategy-v1.yaml",
        "dwp_assess/questionnaires/recommendations.yaml",
        "dwp_assess/questionnaires/schema.json",
        "dwp_assess/notebooks/organisation_report.ipynb",
        "dwp_assess/notebooks/collect.ipynb",
        "dwp_assess/sample_data/manifest.json",
        "dwp_assess/sample_data/data-strategy-2026/msforms.xlsx",
        "dwp_assess/reports/templates/report.html.j2",
        "dwp_assess/instruments/messages.yaml",
        "dwp_assess/project_template/dwp.toml",
    ):
        assert expected in names


def test_the_analyst_tour_runs_outside_the_checkout_and_writes_only_in_the_project(
    installed, tmp_path
):
    bin_dir, env, _ = installed
    tool = str(bin_dir / "dwp-assess")
    where = sh(
        str(bin_dir / "python"),
        "-c",
        "import dwp_assess; print(dwp_assess.__file__)",
        cwd=tmp_path,
        env=env,
    )
    assert where.stdout.startswith(str(bin_dir.parent)), where.stdout  # the wheel, not the checkout

    sh(tool, "init", "proj", "--owner", "Gemeente Testdorp", cwd=tmp_path, env=env)
    proj = tmp_path / "proj"
    sample = ROOT / "dwp_assess" / "sample_data"
    shutil.copy(sample / "organisations.csv", proj / "registry")
    shutil.copy(sample / "data-strategy-2026" / "template.csv", proj / "imports")
    before = files_under(tmp_path) - files_under(proj)
    home_before = files_under(Path(env["HOME"]))
    work = proj / "sub" / "folder"
    work.mkdir(parents=True)

    sh(tool, "registry", "import", "../../registry/organisations.csv", cwd=work, env=env)
    sh(
        tool,
        "round",
        "create",
        "--instrument",
        "data-strategy",
        "--period",
        "2026",
        cwd=work,
        env=env,
    )
    imported = sh(
        tool,
        "import",
        "../../imports/template.csv",
        "--round",
        "data-strategy-2026",
        cwd=work,
        env=env,
    )
    assert "template.csv" in imported.stdout
    report = sh(tool, "report", "--round", "data-strategy-2026", "--jobs", "2", cwd=work, env=env)
    assert " 0 failed" in report.stdout
    sh(tool, "export", "--round", "data-strategy-2026", cwd=work, env=env)
    status = sh(tool, "status", cwd=work, env=env)
    assert "data-strategy-2026" in status.stdout and str(proj) in status.stdout

    assert (proj / "data" / "dwp.sqlite").is_file()
    reports = list((proj / "reports" / "data-strategy-2026").glob("*.html"))
    assert len(reports) > 10 and (proj / "reports" / "data-strategy-2026" / "index.html") in reports
    assert any((proj / "exports").iterdir())
    assert files_under(tmp_path) - files_under(proj) == before, "written outside the project"
    assert files_under(Path(env["HOME"])) == home_before, "written into the home folder"
    assert not (work / "data").exists() and not (work / "reports").exists()


def test_demo_in_an_empty_folder_makes_the_reports(installed, tmp_path):
    bin_dir, env, _ = installed
    result = sh(str(bin_dir / "dwp-assess"), "demo", "--jobs", "2", cwd=tmp_path, env=env)
    index = tmp_path / "dwp-demo" / "reports" / "data-strategy-2026" / "index.html"
    assert str(index) in result.stdout and index.is_file()
    assert (tmp_path / "dwp-demo" / "dwp.toml").is_file()
    assert {p.name for p in tmp_path.iterdir()} == {"dwp-demo"}


@pytest.mark.timeout(1200)  # a wheel, a round's analysis and four reports on a shared machine
def test_an_own_instrument_and_rules_reach_every_report_from_the_wheel(installed, tmp_path):
    """From the installed wheel, inside a project with no DWP_PROJECT: an instrument of the
    project's own (YAML only) with rules of its own gets reports and summaries that give the
    same advice, from those rules (the report kernels start in the installed package's folder)."""
    import csv

    import yaml

    from tests.test_own_project import MARK, OWN, _advice, _own_instrument, _own_rules, _write_yaml

    bin_dir, env, _ = installed
    tool = str(bin_dir / "dwp-assess")
    sh(tool, "init", "eigen", cwd=tmp_path, env=env)
    proj = tmp_path / "eigen"
    sample = ROOT / "dwp_assess" / "sample_data"
    shutil.copy(sample / "organisations.csv", proj / "registry")
    with (sample / "data-strategy-2026" / "template.csv").open(
        encoding="utf-8", newline=""
    ) as source:
        rows = list(csv.reader(source))  # v2's items, the own instrument's; five organisations
    with (proj / "imports" / "template.csv").open("w", encoding="utf-8", newline="") as target:
        csv.writer(target).writerows(
            [
                rows[0],
                *(r for r in rows[1:] if r[2] in {"gouda", "woerden", "almere", "emmen", "eersel"}),
            ]
        )
    raw = _own_instrument()
    _write_yaml(proj / "questionnaires" / f"{OWN}-v1.yaml", raw)
    _write_yaml(proj / "questionnaires" / "recommendations.yaml", _own_rules(raw))
    assert yaml.safe_load(
        (proj / "questionnaires" / "recommendations.yaml").read_text(encoding="utf-8")
    )
    validated = sh(tool, "validate", cwd=proj, env=env)
    assert "without recommendation rules" not in validated.stdout
    sh(tool, "registry", "import", "registry/organisations.csv", cwd=proj, env=env)
    sh(tool, "round", "create", "--instrument", OWN, "--period", "2027", cwd=proj, env=env)
    round_id = f"{OWN}-2027"
    sh(tool, "import", "imports/template.csv", "--round", round_id, cwd=proj, env=env)
    report = sh(
        tool,
        "report",
        "--round",
        round_id,
        "--jobs",
        "2",
        "--org",
        "gouda",
        "--org",
        "woerden",
        cwd=proj,
        env=env,
    )
    assert "2 made" in report.stdout and " 0 failed" in report.stdout
    for org in ("gouda", "woerden"):
        folder = proj / "reports" / round_id
        full = _advice(
            (folder / f"{org}.html").read_text(encoding="utf-8"), "recommendations", "dwp-advice"
        )
        summary = _advice(
            (folder / f"{org}.samenvatting.html").read_text(encoding="utf-8"),
            "priorities",
            "dwp-actions",
        )
        assert full and all(MARK in a for a in full) and summary and summary == full[: len(summary)]

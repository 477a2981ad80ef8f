"""Mistakes on the command line are usage errors, said the way typer says them (exit code 2, a
"did you mean"), with the typer that is installed; ``--version`` works; the command line
starts without the heavy libraries (their cost is measured in benchmarks/bench_startup.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dwp_assess import __version__


def cli(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DWP_")}
    return subprocess.run(
        [sys.executable, "-m", "dwp_assess", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**env, "COLUMNS": "200"},
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--verison"], "--version"),
        (["statsu"], "status"),
        (["registry", "imprt"], "import"),
        (["plan", "shwo"], "show"),
        (["template", "--instrumnet", "data-strategy"], "--instrument"),
        (["init", "x", "--min-groep-size", "5"], "--min-group-size"),
    ],
)
def test_a_typo_is_a_usage_error_that_names_what_was_meant(tmp_path, args, expected):
    result = cli(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "internal error" not in result.stderr
    assert "Usage: " in result.stderr
    assert expected in result.stderr
    assert args[-1] not in ("x",) and not (tmp_path / "x").exists()  # nothing was made


def test_missing_argument_and_value_are_usage_errors(tmp_path):
    for args in (
        ["init"],
        ["template"],
        ["template", "--instrument"],
        ["init", str(tmp_path / "p"), "--min-group-size", "vijf"],
    ):
        result = cli(*args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert "internal error" not in result.stderr
        assert "requires an argument" in result.stderr or "Usage: " in result.stderr


def test_bare_command_and_group_show_their_usage_not_a_crash(tmp_path):
    for args in ([], ["plan"], ["registry"]):
        result = cli(*args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert "internal error" not in result.stdout + result.stderr
        assert "Usage: " in result.stdout + result.stderr


def test_version_prints_the_package_version(tmp_path):
    result = cli("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"dwp-assess {__version__}"


def test_the_command_line_imports_no_heavy_library(tmp_path):
    """Importing the command line (and so ``--help``, ``--version`` and every typo) loads
    neither pandas nor SQLAlchemy, plotly, papermill or the instrument models."""
    heavy = ("pandas", "numpy", "sqlalchemy", "plotly", "papermill", "pydantic", "openpyxl", "yaml")
    code = (
        "import sys; import dwp_assess.cli.main; "
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_init_needs_no_heavy_library(tmp_path):
    code = (
        "import sys; from dwp_assess.cli.main import main; sys.argv = ['dwp-assess', 'init', 'p']\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print('heavy:', ','.join(m for m in ('pandas', 'sqlalchemy', 'plotly', 'papermill') if m in sys.modules))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DWP_")}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "heavy: "
    assert (tmp_path / "p" / "dwp.toml").is_file()


def test_a_machine_that_cannot_print_is_told_the_fix_not_an_internal_error():
    """``report --pdf`` without the pdf extra (README command 1 installs without it) or without
    Chromium: one line with the fix, exit code 2, as for other errors the user can fix."""
    from dwp_assess.cli.main import user_error
    from dwp_assess.reports.printing import PrinterError

    fix = "--pdf drives Chromium with Playwright: install it with `pip install 'dwp-assess[pdf]'`"
    assert user_error(PrinterError(fix)) == fix

"""The README opens with the two commands, and CI runs the second one verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", text, flags=re.S)


def test_readme_starts_with_demo_then_test_command():
    first, second = readme_commands()[:2]
    assert "\n" not in first and "\n" not in second
    assert "pip install . " in first and ".venv/bin/dwp-assess demo" in first  # non-editable
    assert "pip install -e '.[test]'" in second and second.endswith("pytest")


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert readme_commands()[1] in ci

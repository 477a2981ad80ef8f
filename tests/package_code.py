"""The package's own code as text, for the tests that scan it (``test_kinds``, ``test_locale``):
every Python module and every notebook's code cells (shell and magic lines left out, which are
not Python)."""

from __future__ import annotations

import json
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "dwp_assess"


def package_sources(left_out: Path) -> list[tuple[str, str]]:
    """(where, code) of every module of the package but ``left_out`` (the one home of what the
    scan looks for) and of every notebook code cell."""
    found = [
        (str(p.relative_to(PACKAGE)), p.read_text(encoding="utf-8"))
        for p in sorted(PACKAGE.rglob("*.py"))
        if p.resolve() != left_out.resolve()
    ]
    for path in sorted(PACKAGE.rglob("*.ipynb")):
        for n, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            if cell["cell_type"] == "code":
                lines = "".join(cell["source"]).splitlines()
                code = "\n".join(line for line in lines if not line.lstrip().startswith(("%", "!")))
                found.append((f"{path.relative_to(PACKAGE)} cell {n}", code))
    return found

"""The package's layers: imports point down only (docs/architecture.md).

Read from the source with ``ast``, so imports inside functions count too. A module
may import its own layer and any lower one; ``reports`` and ``collect`` sit side by
side and never import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dwp_assess"

# Names the package root defines itself (rank 0: it imports no module of its own).
ROOT_NAMES = ("__version__", "build_digest", "folder_digest")

LAYERS = {  # first part of the module path inside dwp_assess → rank (higher imports lower)
    "resources": 0,
    "ids": 0,
    "templating": 0,
    "locale": 0,
    "project": 1,
    "instruments": 2,
    "data": 3,
    "analysis": 4,
    "reports": 5,
    "collect": 5,
    "demo": 6,
    "cli": 7,
    "__main__": 8,
}


def layer_of(module: str) -> str | None:
    """``dwp_assess.data.store`` → ``data``; the package itself (``dwp_assess``) has none."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "dwp_assess" else None


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every ``dwp_assess`` module imported by the file at ``path``, with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "dwp_assess":  # from dwp_assess import project, __version__
                found += [(node.lineno, f"dwp_assess.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, node.module))
    return [(line, name) for line, name in found if name.startswith("dwp_assess.")]


def module_name(path: Path, package: Path) -> str:
    return ".".join(("dwp_assess", *path.relative_to(package).with_suffix("").parts))


def violations(files: list[Path], package: Path = PACKAGE) -> list[str]:
    problems = []
    for path in files:
        here = layer_of(module_name(path, package))
        if here is None or here == "__init__":
            continue
        for line, name in imported_modules(path):
            there = layer_of(name)
            if there is None or there in ROOT_NAMES or there == here:
                continue
            if there not in LAYERS:
                problems.append(f"{path}:{line}: {name} is in no layer; add it to LAYERS")
            elif LAYERS[there] >= LAYERS[here]:
                problems.append(
                    f"{path}:{line}: {here} imports {name} ({there} is not below {here})"
                )
    return problems


def test_every_module_belongs_to_a_layer():
    top = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()}
    python = {
        name
        for name in top
        if (PACKAGE / f"{name}.py").is_file() or (PACKAGE / name / "__init__.py").is_file()
    }
    assert python - {"__init__"} <= set(LAYERS), python - set(LAYERS)


def test_imports_point_down_only():
    assert violations(sorted(PACKAGE.rglob("*.py"))) == []


@pytest.mark.parametrize(
    "source, module, expected",
    [
        (
            "from dwp_assess.reports import charts\n",
            "data/x.py",
            "data imports dwp_assess.reports",
        ),
        (
            "def f():\n    from dwp_assess.cli.main import main\n",
            "analysis/x.py",
            "analysis imports dwp_assess.cli.main",
        ),
        (
            "from dwp_assess.collect import forms\n",
            "reports/x.py",
            "reports imports dwp_assess.collect",
        ),
        (
            "import dwp_assess.analysis.scoring\n",
            "instruments/x.py",
            "instruments imports dwp_assess.analysis",
        ),
    ],
)
def test_an_upward_import_is_caught(tmp_path, source, module, expected):
    """The check itself: a lower layer importing a higher one (also inside a function) fails."""
    fake = tmp_path / "dwp_assess"
    (fake / module).parent.mkdir(parents=True)
    (fake / module).write_text(source, encoding="utf-8")
    assert any(expected in problem for problem in violations([fake / module], fake))

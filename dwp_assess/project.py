"""The analyst's project folder: ``dwp.toml`` at its root, found from the working directory up.

A project holds one survey programme: its store, registry files, own instruments, the
working data that stays with the analyst (``data/``) and what is handed out (``reports/``).
Settings come from, strongest first: command-line options, environment variables
(``DWP_DATABASE_URL``, ``DWP_REPORTS_DIR``, ``DWP_DATA_DIR``, ``DWP_LANG``,
``DWP_MIN_GROUP_SIZE``), ``dwp.toml``, and the defaults below. The project itself is
``--project DIR`` / ``DWP_PROJECT``, else the nearest folder upwards with a ``dwp.toml``.

This is the lowest layer, with ``resources``: it imports nothing else of the package.
"""

from __future__ import annotations

import json
import os
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from string import Template

from dwp_assess import resources

PROJECT_FILE = "dwp.toml"
PROJECT_ENV = "DWP_PROJECT"
LANGUAGES = ("nl", "en")
DEFAULT_MIN_GROUP_SIZE = 5
RESEARCH_NOTEBOOK = "analyse_round.ipynb"
FOLDERS = {  # setting → default folder; each made by ``init``
    "registry": "registry",
    "imports": "imports",
    "questionnaires": "questionnaires",
    "data": "data",
    "reports": "reports",
    "exports": "exports",
}


class ProjectError(ValueError):
    """No project, or a ``dwp.toml`` that cannot be used; the message says what to do."""


@dataclass(frozen=True)
class Settings:
    """The settings of one project, every folder absolute."""

    root: Path
    database_url: str
    folders: dict[str, Path]
    language: str
    min_group_size: int
    owner: str

    @property
    def data_dir(self) -> Path:
        return self.folders["data"]

    @property
    def reports_dir(self) -> Path:
        return self.folders["reports"]

    @property
    def questionnaires_dir(self) -> Path:
        return self.folders["questionnaires"]


def find_root(start: Path | None = None) -> Path | None:
    """``DWP_PROJECT`` if set, else the nearest folder from ``start`` (the working directory)
    upwards that holds a ``dwp.toml``; ``None`` when there is none."""
    configured = os.environ.get(PROJECT_ENV)
    if configured:
        root = Path(configured).expanduser().resolve()
        if not (root / PROJECT_FILE).is_file():
            raise ProjectError(
                f"{root} is not a dwp-assess project (no {PROJECT_FILE}); "
                f"make one with `dwp-assess init {configured}`"
            )
        return root
    start = (start or Path.cwd()).resolve()
    return next((f for f in (start, *start.parents) if (f / PROJECT_FILE).is_file()), None)


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProjectError(f"{path}: not valid TOML: {exc}") from None


def _sqlite_url(root: Path, url: str) -> str:
    """A ``sqlite:///relative/path`` in ``dwp.toml`` is relative to the project folder."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + ":memory:"):
        path = Path(url.removeprefix(prefix))
        return prefix + str(path if path.is_absolute() else root / path)
    return url


def _min_group_size(value: object, source: str) -> int:
    try:
        size = int(value)
    except (TypeError, ValueError):
        raise ProjectError(
            f"{source}: min_group_size must be a whole number, got {value!r}"
        ) from None
    if size < 2:
        raise ProjectError(f"{source}: min_group_size must be at least 2, got {size}")
    return size


def load(root: Path) -> Settings:
    """The settings of the project at ``root``, with environment variables applied."""
    path = root / PROJECT_FILE
    raw = _read_toml(path)
    project, store, folders = raw.get("project", {}), raw.get("store", {}), raw.get("folders", {})
    unknown = sorted(set(folders) - set(FOLDERS))
    if unknown:
        raise ProjectError(f"{path}: unknown folder setting(s) {', '.join(unknown)}; known: {', '.join(FOLDERS)}")  # fmt: skip
    resolved = {key: root / folders.get(key, default) for key, default in FOLDERS.items()}
    for key, variable in (("reports", "DWP_REPORTS_DIR"), ("data", "DWP_DATA_DIR")):
        if os.environ.get(variable):
            resolved[key] = Path(os.environ[variable]).expanduser()
    resolved = {key: folder.resolve() for key, folder in resolved.items()}
    language = os.environ.get("DWP_LANG") or project.get("language", "nl")
    if language not in LANGUAGES:
        raise ProjectError(f"{path}: language must be one of {', '.join(LANGUAGES)}, got {language!r}")  # fmt: skip
    url = os.environ.get("DWP_DATABASE_URL") or _sqlite_url(
        root, store.get("url", f"sqlite:///{FOLDERS['data']}/dwp.sqlite")
    )
    size = os.environ.get("DWP_MIN_GROUP_SIZE") or project.get("min_group_size", DEFAULT_MIN_GROUP_SIZE)  # fmt: skip
    return Settings(
        root=root,
        database_url=url,
        folders=resolved,
        language=language,
        min_group_size=_min_group_size(size, str(path)),
        owner=str(project.get("owner", "")),
    )


def current(start: Path | None = None) -> Settings | None:
    """The settings of the project around ``start`` (or ``DWP_PROJECT``), ``None`` outside one."""
    root = find_root(start)
    return load(root) if root else None


def require(start: Path | None = None) -> Settings:
    """The current project's settings, or a ``ProjectError`` that says how to make one."""
    settings = current(start)
    if settings is None:
        raise ProjectError(
            f"no dwp-assess project in {(start or Path.cwd()).resolve()} or above (no {PROJECT_FILE}); "
            "make one with `dwp-assess init DIR`, or point to one with --project DIR / DWP_PROJECT"
        )
    return settings


def jupyter_dirs(data_dir: Path) -> dict[str, str]:
    """Environment variables that keep Jupyter, IPython and matplotlib inside ``data_dir``:
    kernels of reports and forms write history and runtime files there, not in the home
    folder (they may name organisations) nor beside the reports."""
    base = Path(data_dir).resolve() / "jupyter"
    return {
        "JUPYTER_DATA_DIR": str(base / "data"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "IPYTHONDIR": str(base / "ipython"),
        "MPLCONFIGDIR": str(base / "matplotlib"),
        "TMPDIR": str(base / "tmp"),
    }


def create(
    root: Path,
    owner: str = "",
    database_url: str | None = None,
    language: str = "nl",
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> Settings:
    """Make a project at ``root``: ``dwp.toml``, the empty folders of a round, a Dutch README
    on what goes where, the researcher's notebook, and a ``.gitignore`` that keeps ``data/``
    out of version control."""
    root = Path(root).expanduser().resolve()
    if (root / PROJECT_FILE).exists():
        raise ProjectError(f"{root} is already a dwp-assess project ({PROJECT_FILE} exists)")
    if language not in LANGUAGES:
        raise ProjectError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    _min_group_size(min_group_size, "--min-group-size")
    template = resources.packaged("project_template")
    values = {
        "owner": json.dumps(owner, ensure_ascii=False),
        "language": json.dumps(language),
        "min_group_size": str(int(min_group_size)),
        "url": json.dumps(database_url or f"sqlite:///{FOLDERS['data']}/dwp.sqlite"),
        "title": f"dwp-assess: {owner}" if owner else "dwp-assess",
    }
    root.mkdir(parents=True, exist_ok=True)
    for folder in FOLDERS.values():
        (root / folder).mkdir(exist_ok=True)
    for source, target in (("README.md", "README.md"), ("gitignore", ".gitignore")):
        if not (root / target).exists():
            text = Template((template / source).read_text(encoding="utf-8")).safe_substitute(values)
            (root / target).write_text(text, encoding="utf-8")
    notebooks = root / "notebooks"  # the researcher's notebook, to open with jupyter lab
    notebooks.mkdir(exist_ok=True)
    if not (notebooks / RESEARCH_NOTEBOOK).exists():
        shutil.copy(resources.NOTEBOOKS / RESEARCH_NOTEBOOK, notebooks / RESEARCH_NOTEBOOK)
    text = Template((template / PROJECT_FILE).read_text(encoding="utf-8")).substitute(values)
    (root / PROJECT_FILE).write_text(text, encoding="utf-8")
    return load(root)

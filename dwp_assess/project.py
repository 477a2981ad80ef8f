"""The analyst's project folder: ``dwp.toml`` at its root, found from the working directory up.

A project holds one survey programme: its store, registry files, own instruments, the
working data that stays with the analyst (``data/``) and what is handed out (``reports/``).
Settings come from, strongest first: command-line options, environment variables
(``DWP_DATABASE_URL``, ``DWP_REPORTS_DIR``, ``DWP_DATA_DIR``, ``DWP_LANG``,
``DWP_MIN_GROUP_SIZE``), ``dwp.toml``, and the defaults below. The project itself is
``--project DIR`` / ``DWP_PROJECT``, else the nearest folder upwards with a ``dwp.toml``.

Settings are resolved once, by an entry point, and handed down as a ``Settings`` object:
the command line resolves them (``current``/``require``: the only functions that read
``DWP_PROJECT`` or the working folder) and makes them this process's project with
``activate``; a report worker (local or on a dask cluster) gets them with its job, a report
kernel as its notebook's ``project_settings`` parameter (``Settings.to_json``), the form
server in its environment (``SETTINGS_ENV``). Modules below the entry points ask
``active()``, never the environment or the working folder, so a kernel started in the
package's folder sees the same project, instruments and rules as the command that started it.

This is the lowest layer, with ``resources``: it imports nothing else of the package.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from string import Template

from dwp_assess import resources
from dwp_assess.locale import LANGUAGES, PRIMARY_LANGUAGE

PROJECT_FILE = "dwp.toml"
PROJECT_ENV = "DWP_PROJECT"
SETTINGS_ENV = "DWP_SETTINGS"  # a child process's settings (Settings.to_json), set by its parent
DEFAULT_MIN_GROUP_SIZE = 5
DEFAULT_SENDER = (
    "Datawerkplaats, Universiteit Utrecht"  # who sends the reports, unless dwp.toml says
)
RESEARCH_NOTEBOOKS = ("analyse_round.ipynb", "typology.ipynb")  # docs/research.md
FOLDERS = {  # setting → default folder; each made by ``init``
    "registry": "registry",
    "imports": "imports",
    "questionnaires": "questionnaires",
    "data": "data",
    "reports": "reports",
    "exports": "exports",
}

KEYS = {  # every table and key dwp.toml may hold; anything else is a mistake, said by name
    "project": ("owner", "language", "min_group_size", "sender", "contact"),
    "store": ("url",),
    "folders": tuple(FOLDERS),
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
    sender: str = DEFAULT_SENDER  # named in every document's colophon
    contact: str = ""  # where a reader asks questions (e-mail or web page), in the colophon

    @property
    def colophon(self) -> dict[str, str]:
        """The sender and contact every document's colophon names (``sections.closing.colophon``)."""
        return {"sender": self.sender, "contact": self.contact}

    @property
    def data_dir(self) -> Path:
        return self.folders["data"]

    @property
    def reports_dir(self) -> Path:
        return self.folders["reports"]

    @property
    def questionnaires_dir(self) -> Path:
        return self.folders["questionnaires"]

    def to_json(self) -> str:
        """The settings as JSON: what a report kernel, worker or form server is handed."""
        return json.dumps(
            {
                "root": str(self.root),
                "database_url": self.database_url,
                "folders": {k: str(v) for k, v in self.folders.items()},
                "language": self.language,
                "min_group_size": self.min_group_size,
                "owner": self.owner,
                "sender": self.sender,
                "contact": self.contact,
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Settings:
        """The settings ``to_json`` wrote; a clear ``ProjectError`` for anything else."""
        try:
            raw = json.loads(text)
            return cls(
                root=Path(raw["root"]),
                database_url=raw["database_url"],
                folders={k: Path(v) for k, v in raw["folders"].items()},
                language=raw["language"],
                min_group_size=int(raw["min_group_size"]),
                owner=raw.get("owner", ""),
                sender=raw.get("sender", DEFAULT_SENDER),
                contact=raw.get("contact", ""),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ProjectError(
                f"project settings handed to this process are not readable: {exc}"
            ) from None

    def digest(self) -> str:
        """What of the settings changes an output (minimum group size, language, owner,
        sender, contact): part of every report's up-to-date key; folders and the store's URL
        are not."""
        text = json.dumps(
            [self.min_group_size, self.language, self.owner, self.sender, self.contact]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:12]


_active: Settings | None = None


def activate(settings: Settings | None) -> Settings | None:
    """Make ``settings`` this process's project (``None``: none). Only entry points call
    this, once, with the settings they resolved or were handed (see the module docstring)."""
    global _active
    _active = settings
    return settings


def active() -> Settings | None:
    """This process's project, as its entry point activated it; ``None`` when there is none."""
    return _active


def require_active() -> Settings:
    """This process's project, or a ``ProjectError`` that says how to give one."""
    if _active is None:
        raise ProjectError(
            "no dwp-assess project: run the command inside a project folder (made with "
            "`dwp-assess init DIR`), or point to one with --project DIR / DWP_PROJECT"
        )
    return _active


def from_parameter(value: str | None) -> Settings | None:
    """A notebook's ``project_settings`` parameter (``Settings.to_json``, what
    ``dwp-assess report`` passes), activated; without one (a notebook opened by hand in
    Jupyter) the project around the notebook's folder, resolved here, at its entry."""
    return activate(Settings.from_json(value) if value else current())


def from_environment() -> Settings | None:
    """The settings a parent process handed down in ``SETTINGS_ENV`` (the form server and
    its pages), activated; without them the process's project stays as it is, or, when it has
    none (the form notebook opened by hand in Jupyter), the project around its folder."""
    text = os.environ.get(SETTINGS_ENV)
    if text:
        return activate(Settings.from_json(text))
    return _active or activate(current())


def find_root(start: Path | None = None, given: Path | None = None) -> Path | None:
    """``given`` (``--project``) if given, else ``DWP_PROJECT`` if set, else the nearest
    folder from ``start`` (the working directory) upwards that holds a ``dwp.toml``;
    ``None`` when there is none."""
    configured = str(given) if given is not None else os.environ.get(PROJECT_ENV)
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


def _did_you_mean(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'? " if close else ""


def check_keys(raw: dict, path: Path) -> None:
    """Refuse a ``dwp.toml`` with a table or key this version does not know, naming it with
    the closest known one: a misspelt ``min_group_size`` must not leave the default in force,
    a misspelt ``[store]`` must not fall back to a new SQLite store."""
    known = [f"{table}.{key}" for table, keys in KEYS.items() for key in keys]
    problems = []
    for table, value in raw.items():
        if table not in KEYS:
            flat = f"{table}.{next(iter(value))}" if isinstance(value, dict) and value else table
            guess = (
                _did_you_mean(table, list(KEYS))
                or _did_you_mean(flat, known)
                or _did_you_mean(f"project.{table}", known)
            )
            problems.append(
                f"unknown {'table [' + table + ']' if isinstance(value, dict) else 'key ' + repr(table)}; {guess}known tables: {', '.join(KEYS)}"
            )
        elif not isinstance(value, dict):
            problems.append(f"'{table}' must be a table [{table}], got a value")
        else:
            for key in value:
                if key not in KEYS[table]:
                    guess = _did_you_mean(key, list(KEYS[table]))
                    problems.append(
                        f"unknown key '{key}' in [{table}]; {guess}known: {', '.join(KEYS[table])}"
                    )
    if problems:
        raise ProjectError(f"{path}: " + "; ".join(problems))


def _existing_folder(folder: Path, setting: str, path: Path) -> None:
    """A folder named in ``dwp.toml`` must exist: a typo must not make an empty store or
    folder somewhere else (a read-only command would otherwise create one)."""
    if not folder.is_dir():
        raise ProjectError(
            f"{path}: {setting} points to {folder}, which is not an existing folder; make it, or correct {setting}"
        )


def _sqlite_url(root: Path, url: str) -> str:
    """A ``sqlite:///relative/path`` in ``dwp.toml`` is relative to the project folder."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + ":memory:"):
        path = Path(url.removeprefix(prefix))
        return prefix + str(path if path.is_absolute() else root / path)
    return url


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL, ``None`` for another database or an in-memory one."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + ":memory:"):
        return Path(url.removeprefix(prefix))
    return None


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


def _text(table: dict, key: str, path: Path) -> str:
    """A text setting of ``[project]`` ("" when absent); anything but text is an error naming it."""
    value = table.get(key, "")
    if not isinstance(value, str):
        raise ProjectError(f"{path}: project.{key} must be text in quotes, got {value!r}")
    return value.strip()


def load(root: Path) -> Settings:
    """The settings of the project at ``root``, with environment variables applied."""
    path = root / PROJECT_FILE
    raw = _read_toml(path)
    check_keys(raw, path)
    project, store, folders = raw.get("project", {}), raw.get("store", {}), raw.get("folders", {})
    resolved = {key: root / folders.get(key, default) for key, default in FOLDERS.items()}
    for key in folders:  # the folders init makes may be made again; one set here must exist
        _existing_folder(resolved[key], f"folders.{key}", path)
    for key, variable in (("reports", "DWP_REPORTS_DIR"), ("data", "DWP_DATA_DIR")):
        if os.environ.get(variable):
            resolved[key] = Path(os.environ[variable]).expanduser()
    resolved = {key: folder.resolve() for key, folder in resolved.items()}
    language = os.environ.get("DWP_LANG") or project.get("language", PRIMARY_LANGUAGE)
    if language not in LANGUAGES:
        raise ProjectError(
            f"{path}: language must be one of {', '.join(LANGUAGES)}, got {language!r}"
        )
    url = os.environ.get("DWP_DATABASE_URL") or _sqlite_url(
        root, store.get("url", f"sqlite:///{FOLDERS['data']}/dwp.sqlite")
    )
    if "url" in store and not os.environ.get("DWP_DATABASE_URL"):
        sqlite_file = _sqlite_file(url)
        if sqlite_file is not None:
            _existing_folder(sqlite_file.parent, "store.url", path)
    size = os.environ.get("DWP_MIN_GROUP_SIZE") or project.get(
        "min_group_size", DEFAULT_MIN_GROUP_SIZE
    )
    return Settings(
        root=root,
        database_url=url,
        folders=resolved,
        language=language,
        min_group_size=_min_group_size(size, str(path)),
        owner=str(project.get("owner", "")),
        sender=_text(project, "sender", path) or DEFAULT_SENDER,
        contact=_text(project, "contact", path),
    )


def current(start: Path | None = None, given: Path | None = None) -> Settings | None:
    """The settings of the project ``given``, else ``DWP_PROJECT``, else around ``start``;
    ``None`` outside one. For entry points only (see the module docstring)."""
    root = find_root(start, given)
    return load(root) if root else None


def require(start: Path | None = None, given: Path | None = None) -> Settings:
    """The project's settings as ``current`` finds them, or a ``ProjectError`` that says how
    to make one. For entry points only."""
    settings = current(start, given)
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


def _writable_folder(root: Path) -> None:
    """Refuse, before anything is made, a project folder that cannot be one: a file, a
    folder below a file, or a place without write permission (one plain line each)."""
    if root.exists() and not root.is_dir():
        raise ProjectError(f"{root} is a file, not a folder; choose a folder for the project")
    existing = next(p for p in (root, *root.parents) if p.exists())
    if not existing.is_dir():
        raise ProjectError(f"cannot make {root}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ProjectError(f"cannot make {root}: no permission to write in {existing}")


def _new_store_folder(root: Path, url: str) -> None:
    """A SQLite store of ``init --store`` must lie in a folder that exists or that ``init``
    makes (the project folder and its own folders)."""
    sqlite_file = _sqlite_file(_sqlite_url(root, url))
    made = {root, *(root / folder for folder in FOLDERS.values())}
    if (
        sqlite_file is not None
        and sqlite_file.parent not in made
        and not sqlite_file.parent.is_dir()
    ):
        raise ProjectError(
            f"--store: {sqlite_file.parent} is not an existing folder; make it, or choose another store"
        )


def _copy_new(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` unless the analyst already has a file there."""
    if not target.exists():
        shutil.copy(source, target)


def create(
    root: Path,
    owner: str = "",
    database_url: str | None = None,
    language: str = PRIMARY_LANGUAGE,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> Settings:
    """Make a project at ``root``: ``dwp.toml``, the folders of a round, a Dutch README on
    what goes where, example registry files with every column explained, the researchers'
    notebooks, and a ``.gitignore`` that keeps ``data/`` out of version control. Files the
    folder already has are kept; every anticipated system error is one ``ProjectError``."""
    root = Path(root).expanduser().resolve()
    if (root / PROJECT_FILE).exists():
        raise ProjectError(f"{root} is already a dwp-assess project ({PROJECT_FILE} exists)")
    if language not in LANGUAGES:
        raise ProjectError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    _min_group_size(min_group_size, "--min-group-size")
    _writable_folder(root)
    _new_store_folder(root, database_url or f"sqlite:///{FOLDERS['data']}/dwp.sqlite")
    try:
        _write_project(root, owner, database_url, language, min_group_size)
    except OSError as exc:
        raise ProjectError(
            f"cannot make the project in {root}: {exc.strerror or exc} ({exc.filename or root})"
        ) from None
    return load(root)


def _write_project(
    root: Path, owner: str, database_url: str | None, language: str, min_group_size: int
) -> None:
    """The files and folders of a new project (see ``create``); ``dwp.toml`` last, so a
    folder without one was not made completely."""
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
    for example in sorted((template / "registry").iterdir()):  # every column explained
        _copy_new(example, root / FOLDERS["registry"] / example.name)
    notebooks = root / "notebooks"  # the researchers' notebooks, to open with jupyter lab
    notebooks.mkdir(exist_ok=True)
    for name in RESEARCH_NOTEBOOKS:
        _copy_new(resources.NOTEBOOKS / name, notebooks / name)
    text = Template((template / PROJECT_FILE).read_text(encoding="utf-8")).substitute(values)
    (root / PROJECT_FILE).write_text(text, encoding="utf-8")

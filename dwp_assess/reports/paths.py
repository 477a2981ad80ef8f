"""Where an id becomes a file name: one function that proves the result stays in its folder.

Same signature as the project-wide ``output_path`` of the identifier rules, so that every
output path of the reports can be switched to it by changing one import; ids are taken as
given here (they are validated where they enter the store).
"""

from __future__ import annotations

from pathlib import Path


def output_path(folder: str | Path, *parts: str, suffix: str = "") -> Path:
    """``folder/part/…/last<suffix>``, resolved; ``ValueError`` unless it lies inside ``folder``.

    The suffix is appended, never substituted (``gm.alfadorp`` + ``.html`` stays
    ``gm.alfadorp.html``), and ``..``, absolute parts or symbolic links cannot lead out.
    """
    if not parts or not all(isinstance(p, str) and p for p in parts):
        raise ValueError(f"an output path needs non-empty names, got {parts!r}")
    base = Path(folder).resolve()
    path = base.joinpath(*parts[:-1], parts[-1] + suffix).resolve()
    if path == base or not path.is_relative_to(base):
        raise ValueError(f"{'/'.join(parts)}{suffix} would be written outside {base}")
    return path

"""Drafts of a form that is not sent yet, so a reload does not lose the answers.

Voilà gives every page load a kernel of its own; the answers of a page live in its
kernel and are gone when the page reloads or the connection drops. The form
therefore saves its state (answers, role, team, open answers, page) on every
change as a small JSON file named after the form's response id, and the page's
address carries that id (``draft=``). A reload opens the same id, gets the state
back and keeps the same response id, so sending after a reload is still
idempotent. Once the response is stored the draft is deleted: answers live in
the store, not in files.

Drafts sit under ``store.data_dir()/drafts/<round>/``. A draft id is 32 random hex
digits (the response id's), so only the browser that has the address finds it;
anything else is not a draft id and is ignored. Drafts hold answers, so the ones
never sent are removed after ``MAX_AGE_DAYS`` (``prune``, run when the form
server starts).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
from pathlib import Path

from dwp_assess import ids
from dwp_assess.data import store

DRAFT_ID = re.compile(r"[0-9a-f]{32}")
MAX_AGE_DAYS = 30


def is_draft_id(text: str | None) -> bool:
    return bool(text) and DRAFT_ID.fullmatch(text) is not None


def draft_path(round_id: str, draft_id: str) -> Path:
    """The draft's file; ``draft_id`` must be a draft id (checked, so no path can escape)."""
    if not is_draft_id(draft_id):
        raise ValueError(f"not a draft id: {draft_id!r}")
    return ids.output_path(store.data_dir() / "drafts", round_id, draft_id, suffix=".json")


def save_draft(round_id: str, draft_id: str, state: dict) -> None:
    """Write the state atomically (a reader never sees half a file)."""
    path = draft_path(round_id, draft_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        json.dump(state, file, ensure_ascii=False)
    os.replace(temporary, path)


def load_draft(round_id: str, draft_id: str | None) -> dict | None:
    """The saved state, or None when there is no (readable) draft under that id."""
    if not is_draft_id(draft_id):
        return None
    try:
        state = json.loads(draft_path(round_id, draft_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def delete_draft(round_id: str, draft_id: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        draft_path(round_id, draft_id).unlink()


def prune(max_age_days: float = MAX_AGE_DAYS) -> int:
    """Remove drafts not changed for ``max_age_days``; return how many were removed."""
    cutoff = time.time() - max_age_days * 86_400
    removed = 0
    for path in (store.data_dir() / "drafts").glob("*/*.json"):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
    return removed

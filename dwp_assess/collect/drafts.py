"""Drafts of a form that is not sent yet, so a reload does not lose the answers.

Voilà gives every page load a kernel of its own; the answers of a page live in its
kernel and are gone when the page reloads or the connection drops. The form
therefore saves its state (answers, role, team, open answers, page) on every
change as a small JSON file named after the form's response id, and the page's
address carries that id (``draft=``). A reload opens the same id, gets the state
back and keeps the same response id, so sending after a reload is still
idempotent.

A draft belongs to the browser that made it: the file holds the owner tag of the
browser's key (``browser.owner_tag``, an HMAC; never the key) and is only read for
a request with the same key. The same address opened in another browser (a forwarded
link, the next person at a shared laptop) finds nothing and opens a fresh form.

Once the response is stored the draft's answers are dropped: the file keeps only the
owner tag and ``"sent": true``, so that a reload in the same browser shows the receipt
again and any other browser does not.

Drafts sit under ``store.data_dir()/drafts/<round>/``. A draft id is 32 hex digits (the
response id's; the web form binds them to the browser key, ``browser.new_draft_id``);
anything else is not a draft id and is ignored. Drafts hold answers, so the ones not
changed for ``MAX_AGE_DAYS`` are removed (``prune``, run when the form server starts and
every hour while it runs). A made-up draft id costs a file, so the web form makes new
drafts only within a ``Quota``: at most ``MAX_PER_BROWSER`` per browser key and
``MAX_TOTAL`` in all.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from dwp_assess import ids
from dwp_assess.collect import browser
from dwp_assess.data import store

DRAFT_ID = re.compile(r"[0-9a-f]{32}")
MAX_AGE_DAYS = 30
MAX_PER_BROWSER = 20  # new drafts per browser key (a respondent opens the link a few times)
MAX_TOTAL = 20_000  # drafts on disk in all (about 2 kB each)
SECRET_NAME = ".secret"


def is_draft_id(text: object) -> bool:
    return isinstance(text, str) and DRAFT_ID.fullmatch(text) is not None


def folder() -> Path:
    return store.data_dir() / "drafts"


def server_secret() -> bytes:
    """The form server's secret for draft ids (``browser.new_draft_id``): 32 random bytes in
    ``drafts/.secret`` (readable by its owner only), made once and shared by every server
    process on the same data folder, so drafts survive a restart."""
    path = folder() / SECRET_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process is writing it: wait until it is there
            text = path.read_text(encoding="ascii").strip()
            if len(text) == 64:
                return bytes.fromhex(text)
            time.sleep(0.02)
        raise
    with os.fdopen(handle, "w", encoding="ascii") as file:
        file.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


def count() -> int:
    """Drafts on disk, of every round."""
    return sum(1 for _ in folder().glob("*/*.json"))


class Quota:
    """How many new drafts may still be made: per browser key and in total.

    Counted in the server's process: the total starts from the files on disk, the count per
    key from zero (a key lives in one browser; made-up keys are what the total is for)."""

    def __init__(self, existing: int, per_browser: int = MAX_PER_BROWSER, total: int = MAX_TOTAL):
        self.existing, self.per_browser, self.total = existing, per_browser, total
        self.made: Counter[str] = Counter()
        self._lock = threading.Lock()

    def admit(self, key: str) -> bool:
        """Count one new draft of ``key``; False (nothing counted) when a limit is reached."""
        who = hashlib.sha256(key.encode()).hexdigest()[:16]
        with self._lock:
            if self.existing >= self.total or self.made[who] >= self.per_browser:
                return False
            self.existing += 1
            self.made[who] += 1
            return True

    def recount(self, existing: int) -> None:
        """After removing old drafts: the files there are now."""
        with self._lock:
            self.existing = existing


def draft_path(round_id: str, draft_id: str) -> Path:
    """The draft's file; ``draft_id`` must be a draft id (checked, so no path can escape)."""
    if not is_draft_id(draft_id):
        raise ValueError(f"not a draft id: {draft_id!r}")
    return ids.output_path(store.data_dir() / "drafts", round_id, draft_id, suffix=".json")


def _write(path: Path, entry: dict) -> None:
    """Write atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        json.dump(entry, file, ensure_ascii=False)
    os.replace(temporary, path)


def save_draft(round_id: str, draft_id: str, key: str, state: dict) -> None:
    """Keep the state of the form, owned by the browser ``key``."""
    entry = {"owner": browser.owner_tag(key, draft_id), "state": state}
    _write(draft_path(round_id, draft_id), entry)


def mark_sent(round_id: str, draft_id: str, key: str) -> None:
    """The response is stored: drop the answers, keep who may see the receipt again."""
    entry = {"owner": browser.owner_tag(key, draft_id), "sent": True}
    _write(draft_path(round_id, draft_id), entry)


def load_draft(round_id: str, draft_id: str | None, key: str) -> dict | None:
    """The draft (``{"state": …}`` or ``{"sent": true}``) when the browser ``key`` made it;
    None for anything else: no draft id, no (readable) file, another browser's draft."""
    if not is_draft_id(draft_id):
        return None
    try:
        entry = json.loads(draft_path(round_id, draft_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or not browser.owns(entry.get("owner"), key, draft_id):
        return None
    if entry.get("sent") is True:
        return {"sent": True}
    state = entry.get("state")
    return {"state": state} if isinstance(state, dict) else None


def keep(round_id: str, draft_id: str, key: str, state: dict, quota: Quota) -> bool:
    """Keep ``state`` as the draft ``draft_id`` of the browser ``key`` (whose id it must be,
    ``browser.draft_belongs``): an unsent draft is overwritten; a new one is made when the
    quota allows. False when nothing was kept (sent already, another browser's, over quota).
    The file is read once (a save per part of every respondent)."""
    path = draft_path(round_id, draft_id)
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        entry = None
    except (OSError, ValueError):
        entry = {}  # unreadable: written anew
    taken = isinstance(entry, dict) and entry.get("owner") is not None
    if entry is None and not quota.admit(key):
        return False
    if taken and (not browser.owns(entry["owner"], key, draft_id) or entry.get("sent") is True):
        return False
    save_draft(round_id, draft_id, key, state)
    return True


def _owner(round_id: str, draft_id: str) -> object:
    """The owner tag in the draft's file; None when there is no (readable) file."""
    try:
        entry = json.loads(draft_path(round_id, draft_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return entry.get("owner") if isinstance(entry, dict) else None


def is_foreign(round_id: str, draft_id: str, key: str) -> bool:
    """Whether ``draft_id`` is the draft of another browser than ``key``'s."""
    tag = _owner(round_id, draft_id)
    return tag is not None and not browser.owns(tag, key, draft_id)


def writable(round_id: str, draft_id: str, key: str) -> bool:
    """Whether the browser ``key`` may keep a state under ``draft_id``: no draft yet (or an
    unreadable one), or an unsent one it made; never another browser's, never a sent one."""
    if _owner(round_id, draft_id) is None:
        return True
    draft = load_draft(round_id, draft_id, key)
    return draft is not None and "state" in draft


def prune(max_age_days: float = MAX_AGE_DAYS) -> int:
    """Remove drafts not changed for ``max_age_days``; return how many were removed."""
    cutoff = time.time() - max_age_days * 86_400
    removed = 0
    for path in [*folder().glob("*/*.json"), *folder().glob("*/*.tmp")]:
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
    return removed

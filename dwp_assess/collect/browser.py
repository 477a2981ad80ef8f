"""The browser's key: binds a form's draft to the browser that filled it in.

The page's address carries the draft id (``draft=``) so that a reload finds the
answers again. An address can be forwarded or reopened by the next person at a
shared laptop, so the id alone must not open a draft. Each browser therefore keeps a
secret of its own, the *browser key* (``secrets.token_urlsafe``, in the cookie
``dwp_form_key``); a draft stores only an HMAC of the key and the draft id
(``owner_tag``), and is restored only for a request that presents the same key.

How the key travels, and why this way: the browser sends its cookies with the page
request, and Voilà passes the request's ``Cookie`` header to the page's kernel as
``HTTP_COOKIE`` (``--VoilaConfiguration.http_header_envs=Cookie``, set by
``server.voila_command``). The kernel thus knows the key before the notebook runs,
with no round trip from the page to the kernel and nothing that depends on when
widgets render. A request without a (valid) key gets a new key from the kernel,
which the page's script (``address_script``) stores in the browser.

If the browser holds another key than the page was made with (two first visits in two
tabs at once, or "Nieuwe invuller" in another tab meanwhile), the script loads the
page again once, so the kernel gets the browser's key; a ``sessionStorage`` flag
keeps that to one reload when cookies do not reach the server.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets

COOKIE = "dwp_form_key"
KEY = re.compile(r"[A-Za-z0-9_-]{43}")  # token_urlsafe(32): 32 random bytes, base64url
COOKIE_MAX_AGE_SECONDS = 30 * 86_400  # as long as an unsent draft is kept
RETRY_FLAG = "dwp-form-key-retry"


def new_key() -> str:
    """A fresh browser key: 32 random bytes from ``secrets``."""
    return secrets.token_urlsafe(32)


def is_key(text: object) -> bool:
    return isinstance(text, str) and KEY.fullmatch(text) is not None


def key_from_cookies(header: str | None) -> str | None:
    """The browser key in a ``Cookie`` header, or None when it has none (or a malformed one).

    Parsed by hand: ``http.cookies`` stops at the first cookie it cannot read, and other
    applications on the same host may set such cookies."""
    for part in (header or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE and is_key(value.strip()):
            return value.strip()
    return None


def new_draft_id(secret: bytes, key: str) -> str:
    """A draft (and response) id bound to the browser ``key``: 16 random hex digits, then 16
    of an HMAC of them and the key under the server's secret (``drafts.server_secret``).

    Only the browser holding ``key`` can use the id (``draft_belongs``): a forwarded address,
    a request without a cookie or with a made-up key cannot save or send under it, even
    before the owner saved anything, and no one can make ids the server did not give out."""
    head = secrets.token_hex(8)
    return head + _draft_mac(secret, key, head)


def draft_belongs(secret: bytes, key: str | None, draft_id: object) -> bool:
    """Whether ``draft_id`` was given to the browser ``key`` (constant-time comparison)."""
    if not is_key(key) or not isinstance(draft_id, str) or len(draft_id) != 32:
        return False
    return hmac.compare_digest(draft_id[16:], _draft_mac(secret, key, draft_id[:16]))


def _draft_mac(secret: bytes, key: str, head: str) -> str:
    return hmac.new(secret, f"{key}:{head}".encode(), hashlib.sha256).hexdigest()[:16]


def owner_tag(key: str, draft_id: str) -> str:
    """What a draft stores instead of the key: HMAC-SHA256 of the draft id under the key."""
    return hmac.new(key.encode(), draft_id.encode(), hashlib.sha256).hexdigest()


def owns(tag: object, key: str, draft_id: str) -> bool:
    """Whether ``key`` made the draft tagged ``tag`` (constant-time comparison)."""
    return isinstance(tag, str) and hmac.compare_digest(tag, owner_tag(key, draft_id))


def _set_cookie(key_js: str) -> str:
    return (
        f'document.cookie = "{COOKIE}=" + {key_js} + "; Path=/; Max-Age={COOKIE_MAX_AGE_SECONDS}; '
        'SameSite=Lax" + (window.location.protocol === "https:" ? "; Secure" : "");'
    )


def address_script(key: str, draft_id: str) -> str:
    """The page's script: keep the key in the browser and the draft id in the address.

    The browser's own key wins: when it holds another one, the page is loaded again
    (once) without the draft id, so its kernel starts with the browser's key."""
    return (
        "(function () {"
        f" var key = {json.dumps(key)};"
        f" var found = document.cookie.match(/(?:^|;\\s*){COOKIE}=([^;]*)/);"
        ' var held = found ? found[1] : "";'
        " var url = new URL(window.location.href);"
        " var retried = false;"
        f" try {{ retried = sessionStorage.getItem({json.dumps(RETRY_FLAG)}) === '1'; }} catch (e) {{}}"
        " if (held && held !== key && !retried) {"
        f"  try {{ sessionStorage.setItem({json.dumps(RETRY_FLAG)}, '1'); }} catch (e) {{}}"
        '  url.searchParams.delete("draft"); window.location.replace(url.toString()); return;'
        " }"
        f" if (!held || held === key) {{ {_set_cookie('key')} }}"
        f" try {{ sessionStorage.removeItem({json.dumps(RETRY_FLAG)}); }} catch (e) {{}}"
        f' url.searchParams.set("draft", {json.dumps(draft_id)});'
        ' window.history.replaceState(null, "", url.toString());'
        " })();"
    )


def forget_script(new: str) -> str:
    """The "Nieuwe invuller" button: give the browser a new key, drop the draft id from
    the address and load a fresh form (replacing the history entry, so Back does not
    return to the result)."""
    return (
        "(function () {"
        f" {_set_cookie(json.dumps(new))}"
        " var url = new URL(window.location.href);"
        ' url.searchParams.delete("draft");'
        " window.location.replace(url.toString());"
        " })();"
    )

"""Where the client's bearer token comes from: --token / UCS_TOKEN, or a file an external refresher rewrites.

A token file is read again whenever UCS answers 401, so a day-long upload survives the rotation of a
token that lives minutes; if the file still holds the refused token, the client waits a little for the
refresher to write the next one. The token never appears in output, logs or error messages.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from upload_client.exceptions import BadInput


class Credentials:
    """The current token; `refresh()` says whether a newer one is available after a 401.

    Nothing is read or checked until the first call needs the token, so that a bad option is reported
    like every other error of a command: one line and exit code 1.
    """

    def __init__(
        self,
        token: str | None = None,
        token_file: str | None = None,
        grace: float = 15,
        note: Callable[[str], None] = lambda text: None,
    ):
        self._given = (token, token_file)
        self._grace = grace
        self._note = note
        self._file = Path(token_file) if token_file else None
        self._lock = threading.Lock()
        self._token: str | None = None
        self._loaded = False
        self._given_up_on: str | None = None

    @property
    def source(self) -> str:
        return f"the token in {self._file}" if self._file else "the token"

    def header(self) -> dict[str, str]:
        with self._lock:
            self._load()
            return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    def refresh(self, refused: dict[str, str]) -> bool:
        """After a 401 to the request that sent header `refused`: re-read the file; True if the token changed."""
        if self._file is None:
            return False
        with self._lock:
            if refused.get("Authorization") != f"Bearer {self._token}":
                return True  # another thread already read the new token
            fresh = self._next_token()
            # One wait per refused token: workers refused together must not wait one after the other.
            waits = fresh is None and self._grace > 0 and self._given_up_on != self._token
            if waits:
                self._note(
                    f"UCS refused the token in {self._file}; waiting up to {self._grace:g} s for a new one"
                )
            deadline = time.monotonic() + (self._grace if waits else 0)
            while fresh is None and time.monotonic() < deadline:
                time.sleep(0.5)
                fresh = self._next_token()
            if fresh is None:
                self._given_up_on = self._token
                return False
            self._token = fresh
            return True

    @property
    def missing(self) -> bool:
        return self._token is None

    def _load(self) -> None:
        if self._loaded:
            return
        token, token_file = self._given
        if token is not None and token_file is not None:
            raise BadInput("give either --token (or UCS_TOKEN) or --token-file, not both")
        self._token = self._read() if self._file else (token.strip() if token is not None else None)
        if self._token is not None:
            problem = _unusable(self._token)
            if problem:
                raise BadInput(
                    f"the token in {self._file} {problem}" if self._file else f"the token {problem}"
                )
        self._loaded = True

    def _next_token(self) -> str | None:
        """A usable token in the file other than the refused one; None while the refresher is not done.

        A file caught empty, half written or briefly missing mid-rotation counts as not written yet.
        """
        try:
            fresh = self._read()
        except BadInput:
            return None
        return None if fresh == self._token or _unusable(fresh) else fresh

    def _read(self) -> str:
        try:
            return self._file.read_text().strip()
        except OSError as error:
            raise BadInput(f"cannot read the token file {self._file}: {error.strerror}") from None


def _unusable(token: str) -> str | None:
    """Why token cannot go into an Authorization header, or None. The reason never quotes the token."""
    if not token:
        return "is empty"
    if token[:7].lower() == "bearer ":
        return "starts with 'Bearer ': give the token alone (drop 'Bearer '), the client adds the word itself"
    if not all(" " < character < "\x7f" for character in token):
        return "is not one line of printable ASCII characters (a second line, a space or a control character)"
    return None

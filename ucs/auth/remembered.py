"""Verified tokens remembered for a short while, within a number of entries and a number of bytes.

A client sends one token with thousands of requests (a part URL each); verifying its signature each time
would cost more than the request. A token may carry hundreds of scopes, so the memory of an entry is
estimated from the token's length and its scopes, and the oldest entries go when either cap is reached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

from ucs.auth.scopes import Principal

# The estimate of what one entry holds on CPython, above the real cost (tests/unit/test_auth_tokens.py
# measures it): the token string, each scope string with its slot in the frozenset, and the entry itself.
ENTRY_BYTES = 1024
SCOPE_BYTES = 128

Entry = TypeVar("Entry")


def entry_size(token: str, principal: Principal) -> int:
    """The bytes a remembered verification of token is estimated to hold."""
    scopes = sum(SCOPE_BYTES + len(scope) for scope in principal.scopes)
    return ENTRY_BYTES + len(token) + len(principal.subject) + scopes


class RememberedTokens(Generic[Entry]):
    """Entries by token, the least recently used dropped first once max_entries or max_bytes is passed."""

    def __init__(self, max_entries: int, max_bytes: int):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[str, tuple[Entry, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str) -> Entry | None:
        with self._lock:
            remembered = self._entries.get(token)
            if remembered is None:
                return None
            self._entries.move_to_end(token)
            return remembered[0]

    def put(self, token: str, entry: Entry, size: int) -> None:
        if size > self.max_bytes:
            return  # would push out everything else, for one token
        with self._lock:
            previous = self._entries.pop(token, None)
            if previous is not None:
                self.bytes -= previous[1]
            self._entries[token] = (entry, size)
            self.bytes += size
            while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
                self.bytes -= self._entries.popitem(last=False)[1][1]

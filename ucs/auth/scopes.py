"""Who may do what to which file: the scopes of docs/security.md, as pure rules.

No Flask and no JOSE here: a verified token becomes a Principal, and each API operation asks it for one
Action on one file. Least privilege: a per-file scope reaches that file only, and each scope allows the
actions its holder needs and no others (an upload token cannot download, a download token cannot upload).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

REGISTER_SCOPE = "files:register"
READ_SCOPE = "files:read"
MANAGE_UPLOADS_SCOPE = "uploads:manage"
UPLOAD_PREFIX = "upload:"
DOWNLOAD_PREFIX = "download:"
ANY_FILE = "*"
# RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces (0x20).
# Splitting on other whitespace (U+2028, U+00A0, \x1c...) would let "upload:A\u2028download:*" grant two.
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


class Action(enum.Enum):
    """What an API operation does to a file; the value is how a refusal names it."""

    REGISTER = "register file {file_id}"
    READ_FILE = "read file {file_id}"
    READ_UPLOADS = "read the uploads of file {file_id}"
    UPLOAD = "upload file {file_id}"
    CANCEL = "cancel an upload of file {file_id}"
    DOWNLOAD = "download file {file_id}"


# For each action, the scopes that allow it; "upload:" and "download:" stand for the file's own scope.
GRANTS: dict[Action, tuple[str, ...]] = {
    Action.REGISTER: (REGISTER_SCOPE,),
    Action.READ_FILE: (UPLOAD_PREFIX, DOWNLOAD_PREFIX, READ_SCOPE),
    Action.READ_UPLOADS: (UPLOAD_PREFIX, READ_SCOPE),
    Action.UPLOAD: (UPLOAD_PREFIX,),
    Action.CANCEL: (UPLOAD_PREFIX, MANAGE_UPLOADS_SCOPE),
    Action.DOWNLOAD: (DOWNLOAD_PREFIX,),
}


def granting_scopes(action: Action, file_id: str) -> list[str]:
    """Every scope that allows action on file_id, most specific first."""
    scopes = []
    for grant in GRANTS[action]:
        if grant.endswith(":"):
            scopes += [grant + file_id, grant + ANY_FILE]
        else:
            scopes.append(grant)
    return scopes


def parse_scope(claim: object) -> frozenset[str]:
    """The scope claim as a set: OAuth's space-separated string, or a list of strings as some issuers send."""
    if claim is None:
        return frozenset()
    if isinstance(claim, str):
        return frozenset(split_scope(claim))
    if isinstance(claim, list) and all(isinstance(item, str) for item in claim):
        return frozenset(token for entry in claim for token in split_scope(entry))
    raise ValueError("the scope claim must be a space-separated string")


def split_scope(text: str) -> list[str]:
    """The scopes of one space-separated string; ValueError when one holds a character RFC 6749 refuses."""
    tokens = [token for token in text.split(" ") if token]
    if not all(SCOPE_TOKEN.fullmatch(token) for token in tokens):
        raise ValueError(
            "the scope claim holds a character RFC 6749 does not allow in a scope "
            "(scopes are printable ASCII without '\"' or '\\', separated by spaces)"
        )
    return tokens


@dataclass(frozen=True)
class Principal:
    """The verified bearer of a token: who (subject, issuer) and what it may do (scopes)."""

    subject: str
    scopes: frozenset[str]
    issuer: str | None = None
    # Only when access control is switched off (UCS_AUTH_DISABLED): every action is allowed.
    unrestricted: bool = False

    def allows(self, action: Action, file_id: str) -> bool:
        return self.unrestricted or not self.scopes.isdisjoint(granting_scopes(action, file_id))

    def refusal(self, action: Action, file_id: str) -> str | None:
        """Why this principal may not do action to file_id, naming the scope it lacks; None if it may."""
        if self.allows(action, file_id):
            return None
        needed = granting_scopes(action, file_id)
        alternatives = f" (or {', '.join(needed[1:])})" if len(needed) > 1 else ""
        what = action.value.format(file_id=file_id)
        return f"the token has no permission to {what}: it needs the scope {needed[0]}{alternatives}"


UNRESTRICTED = Principal(subject="anonymous", scopes=frozenset(), unrestricted=True)

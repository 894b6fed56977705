"""DRS's bulk operations, object by object: what resolved, what did not (by error code), and a summary.

The token is checked once for the request (401 for all of it); each object is then checked on its own:
400 for an invalid id, 403 when the token may not read it (decided before anything is looked up), 404
when there is no such object.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from flask_smorest import abort

from ucs.api.drs.objects import NotAnObject
from ucs.auth.scopes import Action, Principal
from ucs.uploads import is_valid_file_id


def check_length(count: int, limit: int, what: str) -> None:
    if count > limit:
        abort(
            413, message=f"the request names {count} {what}; at most {limit} are taken (maxBulkRequestLength)"
        )


class Bulk:
    def __init__(self, principal: Principal | None = None):
        self.principal = principal
        self.requested = 0
        self.resolved: list[dict] = []
        self.unresolved: dict[int, list[str]] = {}

    def add(self, object_id: str, answer: Callable[[], dict]) -> None:
        """Resolve object_id with answer(), or record the error code that stops it."""
        self.requested += 1
        if not is_valid_file_id(object_id):
            self._fail(400, object_id)
        elif self.principal is not None and not self.principal.allows(Action.DOWNLOAD, object_id):
            self._fail(403, object_id)
        else:
            try:
                self.resolved.append(answer())
            except NotAnObject:
                self._fail(404, object_id)

    def body(self, resolved_key: str) -> dict:
        return {
            "summary": {
                "requested": self.requested,
                "resolved": len(self.resolved),
                "unresolved": self.requested - len(self.resolved),
            },
            "unresolved_drs_objects": [
                {"error_code": code, "object_ids": ids} for code, ids in sorted(self.unresolved.items())
            ],
            resolved_key: self.resolved,
        }

    def _fail(self, code: int, object_id: str) -> None:
        ids = self.unresolved.setdefault(code, [])
        if object_id not in ids:
            ids.append(object_id)


def resolve_each(
    items: Iterable[tuple], principal: Principal | None, answer: Callable, resolved_key: str
) -> dict:
    """The bulk answer for items (object_id, *more): answer(object_id, *more) for each one that resolves."""
    bulk = Bulk(principal)
    for object_id, *more in items:
        bulk.add(object_id, functools.partial(answer, object_id, *more))
    return bulk.body(resolved_key)


def distinct(items: Iterable) -> list:
    """items without repeats, in their first order: asking twice for one object answers it once."""
    return list(dict.fromkeys(items))

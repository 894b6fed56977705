"""Access control, operation by operation: every kind of bad token is refused and changes nothing.

For each API operation and each case (no token, every way a token can be forged or stale, a valid token
for another file or for another action, and the right token), the exact status; for every refusal, every
database row, the outbox and the store's files are the same before and after, and the object store was
not called at all. Tokens are real JWTs; UCS fetches the issuer's JWKS over HTTP.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import pytest

from tests.support.forged_tokens import forged
from tests.support.rest import Rest, snapshot, undocumented_statuses, upload_path
from tests.support.tokens import TestIssuer, default_issuer

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

CHUNKS = [b"a" * 1000, b"b" * 1000, b"c" * 500]
DATA = b"".join(CHUNKS)
SHA256 = hashlib.sha256(DATA).hexdigest()
PARTS = "{parts}"  # replaced by the stored parts of mine's pending upload


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    path: str
    right: str  # the scope that allows it
    wrong_action: str  # scopes on the same file that do not
    other_file: str  # the right kind of scope, for another file
    success: int
    body: dict | None = None


# mine: a pending upload {upload} holding every part; done: a completed upload; fresh: registered only.
OPERATIONS = [
    Operation("register", "PUT", "/files/new", "files:register", "upload:new download:new files:read",
              "upload:other", 201, {"size": 5}),
    Operation("read file", "GET", "/files/mine", "download:mine", "files:register uploads:manage",
              "download:other", 200),
    Operation("start upload", "POST", "/files/fresh/multipart_uploads", "upload:fresh",
              "download:fresh files:read uploads:manage", "upload:other", 201),
    Operation("list uploads", "GET", "/files/mine/multipart_uploads", "upload:mine",
              "download:mine uploads:manage", "upload:other", 200),
    Operation("read upload", "GET", "/multipart_uploads/{upload}", "upload:mine",
              "download:mine uploads:manage", "upload:other", 200),
    Operation("stored parts", "GET", "/multipart_uploads/{upload}/parts", "upload:mine",
              "download:mine uploads:manage", "upload:other", 200),
    Operation("part URL", "POST", "/multipart_uploads/{upload}/part/1/presigned_post", "upload:mine",
              "download:mine files:read uploads:manage", "upload:other", 200),
    Operation("part URLs", "POST", "/multipart_uploads/{upload}/parts/presigned_posts", "upload:mine",
              "download:mine files:read uploads:manage", "upload:other", 200, {"part_nos": [1, 2]}),
    Operation("complete", "PATCH", "/multipart_uploads/{upload}", "upload:mine",
              "download:mine files:read uploads:manage", "upload:other", 204,
              {"status": "uploaded", "parts": PARTS}),
    Operation("cancel", "PATCH", "/multipart_uploads/{upload}", "upload:mine", "download:mine files:read",
              "upload:other", 204, {"status": "cancelled"}),
    Operation("download URL", "GET", "/files/done/download", "download:done", "upload:done files:read",
              "download:other", 200),
]  # fmt: skip

UNTRUSTED = TestIssuer("https://untrusted.example/")
REFUSED_TOKENS = forged(default_issuer(), UNTRUSTED)
CASES = [*REFUSED_TOKENS, "another file", "wrong action", "right token"]


class RecordingStore:
    """The app's storage backend, with every call recorded: a refused request must make none."""

    def __init__(self, backend):
        self.backend = backend
        self.calls: list[str] = []

    def __getattr__(self, name):
        value = getattr(self.backend, name)
        if callable(value):

            def recorded(*args, **kwargs):
                self.calls.append(name)
                return value(*args, **kwargs)

            return recorded
        return value


@pytest.fixture
def world(app, live_url):
    """The files of OPERATIONS, set up with a staff token; the store is recorded from then on."""
    staff = Rest(live_url)
    for file_id in ("mine", "done", "fresh", "other"):
        staff.expect(201, "PUT", f"/files/{file_id}", json={"size": len(DATA), "sha256": SHA256})
    staff.upload("done", CHUNKS)
    upload_id = staff.start("mine")["upload_id"]
    parts = staff.put_parts(upload_id, CHUNKS)
    staff.start("other")
    store = RecordingStore(app.extensions["ucs.storage"])
    app.extensions["ucs.storage"] = store
    return {"upload": upload_id, "parts": parts, "store": store}


def token_for(case: str, operation: Operation) -> str | None:
    if case in REFUSED_TOKENS:
        return REFUSED_TOKENS[case](operation.right)
    scope = {"another file": operation.other_file, "wrong action": operation.wrong_action}.get(case)
    return default_issuer().token(scope or operation.right, subject="submitter")


def expected_status(case: str, operation: Operation) -> int:
    if case in REFUSED_TOKENS:
        return 401
    return 403 if case in ("another file", "wrong action") else operation.success


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.name for op in OPERATIONS])
def test_each_operation_answers_each_token_exactly(app, live_url, world, operation, case):
    caller = Rest(live_url)
    caller.session.headers.pop("Authorization")
    token = token_for(case, operation)
    if token is not None:
        caller.session.headers["Authorization"] = f"Bearer {token}"
    body = operation.body
    if body is not None and body.get("parts") == PARTS:
        body = {**body, "parts": world["parts"]}
    path = operation.path.replace("{upload}", upload_path(world["upload"])[len("/multipart_uploads/") :])
    before = snapshot(app)

    response = caller.call(operation.method, path, **({"json": body} if body is not None else {}))

    status = expected_status(case, operation)
    assert response.status_code == status, response.text
    assert not undocumented_statuses(app, caller.seen)
    if status == operation.success:
        return
    assert snapshot(app) == before
    assert world["store"].calls == []
    message = response.json()["message"]
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="ucs"')
    if token is not None:
        assert token not in message and token not in challenge
    if status == 403:
        assert 'error="insufficient_scope"' in challenge
        # The answer names a scope that would do; the right token's scope is among the ones it lists.
        needed = re.search(r'scope="([^"]+)"', challenge).group(1)
        assert needed in message and operation.right in message
        assert "no permission to" in message
    elif case != "no token":
        assert 'error="invalid_token"' in challenge

"""The scope rules of docs/security.md ("Scopes"), checked against the module's own table of grants."""

import pytest

from ucs.auth.scopes import GRANTS, Action, Principal, granting_scopes, parse_scope


def principal(*scopes: str) -> Principal:
    return Principal(subject="s", scopes=frozenset(scopes))


# (scope held, action, file, allowed?) for the cases the contract spells out.
CASES = [
    ("files:register", Action.REGISTER, "F", True),
    ("files:register", Action.READ_FILE, "F", False),
    ("files:read", Action.READ_FILE, "F", True),
    ("files:read", Action.READ_UPLOADS, "F", True),
    ("files:read", Action.UPLOAD, "F", False),
    ("files:read", Action.DOWNLOAD, "F", False),
    ("uploads:manage", Action.CANCEL, "F", True),
    ("uploads:manage", Action.UPLOAD, "F", False),
    ("uploads:manage", Action.READ_FILE, "F", False),
    ("upload:F", Action.READ_FILE, "F", True),
    ("upload:F", Action.READ_UPLOADS, "F", True),
    ("upload:F", Action.UPLOAD, "F", True),
    ("upload:F", Action.CANCEL, "F", True),
    ("upload:F", Action.DOWNLOAD, "F", False),
    ("upload:F", Action.REGISTER, "F", False),
    ("upload:F", Action.UPLOAD, "G", False),
    ("upload:F", Action.READ_FILE, "G", False),
    ("upload:*", Action.UPLOAD, "G", True),
    ("download:F", Action.READ_FILE, "F", True),
    ("download:F", Action.DOWNLOAD, "F", True),
    ("download:F", Action.UPLOAD, "F", False),
    ("download:F", Action.READ_UPLOADS, "F", False),
    ("download:F", Action.DOWNLOAD, "G", False),
    ("download:*", Action.DOWNLOAD, "G", True),
    # A scope is a whole word: no prefix matching, no patterns beyond the one wildcard.
    ("upload:F", Action.UPLOAD, "F2", False),
    ("upload:F*", Action.UPLOAD, "F2", False),
    ("upload:", Action.UPLOAD, "F", False),
]


@pytest.mark.parametrize(("scope", "action", "file_id", "allowed"), CASES)
def test_each_scope_allows_exactly_what_the_contract_says(scope, action, file_id, allowed):
    assert principal(scope).allows(action, file_id) is allowed


def test_every_action_has_grants_and_none_is_allowed_without_a_scope():
    assert set(GRANTS) == set(Action)
    for action in Action:
        assert not principal().allows(action, "F")


def test_a_refusal_names_the_action_the_file_and_every_scope_that_would_do():
    refusal = principal("download:F").refusal(Action.UPLOAD, "F")
    assert (
        refusal == "the token has no permission to upload file F: it needs the scope upload:F (or upload:*)"
    )
    assert principal("upload:F").refusal(Action.UPLOAD, "F") is None
    assert granting_scopes(Action.CANCEL, "F") == ["upload:F", "upload:*", "uploads:manage"]


@pytest.mark.parametrize(
    ("claim", "scopes"),
    [
        (None, set()),
        ("", set()),
        ("upload:F  download:G", {"upload:F", "download:G"}),
        (["upload:F", "files:read"], {"upload:F", "files:read"}),
    ],
)
def test_the_scope_claim_is_read_as_oauth_writes_it(claim, scopes):
    assert parse_scope(claim) == scopes


@pytest.mark.parametrize("claim", [42, {"upload": "F"}, ["upload:F", 1]])
def test_a_scope_claim_of_another_type_is_refused(claim):
    with pytest.raises(ValueError, match="space-separated string"):
        parse_scope(claim)


# Characters str.split() takes for whitespace but RFC 6749 does not: each once joined two scopes into two grants.
NOT_SPACES = [
    "\u2028",
    "\u00a0",
    "\u1680",
    "\u3000",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x1f",
    "\x85",
    "\x0b",
    "\t",
    "\n",
]


@pytest.mark.parametrize("separator", NOT_SPACES, ids=[f"U+{ord(c):04X}" for c in NOT_SPACES])
def test_scopes_are_separated_by_spaces_only_and_other_whitespace_is_refused(separator):
    with pytest.raises(ValueError, match="RFC 6749"):
        parse_scope(f"upload:A{separator}download:*")
    with pytest.raises(ValueError, match="RFC 6749"):
        parse_scope([f"upload:A{separator}download:*"])


@pytest.mark.parametrize(
    "scope", ['upload:"A"', "upload:A\\B", "upload:\u00e9", "upload:A\x7f", "upload:A\x00"]
)
def test_a_scope_with_a_character_outside_the_rfc_set_is_refused(scope):
    with pytest.raises(ValueError, match="RFC 6749"):
        parse_scope(f"files:read {scope}")


def test_every_printable_ascii_scope_the_rfc_allows_is_kept():
    allowed = "".join(chr(code) for code in range(0x21, 0x7F) if chr(code) not in '"\\')
    assert parse_scope(f" {allowed}  upload:F ") == {allowed, "upload:F"}

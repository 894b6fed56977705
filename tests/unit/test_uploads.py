"""The upload state machine and the completion rules of ucs/uploads.py, without Flask or a store."""

import itertools
import subprocess
import sys

import pytest

from ucs.problems import CompletionRefused, InvalidTransition
from ucs.storage import StoredPart
from ucs.uploads import (
    ACTIVE_STATUSES,
    REQUESTED_STATUS_ALIASES,
    TRANSITIONS,
    ListedPart,
    UploadStatus,
    check_completion,
    is_valid_file_id,
    normalize_etag,
    parts_fingerprint,
    transition,
)

S = UploadStatus
# The state machine of docs/architecture.md, written out independently of the module's table.
ALLOWED = {
    (S.PENDING, S.UPLOADED),
    (S.PENDING, S.CANCELED),
    (S.PENDING, S.FAILED),
    (S.UPLOADED, S.ACCEPTED),
    (S.UPLOADED, S.REJECTED),
}


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_allowed_transitions(current, target):
    assert transition(current, target) is target


@pytest.mark.parametrize(
    ("current", "target"), [pair for pair in itertools.product(S, S) if pair not in ALLOWED]
)
def test_every_other_transition_is_refused(current, target):
    with pytest.raises(InvalidTransition) as refused:
        transition(current, target)
    assert str(refused.value) == f"upload is {current.value}; it cannot become {target.value}"
    assert (refused.value.current, refused.value.target) == (current, target)


def test_the_module_table_is_the_documented_state_machine():
    assert {(current, target) for current, targets in TRANSITIONS.items() for target in targets} == ALLOWED


def test_finished_states_are_final_and_only_active_ones_block_a_new_upload():
    for final in (S.CANCELED, S.FAILED, S.ACCEPTED, S.REJECTED):
        assert not TRANSITIONS.get(final)
        for target in S:
            with pytest.raises(InvalidTransition):
                transition(final, target)
    assert {S.PENDING, S.UPLOADED, S.ACCEPTED} == ACTIVE_STATUSES


def test_both_spellings_of_cancel_are_stored_as_canceled():
    assert REQUESTED_STATUS_ALIASES == {
        "uploaded": S.UPLOADED,
        "cancelled": S.CANCELED,
        "canceled": S.CANCELED,
    }


@pytest.mark.parametrize(
    ("file_id", "valid"),
    [
        ("a", True),
        ("sample_01-R1.fastq.gz", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("x" * 500, False),
        ("", False),
        (".hidden", False),
        ("..", False),
        ("a/b", False),
        ("../etc", False),
        ("a b", False),
        ("a\\b", False),
        ("é", False),
        ("a\n", False),
    ],
)
def test_file_id_rule(file_id, valid):
    assert is_valid_file_id(file_id) is valid


def listed(*pairs):
    return [ListedPart(number, etag) for number, etag in pairs]


STORED = [StoredPart(1, '"aa"', 10), StoredPart(2, '"bb"', 10), StoredPart(3, '"cc"', 5)]


def test_completion_accepts_matching_parts_with_or_without_quotes():
    check_completion(listed((1, "aa"), (2, '"BB"'), (3, ' "cc" ')), STORED, 25)
    check_completion(listed((1, "aa"), (2, "bb"), (3, "cc")), STORED, None)
    check_completion(listed((1, "aa")), STORED, 10)  # parts stored but not listed are left out


@pytest.mark.parametrize(
    ("parts", "size", "reason"),
    [
        ([], None, "no parts were listed"),
        (listed((2, "bb"), (3, "cc")), None, "numbered 1..3 without gaps; missing 1"),
        (listed((1, "aa"), (3, "cc")), None, "missing 2"),
        (listed((1, "aa"), (2, "bb"), (3, "cc"), (4, "dd")), None, "the store holds no part 4"),
        (
            listed((1, "aa"), (2, "xx"), (3, "cc")),
            None,
            "ETag mismatch for part 2: listed 'xx', stored '\"bb\"'",
        ),
        (
            listed((1, "aa"), (2, "bb"), (3, "cc")),
            26,
            "the parts hold 25 bytes but the file is registered with 26",
        ),
        (listed((1, "aa"), (2, "bb")), 25, "the parts hold 20 bytes"),
    ],
    ids=["none", "no first", "gap", "not stored", "wrong etag", "wrong size", "too few"],
)
def test_completion_refusals_name_the_problem(parts, size, reason):
    with pytest.raises(CompletionRefused) as refused:
        check_completion(parts, STORED, size)
    assert reason in str(refused.value)


def test_long_lists_of_missing_parts_are_shortened():
    parts = listed((1, "aa"), (40, "zz"))
    with pytest.raises(CompletionRefused) as refused:
        check_completion(parts, STORED, None)
    assert str(refused.value).endswith("missing 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 28 more")


def test_etags_and_fingerprints_ignore_quotes_and_case():
    assert normalize_etag(' "ABC-2" ') == "abc-2"
    assert parts_fingerprint(listed((1, '"AA"'), (2, "bb"))) == parts_fingerprint(
        listed((1, "aa"), (2, '"bb"'))
    )
    assert parts_fingerprint(listed((1, "aa"))) != parts_fingerprint(listed((1, "aa"), (2, "bb")))


HEAVY_MODULES = ("flask", "sqlalchemy", "boto3", "botocore", "minio", "pika")
IMPORT_AND_LIST_HEAVY = "import sys, {module}; print(sorted(m for m in {heavy!r} if m in sys.modules))"


@pytest.mark.parametrize("module", ["ucs.uploads", "ucs.problems"])
def test_the_domain_imports_no_flask_database_or_sdk(module):
    """Imported through the ucs package, as every caller does, it pulls in none of them."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_AND_LIST_HEAVY.format(module=module, heavy=HEAVY_MODULES)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"

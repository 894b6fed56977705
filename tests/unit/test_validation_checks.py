"""The checks of a read object against what UCS recorded: each failure names expected and actual values."""

from ucs.storage import ObjectInfo
from ucs.validation.checks import Expected, check_object, missing, size_problem

SHA = "a" * 64
OTHER = "b" * 64
EXPECTED = Expected(key="F/u1", size=10, sha256=SHA, sha256_source="registered", etag='"e1"')


def test_an_object_matching_size_sha256_and_etag_passes_with_its_sha256():
    finding = check_object(EXPECTED, 10, SHA, "e1")  # stores differ on quoting ETags: both are the same
    assert (finding.intact, finding.reason, finding.sha256) == (True, None, SHA)


def test_every_failed_check_is_in_the_reason_with_expected_and_actual_values():
    finding = check_object(EXPECTED, 11, OTHER, '"e2"')
    assert not finding.intact and finding.sha256 == OTHER
    assert finding.reason == (
        f"size expected 10 bytes, got 11; sha256 expected {SHA} (registered), got {OTHER}; "
        "etag expected e1, got e2: the object is not the one completed"
    )


def test_nothing_recorded_means_nothing_to_compare_and_the_computed_sha256_is_kept():
    unknown = Expected(key="F/u1", size=None, sha256=None, sha256_source="claimed by the client", etag=None)
    assert check_object(unknown, 123, OTHER, "x") == check_object(unknown, 0, OTHER, "y")
    assert check_object(unknown, 123, OTHER, "x").intact


def test_a_wrong_size_is_known_from_the_head_alone():
    assert size_problem(EXPECTED, ObjectInfo(size=9, etag="e1")) == "size expected 10 bytes, got 9"
    assert size_problem(EXPECTED, ObjectInfo(size=10, etag="other")) is None


def test_a_missing_object_names_its_key():
    assert missing(EXPECTED).reason == "object missing: the store holds nothing under F/u1"


def test_an_etag_differing_only_in_case_and_spaces_is_the_same_etag():
    finding = check_object(EXPECTED, 10, SHA, ' "E1" ')  # quoted, upper-case, padded: as the store gave it
    assert (finding.intact, finding.reason) == (True, None)

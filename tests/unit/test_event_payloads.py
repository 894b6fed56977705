"""The payloads UCS publishes carry the fields docs/events.md lists, in that order, under their own type."""

from ucs import events

RECEIVED = events.UploadReceived(
    file_id="f1",
    upload_id="u1",
    backend="s3",
    bucket="archive",
    key="f1/abc",
    size=10,
    sha256=None,
    etag='"e"',
    actor="alice",
)


def test_upload_received_lists_the_object_and_who_completed_it():
    assert RECEIVED.type == "file.upload_received"
    assert list(RECEIVED.to_payload().items()) == [
        ("file_id", "f1"),
        ("upload_id", "u1"),
        ("backend", "s3"),
        ("bucket", "archive"),
        ("key", "f1/abc"),
        ("size", 10),
        ("sha256", None),
        ("etag", '"e"'),
        ("actor", "alice"),
    ]


def test_the_two_ends_without_an_object_carry_the_reason_and_the_actor():
    for payload_class, event_type in [
        (events.UploadCanceled, "file.upload_canceled"),
        (events.UploadFailed, "file.upload_failed"),
    ]:
        ended = payload_class(file_id="f1", upload_id="u1", reason="why", actor="bob")
        assert ended.type == event_type
        assert list(ended.to_payload().items()) == [
            ("file_id", "f1"),
            ("upload_id", "u1"),
            ("reason", "why"),
            ("actor", "bob"),
        ]


def test_published_types_are_not_consumed_ones():
    published = {events.UPLOAD_RECEIVED, events.UPLOAD_CANCELED, events.UPLOAD_FAILED}
    assert published.isdisjoint(events.CONSUMED_TYPES)
    assert set(events.CONSUMED_SCHEMAS) == set(events.CONSUMED_TYPES)

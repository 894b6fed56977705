"""A completion's parts list: plain items read without the nested schema, everything else exactly as the
schema reads it (same parts, same errors)."""

from __future__ import annotations

import marshmallow as ma
import pytest

from ucs.api.multipart_uploads import ListedPartSchema, UploadPatchSchema
from ucs.uploads import ListedPart


class SchemaOnly(UploadPatchSchema):
    """The same body read item by item through ListedPartSchema, as before the plain path."""

    parts = ma.fields.List(ma.fields.Nested(ListedPartSchema))


def loaded(schema: ma.Schema, parts) -> tuple[str, object]:
    try:
        return "parts", schema.load({"status": "uploaded", "parts": parts})["parts"]
    except ma.ValidationError as error:
        return "errors", error.messages


ITEMS = {
    "plain": {"part_no": 1, "etag": '"abc"'},
    "last part": {"part_no": 10_000, "etag": "e" * 128},
    "true as part_no": {"part_no": True, "etag": "x"},
    "string part_no": {"part_no": "2", "etag": "x"},
    "float part_no": {"part_no": 2.0, "etag": "x"},
    "part_no 0": {"part_no": 0, "etag": "x"},
    "part_no 10001": {"part_no": 10_001, "etag": "x"},
    "empty etag": {"part_no": 2, "etag": ""},
    "etag of 129": {"part_no": 2, "etag": "e" * 129},
    "number etag": {"part_no": 2, "etag": 7},
    "null etag": {"part_no": 2, "etag": None},
    "no etag": {"part_no": 2},
    "another key": {"part_no": 2, "etag": "x", "size": 1},
    "another key, no etag": {"part_no": 2, "size": 1},
    "not an object": [2, "x"],
}


@pytest.mark.parametrize("name", ITEMS)
def test_a_parts_list_reads_as_the_schema_reads_it(name):
    parts = [{"part_no": 1, "etag": "first"}, ITEMS[name]] if name != "plain" else [ITEMS[name]]
    assert loaded(UploadPatchSchema(), parts) == loaded(SchemaOnly(), parts)


def test_plain_items_skip_the_nested_schema(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the nested schema was used for plain items")

    monkeypatch.setattr(ListedPartSchema, "load", refuse)
    parts = [{"part_no": number, "etag": f'"{number:032x}"'} for number in range(1, 10_001)]
    kind, result = loaded(UploadPatchSchema(), parts)
    assert kind == "parts"
    assert result == [ListedPart(number, f'"{number:032x}"') for number in range(1, 10_001)]

"""The DRS JSON Schemas of tests/support/drs_schemas.py refuse what the specification refuses.

They validate every DRS answer in the tests, so they must be valid schemas and must not pass anything.
"""

import jsonschema
import pytest

from tests.support import drs_schemas as schemas

GOOD_OBJECT = {
    "id": "F1",
    "self_uri": "drs://drs.example.org/F1",
    "size": 5,
    "created_time": "2026-12-01T10:00:00+00:00",
    "checksums": [{"type": "sha-256", "checksum": "ab" * 32}],
    "access_methods": [{"type": "https", "access_id": "https"}],
}


@pytest.mark.parametrize(
    "name", [n for n in dir(schemas) if n.isupper() and isinstance(getattr(schemas, n), dict)]
)
def test_each_schema_is_a_valid_json_schema(name):
    jsonschema.Draft202012Validator.check_schema(getattr(schemas, name))


def test_a_good_object_passes():
    schemas.validate(GOOD_OBJECT, schemas.DRS_OBJECT)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"checksums": []}, "checksums"),
        ({"checksums": None}, "checksums"),
        ({"access_methods": [{"type": "https"}]}, "access_methods"),
        ({"access_methods": [{"type": "http", "access_id": "x"}]}, "access_methods"),
        ({"access_methods": None}, "access_methods"),
        ({"created_time": "2026-12-01 10:00"}, "created_time"),
        ({"created_time": "2026-12-01T10:00:00"}, "created_time"),
        ({"self_uri": "https://drs.example.org/F1"}, "self_uri"),
        ({"size": "5"}, "size"),
        ({"name": "a b"}, "name"),
    ],
)
def test_a_broken_object_fails_naming_the_field(change, field):
    broken = {key: value for key, value in {**GOOD_OBJECT, **change}.items() if value is not None}
    with pytest.raises(jsonschema.ValidationError) as refused:
        schemas.validate(broken, schemas.DRS_OBJECT)
    assert field in refused.value.json_path or field in refused.value.message


@pytest.mark.parametrize(
    ("instance", "schema"),
    [
        ({"msg": "x", "status_code": "404"}, schemas.ERROR),
        ({"headers": []}, schemas.ACCESS_URL),
        ({"url": "u", "headers": {"A": "b"}}, schemas.ACCESS_URL),
        ({"supported_types": ["Bearer"]}, schemas.AUTHORIZATIONS),
        ({"resolved_drs_object": [{"id": "F1"}]}, schemas.BULK_OBJECTS),
    ],
)
def test_other_answers_that_break_the_specification_fail(instance, schema):
    with pytest.raises(jsonschema.ValidationError):
        schemas.validate(instance, schema)


def test_service_info_needs_the_ga4gh_fields_and_a_drs_type():
    info = {
        "id": "ucs.drs",
        "name": "n",
        "type": {"group": "org.ga4gh", "artifact": "drs", "version": "1.4.0"},
        "organization": {"name": "o", "url": "https://example.org"},
        "version": "1",
        "maxBulkRequestLength": 1,
    }
    schemas.validate(info, schemas.SERVICE_INFO)
    for broken in (
        {**info, "type": {**info["type"], "artifact": "wes"}},
        {**info, "organization": {"name": "o", "url": "example.org"}},
        {key: value for key, value in info.items() if key != "maxBulkRequestLength"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            schemas.validate(broken, schemas.SERVICE_INFO)

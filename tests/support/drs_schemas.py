"""JSON Schemas of GA4GH DRS answers, written from the DRS 1.4.0 specification's OpenAPI components.

The DRS OpenAPI YAML is not available offline, so these are transcribed by hand from its component
schemas (DrsObject, Checksum, AccessMethod, AccessURL, Authorizations, Error, the bulk answers, and
service-info: the GA4GH service-info 1.0.0 Service schema extended by DrsService). They follow the
specification, not UCS: what the specification leaves optional stays optional here, and OpenAPI's
default of allowing other properties is kept. Tests assert UCS's particular values on top.
"""

from __future__ import annotations

from datetime import datetime

import jsonschema

ACCESS_METHOD_TYPES = ["s3", "gs", "ftp", "gsiftp", "globus", "htsget", "https", "file"]

ERROR = {
    "type": "object",
    "properties": {"msg": {"type": "string"}, "status_code": {"type": "integer"}},
}

CHECKSUM = {
    "type": "object",
    "required": ["checksum", "type"],
    "properties": {"checksum": {"type": "string"}, "type": {"type": "string"}},
}

AUTHORIZATIONS = {
    "type": "object",
    "properties": {
        "drs_object_id": {"type": "string"},
        "supported_types": {
            "type": "array",
            "items": {"enum": ["None", "BasicAuth", "BearerAuth", "PassportAuth"]},
        },
        "passport_auth_issuers": {"type": "array", "items": {"type": "string"}},
        "bearer_auth_issuers": {"type": "array", "items": {"type": "string"}},
    },
}

ACCESS_URL = {
    "type": "object",
    "required": ["url"],
    "properties": {"url": {"type": "string"}, "headers": {"type": "array", "items": {"type": "string"}}},
}

ACCESS_METHOD = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {"enum": ACCESS_METHOD_TYPES},
        "access_url": ACCESS_URL,
        "access_id": {"type": "string"},
        "region": {"type": "string"},
        "authorizations": AUTHORIZATIONS,
    },
    # "at least one of access_url and access_id must be provided"
    "anyOf": [{"required": ["access_url"]}, {"required": ["access_id"]}],
}

DRS_OBJECT = {
    "type": "object",
    "required": ["id", "self_uri", "size", "created_time", "checksums"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string", "pattern": "^[A-Za-z0-9._-]+$"},
        "self_uri": {"type": "string", "pattern": "^drs://[^/]+/[^/]+$"},
        "size": {"type": "integer", "minimum": 0},
        "created_time": {"type": "string", "format": "date-time"},
        "updated_time": {"type": "string", "format": "date-time"},
        "version": {"type": "string"},
        "mime_type": {"type": "string"},
        "checksums": {"type": "array", "minItems": 1, "items": CHECKSUM},
        "access_methods": {"type": "array", "minItems": 1, "items": ACCESS_METHOD},
        "description": {"type": "string"},
        "aliases": {"type": "array", "items": {"type": "string"}},
    },
    # "access_methods: required for single blobs"; contents marks a bundle, which UCS never serves.
    "if": {"not": {"required": ["contents"]}},
    "then": {"required": ["access_methods"]},
}

SERVICE_INFO = {
    "type": "object",
    "required": ["id", "name", "type", "organization", "version", "maxBulkRequestLength"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "type": {
            "type": "object",
            "required": ["group", "artifact", "version"],
            "properties": {
                "group": {"type": "string"},
                "artifact": {"enum": ["drs"]},
                "version": {"type": "string"},
            },
        },
        "description": {"type": "string"},
        "organization": {
            "type": "object",
            "required": ["name", "url"],
            "properties": {"name": {"type": "string"}, "url": {"type": "string", "format": "uri"}},
        },
        "contactUrl": {"type": "string", "format": "uri"},
        "documentationUrl": {"type": "string", "format": "uri"},
        "createdAt": {"type": "string", "format": "date-time"},
        "updatedAt": {"type": "string", "format": "date-time"},
        "environment": {"type": "string"},
        "version": {"type": "string"},
        "maxBulkRequestLength": {"type": "integer", "minimum": 1},
        "drs": {
            "type": "object",
            "required": ["maxBulkRequestLength"],
            "properties": {
                "maxBulkRequestLength": {"type": "integer", "minimum": 1},
                "objectCount": {"type": "integer"},
                "totalObjectSize": {"type": "integer"},
            },
        },
    },
}

_SUMMARY = {
    "type": "object",
    "properties": {name: {"type": "integer"} for name in ("requested", "resolved", "unresolved")},
}
_UNRESOLVED = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "error_code": {"type": "integer"},
            "object_ids": {"type": "array", "items": {"type": "string"}},
        },
    },
}


def _bulk(key: str, item: dict) -> dict:
    return {
        "type": "object",
        "properties": {
            "summary": _SUMMARY,
            "unresolved_drs_objects": _UNRESOLVED,
            key: {"type": "array", "items": item},
        },
    }


BULK_OBJECTS = _bulk("resolved_drs_object", DRS_OBJECT)
BULK_AUTHORIZATIONS = _bulk("resolved_drs_object", AUTHORIZATIONS)
BULK_ACCESS_URLS = _bulk(
    "resolved_drs_object_access_urls",
    {
        **ACCESS_URL,
        "properties": {
            **ACCESS_URL["properties"],
            "drs_object_id": {"type": "string"},
            "drs_access_id": {"type": "string"},
        },
    },
)

FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _rfc3339(text: object) -> bool:
    """RFC 3339 date-time: a date, a T, a time and an offset (datetime reads the rest)."""
    if not isinstance(text, str):
        return True
    if "T" not in text.upper() or not (text.endswith(("Z", "z")) or text[-6] in "+-"):
        raise ValueError(f"{text!r} has no time or no offset")
    datetime.fromisoformat(text.replace("z", "Z"))
    return True


@FORMATS.checks("uri", raises=ValueError)
def _uri(text: object) -> bool:
    if isinstance(text, str) and "://" not in text:
        raise ValueError(f"{text!r} is not an absolute URI")
    return True


def validate(instance: object, schema: dict) -> None:
    """Raise jsonschema's ValidationError, naming the field, unless instance matches schema."""
    jsonschema.Draft202012Validator(schema, format_checker=FORMATS).validate(instance)

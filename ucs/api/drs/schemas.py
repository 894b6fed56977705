"""DRS's answers and request bodies, field for field as the DRS 1.4 specification names them.

They shape the answers and read the bodies, and /openapi.json describes the DRS routes with them.
"""

from __future__ import annotations

import marshmallow as ma

Str = ma.fields.String
Int = ma.fields.Integer


def strings(**kwargs) -> ma.fields.List:
    return ma.fields.List(Str(), **kwargs)


class DrsErrorSchema(ma.Schema):
    msg = Str(required=True, metadata={"description": "What is wrong, for a person to act on"})
    status_code = Int(required=True, metadata={"description": "The HTTP status of the answer"})


class ChecksumSchema(ma.Schema):
    checksum = Str(required=True, metadata={"description": "Hex digest"})
    type = Str(
        required=True, metadata={"description": "sha-256 (etag only for a file completed without one)"}
    )


class AuthorizationsSchema(ma.Schema):
    drs_object_id = Str()
    supported_types = strings(metadata={"description": "BearerAuth (None when access control is off)"})
    bearer_auth_issuers = strings(metadata={"description": "The issuers (iss) whose tokens UCS accepts"})


class AccessMethodSchema(ma.Schema):
    type = Str(required=True, metadata={"description": "https"})
    access_id = Str(metadata={"description": "Pass it to /objects/{object_id}/access/{access_id}"})
    authorizations = ma.fields.Nested(AuthorizationsSchema)


class DrsObjectSchema(ma.Schema):
    id = Str(required=True, metadata={"description": "The file id"})
    name = Str()
    self_uri = Str(
        required=True, metadata={"description": "drs://<UCS_DRS_HOSTNAME or the request's host>/<id>"}
    )
    size = Int(required=True)
    created_time = ma.fields.DateTime(
        required=True, metadata={"description": "When the upload of the bytes started"}
    )
    updated_time = ma.fields.DateTime(
        metadata={"description": "The upload's last change (completed, validated)"}
    )
    version = Str(metadata={"description": "The object's ETag in the store"})
    checksums = ma.fields.List(ma.fields.Nested(ChecksumSchema), required=True)
    access_methods = ma.fields.List(ma.fields.Nested(AccessMethodSchema))


class AccessURLSchema(ma.Schema):
    url = Str(
        required=True, metadata={"description": "A presigned URL; GET it, with Range headers if wanted"}
    )
    headers = strings(metadata={"description": "Headers to send with the GET, as 'Name: value'"})


class BulkAccessURLSchema(AccessURLSchema):
    drs_object_id = Str()
    drs_access_id = Str()


class SummarySchema(ma.Schema):
    requested = Int()
    resolved = Int()
    unresolved = Int()


class UnresolvedSchema(ma.Schema):
    error_code = Int(
        metadata={"description": "400 invalid id, 403 not allowed by the token, 404 no such object"}
    )
    object_ids = strings()


class BulkAnswerSchema(ma.Schema):
    summary = ma.fields.Nested(SummarySchema)
    unresolved_drs_objects = ma.fields.List(ma.fields.Nested(UnresolvedSchema))


class BulkObjectsSchema(BulkAnswerSchema):
    resolved_drs_object = ma.fields.List(ma.fields.Nested(DrsObjectSchema))


class BulkAccessURLsSchema(BulkAnswerSchema):
    resolved_drs_object_access_urls = ma.fields.List(ma.fields.Nested(BulkAccessURLSchema))


class BulkAuthorizationsSchema(BulkAnswerSchema):
    resolved_drs_object = ma.fields.List(ma.fields.Nested(AuthorizationsSchema))


class ServiceTypeSchema(ma.Schema):
    group = Str()
    artifact = Str()
    version = Str()


class OrganizationSchema(ma.Schema):
    name = Str()
    url = Str()


class DrsSectionSchema(ma.Schema):
    maxBulkRequestLength = Int()


class ServiceInfoSchema(ma.Schema):
    id = Str()
    name = Str()
    type = ma.fields.Nested(ServiceTypeSchema)
    description = Str()
    organization = ma.fields.Nested(OrganizationSchema)
    version = Str(metadata={"description": "The version of UCS"})
    maxBulkRequestLength = Int(metadata={"description": "DRS 1.3's place for it; DRS 1.4 also has it in drs"})
    drs = ma.fields.Nested(DrsSectionSchema)


class ExpandSchema(ma.Schema):
    """The query of GET /objects/{object_id}; UCS's objects are single blobs, so expand changes nothing."""

    class Meta:
        unknown = ma.EXCLUDE

    expand = ma.fields.Boolean(metadata={"description": "Accepted and ignored: no object is a bundle"})


def _ids(**kwargs) -> ma.fields.List:
    return strings(required=True, validate=ma.validate.Length(min=1), **kwargs)


class PassportsMixin(ma.Schema):
    passports = strings(metadata={"description": "Accepted and ignored: UCS authorizes bearer tokens only"})


class BulkObjectIdsSchema(PassportsMixin):
    bulk_object_ids = _ids()


class ObjectAccessIdsSchema(ma.Schema):
    bulk_object_id = Str(required=True)
    bulk_access_ids = _ids()


class BulkObjectAccessIdsSchema(PassportsMixin):
    bulk_object_access_ids = ma.fields.List(
        ma.fields.Nested(ObjectAccessIdsSchema), required=True, validate=ma.validate.Length(min=1)
    )

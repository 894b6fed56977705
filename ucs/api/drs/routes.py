"""The DRS routes under /ga4gh/drs/v1: service-info, objects and their access URLs, one by one and in bulk.

Reading an object or its URL needs a bearer token with download:{id} (or download:*), checked before
anything else, as on every UCS route; the bulk routes check the token first, then each object.
service-info and the OPTIONS routes (how to authorize) are public and look nothing up.
"""

from __future__ import annotations

import functools

from flask import current_app, jsonify, make_response, request
from flask.views import MethodView

from ucs import auth
from ucs.api.access import authenticate, current_subject, requires, requires_token
from ucs.api.common import error, storage, store_errors
from ucs.api.drs import schemas
from ucs.api.drs.bulk import check_length, distinct, resolve_each
from ucs.api.drs.errors import drs_error, use_drs_errors
from ucs.api.drs.objects import ObjectPending, access_url, authorizations, drs_object, object_upload
from ucs.api.drs.service_info import service_info
from ucs.api.identifiers import checked_file_id, file_id_parameter
from ucs.api.parsing import Blueprint
from ucs.auth.scopes import Action
from ucs.db.models import MultipartUpload
from ucs.validation.settings import serving

PREFIX = "/ga4gh/drs/v1"
INVALID = "An invalid object_id or body (the message says what is wrong)"
UNEXPECTED = "An unexpected error; the message says no more"
OBJECT_ID = [file_id_parameter("object_id")]


class DrsBlueprint(Blueprint):
    """Its errors are documented in DRS's shape, each one; the API-wide default error (UCS's) is left out."""

    ERROR_SCHEMA = schemas.DrsErrorSchema

    @staticmethod
    def _prepare_response_doc(doc, doc_info, *, api, spec, **kwargs):
        doc = Blueprint._prepare_response_doc(doc, doc_info, api=api, spec=spec, **kwargs)
        doc.get("responses", {}).pop("default", None)
        return doc


blp = DrsBlueprint(
    "drs",
    __name__,
    url_prefix=PREFIX,
    description="GA4GH Data Repository Service (DRS) 1.4: the uploaded files, read the genomics standard's "
    "way (docs/drs.md)",
)


@blp.record_once
def _set_up(state) -> None:
    use_drs_errors(state.app)


def object_in_path(view_args: dict) -> str:
    return checked_file_id(view_args["object_id"], "object_id")


def served_object(object_id: str) -> MultipartUpload:
    """The upload the DRS object object_id is served from (ucs/api/drs/objects.py object_upload)."""
    return object_upload(checked_file_id(object_id, "object_id"), *serving(current_app.config))


PENDING = "The object's upload awaits its verdict: ask again after Retry-After seconds (DRS's 202)"
RETRY_AFTER = {"Retry-After": ("Seconds to wait before asking again", True)}


def pending_as_202(view):
    """Answer an object whose verdict is pending as DRS defines "not ready yet": 202 with Retry-After."""

    @functools.wraps(view)
    def answer(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except ObjectPending as pending:
            body, status = drs_error({"message": str(pending)}, 202)
            return make_response(jsonify(body), status, {"Retry-After": str(pending.retry_after)})

    return answer


def hostname() -> str:
    return current_app.config["DRS_HOSTNAME"] or request.host


def how_to_authorize(object_id: str | None = None) -> dict:
    return authorizations(auth.verifier(current_app), object_id)


def minted(object_id: str, access_id: str) -> dict:
    expiry = current_app.config["PRESIGNED_URL_EXPIRY"]
    return access_url(storage(), served_object(object_id), access_id, expiry, current_subject())


def bulk_limit(count: int, what: str) -> None:
    check_length(count, current_app.config["DRS_MAX_BULK_REQUEST_LENGTH"], what)


def drs_errors(*answers: tuple[int, str]):
    """Document a view's error answers, and the 500 that any DRS operation may give."""

    def decorate(view):
        for code, description in (*answers, (500, UNEXPECTED)):
            view = error(blp, code, description)(view)
        return view

    return decorate


@blp.route("/service-info")
class ServiceInfo(MethodView):
    @blp.response(200, schemas.ServiceInfoSchema)
    @drs_errors()
    def get(self):
        """Describe this DRS service (GA4GH service-info; public)"""
        return service_info(current_app.config, request.host_url)


@blp.route("/objects/<path:object_id>", parameters=OBJECT_ID)
class DrsObject(MethodView):
    @requires(blp, Action.DOWNLOAD, object_in_path)
    @blp.arguments(schemas.ExpandSchema, location="query", error_status_code=400)
    @blp.response(200, schemas.DrsObjectSchema)
    @drs_errors((400, INVALID), (404, "No such object, or its file is not uploaded (the message says which)"))
    @error(blp, 202, PENDING, RETRY_AFTER)
    @pending_as_202
    def get(self, query, object_id):
        """Get an object: the size, SHA-256 and access method of an uploaded file"""
        return drs_object(served_object(object_id), hostname(), how_to_authorize())

    @blp.response(200, schemas.AuthorizationsSchema)
    @drs_errors((400, INVALID))
    def options(self, object_id):
        """How to authorize reading an object: a bearer token of a trusted issuer (public; no lookup)"""
        return how_to_authorize(checked_file_id(object_id, "object_id"))


@blp.route("/objects/<path:object_id>/access/<access_id>", parameters=OBJECT_ID)
class DrsAccess(MethodView):
    @requires(blp, Action.DOWNLOAD, object_in_path)
    @blp.response(200, schemas.AccessURLSchema)
    @drs_errors((400, INVALID), (404, "No such object or access method, or the file is not uploaded"))
    @store_errors(blp)
    @error(blp, 202, PENDING, RETRY_AFTER)
    @pending_as_202
    def get(self, object_id, access_id):
        """Get a URL for an object's bytes: presigned when asked for, so each is fresh (and logged)"""
        return minted(object_id, access_id)


def bulk_view(body_schema, answer_schema, items: str, token: bool = True):
    """A bulk view's body, answer and errors (400, 413 past maxBulkRequestLength), and its token when it
    needs one: checked once for the whole request, before each object is checked on its own."""

    def decorate(view):
        view = drs_errors((400, INVALID), (413, f"More {items} than maxBulkRequestLength"))(view)
        view = blp.response(200, answer_schema)(view)
        view = blp.arguments(body_schema, error_status_code=400)(view)
        return requires_token(blp)(view) if token else view

    return decorate


@blp.route("/objects")
class DrsObjects(MethodView):
    @bulk_view(schemas.BulkObjectIdsSchema, schemas.BulkObjectsSchema, "ids")
    def post(self, body):
        """Get several objects; each one the token may not read is unresolved with 403"""
        answer = functools.partial(_object, host=hostname(), authorized_by=how_to_authorize())
        return resolve_each(bulk_ids(body), authenticate(), answer, "resolved_drs_object")

    @bulk_view(schemas.BulkObjectIdsSchema, schemas.BulkAuthorizationsSchema, "ids", token=False)
    def options(self, body):
        """How to authorize reading several objects (public; no lookup)"""
        return resolve_each(bulk_ids(body), None, how_to_authorize, "resolved_drs_object")


@blp.route("/objects/access")
class DrsAccesses(MethodView):
    @bulk_view(schemas.BulkObjectAccessIdsSchema, schemas.BulkAccessURLsSchema, "(object, access id) pairs")
    @store_errors(blp)
    def post(self, body):
        """Get URLs for several objects' bytes; each one the token may not read is unresolved with 403"""
        entries = body["bulk_object_access_ids"]
        pairs = distinct(
            (e["bulk_object_id"], access_id) for e in entries for access_id in e["bulk_access_ids"]
        )
        bulk_limit(len(pairs), "(object, access id) pairs")
        return resolve_each(pairs, authenticate(), _bulk_access_url, "resolved_drs_object_access_urls")


def bulk_ids(body: dict) -> list[tuple[str]]:
    object_ids = distinct(body["bulk_object_ids"])
    bulk_limit(len(object_ids), "objects")
    return [(object_id,) for object_id in object_ids]


def _object(object_id: str, host: str, authorized_by: dict) -> dict:
    return drs_object(served_object(object_id), host, authorized_by)


def _bulk_access_url(object_id: str, access_id: str) -> dict:
    return {"drs_object_id": object_id, "drs_access_id": access_id, **minted(object_id, access_id)}

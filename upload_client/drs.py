"""Downloading a GA4GH DRS object: resolve drs://<host>/<id>, then download it as a UCS file is downloaded.

A hostname-based DRS URI names the object <id> of the DRS server at https://<host>/ga4gh/drs/v1 (the DRS
specification); --api-url, given on the command line with the URI, replaces https://<host> (development
over plain http, a tunnel). The object gives the size and the SHA-256 that the download is verified with;
its https access method gives the URL, which is asked for again whenever the store refuses the one in
hand. The token goes to the DRS server only, never to the store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

from upload_client.config import TransferConfig
from upload_client.credentials import Credentials
from upload_client.exceptions import ApiError, BadInput, NotUcs, one_line
from upload_client.http import path_segment
from upload_client.rest import Dialect, RestApi
from upload_client.sources import StoredObject

DRS_PATH = "/ga4gh/drs/v1"
ACCESS_TYPE = "https"
# DRS ids are made of these (RFC 3986's unreserved characters).
DRS_ID = re.compile(r"[A-Za-z0-9._~-]+")
HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?")


@dataclass(frozen=True)
class DrsUri:
    host: str
    object_id: str

    def base_url(self, api_url: str | None = None) -> str:
        """Where the DRS API of this URI's server is: https://<host>/ga4gh/drs/v1, or under api_url."""
        return (api_url.rstrip("/") if api_url else f"https://{self.host}") + DRS_PATH


def parse_drs_uri(text: str) -> DrsUri:
    """drs://<host>/<id>, refused with a message saying what is wrong with it."""
    parts = urlsplit(text)
    if parts.scheme.lower() != "drs" or not parts.netloc:
        raise BadInput(f"{text!r} is not a DRS URI: it must look like drs://<host>/<id>")
    if parts.path in ("", "/") and ":" in parts.netloc and not HOST.fullmatch(parts.netloc):
        raise BadInput(
            f"{text!r} is a compact identifier DRS URI (drs://<prefix>:<accession>); upload-client resolves "
            "hostname-based ones, drs://<host>/<id>: ask the archive for that form"
        )
    if not HOST.fullmatch(parts.netloc):
        raise BadInput(
            f"{text!r} is not a DRS URI: {parts.netloc!r} is not a host name (with an optional port)"
        )
    object_id = unquote(parts.path[1:])
    if parts.query or parts.fragment or not DRS_ID.fullmatch(object_id):
        raise BadInput(
            f"{text!r} is not a DRS URI: after drs://<host>/ comes one DRS id, made of A-Z a-z 0-9 . _ ~ -"
        )
    return DrsUri(parts.netloc, object_id)


def drs_error(response: requests.Response, body: Any) -> str | None:
    """DRS's error shape is {"msg", "status_code"}, both optional."""
    if not (isinstance(body, dict) and ("msg" in body or "status_code" in body)):
        return None
    return one_line(str(body.get("msg") or f"{response.status_code} {response.reason}"))


DRS = Dialect(
    name="the DRS server",
    like="a DRS server",
    check="check the drs:// URI (or --api-url)",
    error_message=drs_error,
)


class DrsClient:
    """A DRS server's API at base_url (.../ga4gh/drs/v1): the calls UCS's get, with DRS's errors."""

    def __init__(self, base_url: str, config: TransferConfig, credentials: Credentials):
        self.rest = RestApi(base_url, config, credentials, DRS)
        self.base_url = self.rest.base_url

    def get_object(self, object_id: str) -> dict:
        return self.rest.call(
            "GET", f"/objects/{path_segment(object_id)}", expect=("id", "size", "checksums")
        )

    def access_url(self, object_id: str, access_id: str) -> dict:
        path = f"/objects/{path_segment(object_id)}/access/{path_segment(access_id)}"
        return self.rest.call("GET", path, expect=("url",))


class DrsObject:
    """A DRS object as a download source (upload_client.sources).

    The object (size, SHA-256, version) is read once; each URL is fetched fresh through the access id.
    """

    def __init__(self, api: DrsClient, object_id: str):
        self.api = api
        self.id = object_id
        self.base_url = api.base_url
        self._object: dict | None = None

    def describe(self) -> StoredObject:
        drs_object = self._object = self._resolved()
        url = self._url_of(drs_object)
        return StoredObject(url, drs_object["size"], sha256_of(drs_object), drs_object.get("version"))

    def fresh_url(self) -> str:
        return self._url_of(self._object or self._resolved())

    def _url_of(self, drs_object: dict) -> str:
        method = https_method(drs_object)
        if method.get("access_id"):
            access = self._answered(lambda: self.api.access_url(self.id, method["access_id"]))
        else:  # a URL in the object itself: read the object again next time, for a fresh one
            access, self._object = method["access_url"], None
        if access.get("headers"):
            names = ", ".join(str(header).split(":")[0] for header in access["headers"])
            raise BadInput(
                f"the DRS server wants headers sent with the URL of {self.id!r} ({names}); "
                "upload-client does not send such headers"
            )
        return access["url"]

    def _resolved(self) -> dict:
        drs_object = self._answered(lambda: self.api.get_object(self.id))
        size = drs_object["size"]
        if type(size) is not int or size < 0 or not isinstance(drs_object["checksums"], list):
            raise NotUcs(
                f"{self.base_url} does not answer like a DRS server: object {self.id!r} is malformed"
            )
        return drs_object

    def _answered(self, call):
        """A DRS call; a 400 or 404 becomes bad input with the server's own reason (still uploading, ...)."""
        try:
            return call()
        except ApiError as error:
            if error.status in (400, 404):
                raise BadInput(f"{error} (at {self.base_url})") from None
            raise


def https_method(drs_object: dict) -> dict:
    """The object's https access method that has an access_id or an access_url."""
    methods = [m for m in drs_object.get("access_methods") or [] if isinstance(m, dict)]
    for method in methods:
        if method.get("type") == ACCESS_TYPE and (method.get("access_id") or method.get("access_url")):
            return method
    offered = ", ".join(sorted({str(m.get("type")) for m in methods})) or "none"
    raise BadInput(
        f"DRS object {drs_object.get('id')!r} offers no {ACCESS_TYPE} access method (it offers: {offered}); "
        f"upload-client downloads over {ACCESS_TYPE} only"
    )


def sha256_of(drs_object: dict) -> str | None:
    """The object's SHA-256 (type sha-256, as IANA names it; sha256 accepted too), if it has one."""
    for checksum in drs_object["checksums"]:
        if isinstance(checksum, dict) and str(checksum.get("type", "")).lower() in ("sha-256", "sha256"):
            return str(checksum.get("checksum", "")).lower() or None
    return None


def drs_object(uri: str, api_url: str | None, access: Credentials, config: TransferConfig) -> DrsObject:
    """The object a drs:// URI names, as a download source; api_url, if given, is where its DRS server is."""
    drs_uri = parse_drs_uri(uri)
    return DrsObject(DrsClient(drs_uri.base_url(api_url), config, access), drs_uri.object_id)

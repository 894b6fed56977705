"""What a download reads from: a file at UCS, or a DRS object (upload_client.drs).

The downloader asks a source to describe the object once (size, SHA-256, version and a URL to fetch it
from) and for a fresh URL whenever the store refuses the one in hand; nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from upload_client.api import UcsClient
from upload_client.exceptions import ApiError, BadInput, NotReady
from upload_client.verdict import not_served


@dataclass(frozen=True)
class StoredObject:
    """The object a download fetches, as its source describes it."""

    url: str
    size: int
    #: None when the source knows no SHA-256: only the size can then be checked.
    sha256: str | None
    #: Changes when the object does, so that a resume never mixes two objects' bytes.
    version: str | None


class DownloadSource(Protocol):
    """A file at UCS or a DRS object, by its id there."""

    #: The id, in messages and the report.
    id: str

    def describe(self) -> StoredObject:
        """The object and a URL for it; the client's exceptions when there is none to download."""
        ...

    def fresh_url(self) -> str:
        """A new URL for the object, after the store refused the last one."""
        ...


class UcsFile:
    """A file registered at UCS, downloaded through `GET /files/F/download`."""

    def __init__(self, api: UcsClient, file_id: str):
        self.api = api
        self.id = file_id

    def describe(self) -> StoredObject:
        try:
            info = self.api.download_info(self.id)
        except NotReady:
            raise  # being validated: the downloader waits for it
        except ApiError as error:
            if error.status == 404:
                raise self.api.file_not_found(self.id) from None
            if error.status == 409:  # not served: rejected, failed a fixity check, or never uploaded
                raise not_served(self.api, self.id, error) from None
            raise BadInput(str(error)) from None
        return StoredObject(info["url"], info["size"], info.get("sha256"), info.get("etag"))

    def fresh_url(self) -> str:
        return self.api.download_info(self.id)["url"]

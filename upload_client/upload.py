"""Uploading a local file: start or resume its multipart upload, send the missing parts, complete it."""

from __future__ import annotations

import time
from collections.abc import Container
from dataclasses import dataclass

from upload_client.api import UcsClient
from upload_client.completion import send_completion
from upload_client.exceptions import (
    AccessRefused,
    ApiError,
    BadInput,
    ClientError,
    UcsUnreachable,
    VerificationFailed,
)
from upload_client.os_files import FileVersion, close, file_version, open_local_file
from upload_client.part_sender import PartSender
from upload_client.part_urls import PartUrls
from upload_client.parts import Part, split
from upload_client.resume_advice import ResumeAdvice
from upload_client.source_check import source_change
from upload_client.stored_parts import local_etags, resume_note, reusable_parts
from upload_client.streams import SequentialHasher
from upload_client.transfer import TransferEngine
from upload_client.upload_start import AlreadyCompleted, pending_or_new


@dataclass
class UploadReport:
    """What an upload did, for the summary the command prints."""

    file_id: str
    upload_id: str
    size: int
    seconds: float
    sha256: str
    parts: int
    reused_parts: int
    reused_bytes: int
    retries: int
    #: True when the file was uploaded before (same SHA-256) and nothing was sent.
    already_uploaded: bool = False
    #: Requests to UCS for part URLs, and the seconds the workers spent waiting for them (summed).
    url_requests: int = 0
    url_seconds: float = 0.0


def registered_file(api: UcsClient, file_id: str) -> dict:
    """The file's registration at UCS; an unknown id is bad input, unless the URL is not UCS at all."""
    try:
        return api.get_file(file_id)
    except ApiError as error:
        if error.status == 404:
            raise api.file_not_found(file_id) from None
        raise BadInput(str(error)) from None


class Uploader:
    """Uploads one local file as one registered file id, resuming its pending upload when there is one."""

    def __init__(
        self,
        api: UcsClient,
        engine: TransferEngine,
        resume_command: str = "the same command",
        cancel_command: str = "upload-client cancel",
    ):
        self.api = api
        self.engine = engine
        self.url_requests: PartUrls | None = None
        # The commands that resume or cancel, for the messages that tell the user what to do next.
        self.advice = ResumeAdvice(api, resume_command, cancel_command)

    def upload(self, file_id: str, path: str) -> UploadReport:
        began = time.monotonic()
        fd, size = open_local_file(path)
        # Everything is read from this descriptor: the parts, their MD5s and the SHA-256 alike.
        version = file_version(fd)
        try:
            file = registered_file(self.api, file_id)
            if file.get("size") is not None and file["size"] != size:
                raise BadInput(
                    f"{path} has {size} bytes but file {file_id!r} is registered with {file['size']} bytes"
                )
            try:
                upload, stored = pending_or_new(
                    self.api, file, file_id, path, size, self.advice.cancel_command
                )
            except AlreadyCompleted as completed:
                return self._already_uploaded(completed, fd, file_id, path, size, began)
            upload_id = upload["upload_id"]
            parts = split(size, upload["part_size"])
            try:
                if stored is None:
                    etags, sha256, reread = local_etags(self.engine, fd, path, upload_id, parts)
                    reused: dict[int, str] = etags
                else:
                    reused = reusable_parts(self.engine, fd, parts, stored)
                    if stored:
                        self.engine.note(resume_note(parts, stored, reused))
            except ClientError as error:
                raise self.advice.left_pending(error, upload_id, len(stored or ()), len(parts)) from None
            if stored is not None:
                etags, sha256, reread = self._send(fd, upload_id, parts, reused)
            self._check_unchanged(fd, path, version, upload_id, etags, reread)
            self._complete(upload_id, etags, path, sha256, file.get("sha256"), recovering=stored is None)
        finally:
            close(fd)
        return self._report(file_id, upload_id, began, sha256, parts, reused)

    def _check_unchanged(
        self,
        fd: int,
        path: str,
        started: FileVersion,
        upload_id: str,
        etags: dict[int, str],
        reread: dict[int, str],
    ) -> None:
        """Refuse to complete, leaving the upload pending, when the file is no longer the one opened."""
        changed = source_change(fd, path, started, etags, reread)
        if changed is not None:
            raise self.advice.left_pending(changed, upload_id, len(etags), len(etags))

    def _already_uploaded(
        self, completed: AlreadyCompleted, fd: int, file_id: str, path: str, size: int, began: float
    ) -> UploadReport:
        """A rerun after success: fine when the local file is what was uploaded, refused otherwise."""
        upload = completed.upload
        parts = split(size, upload["part_size"])
        self.engine.note(
            f"file {file_id} already has a completed upload; checking that {path} is what was uploaded"
        )
        hasher = SequentialHasher(fd, parts, self.engine.config.chunk_size, self.engine.stop, name=path)
        sha256 = hasher.start().result(self.engine)
        if sha256 != upload.get("sha256") or size != upload.get("size"):
            raise BadInput(f"{completed}; {path} is not what was uploaded (its SHA-256 is {sha256})")
        return self._report(file_id, upload["upload_id"], began, sha256, parts, reused=(), already=True)

    def _report(
        self,
        file_id: str,
        upload_id: str,
        began: float,
        sha256: str,
        parts: list[Part],
        reused: Container[int],
        already: bool = False,
    ) -> UploadReport:
        reused_parts = [part for part in parts if already or part.number in reused]
        return UploadReport(
            file_id=file_id,
            upload_id=upload_id,
            size=parts[-1].end,
            seconds=time.monotonic() - began,
            sha256=sha256,
            parts=len(parts),
            reused_parts=len(reused_parts),
            reused_bytes=sum(part.size for part in reused_parts),
            retries=self.engine.retries,
            already_uploaded=already,
            url_requests=self.url_requests.requests if self.url_requests else 0,
            url_seconds=self.url_requests.seconds if self.url_requests else 0.0,
        )

    def _send(
        self, fd: int, upload_id: str, parts: list[Part], reused: dict[int, str]
    ) -> tuple[dict[int, str], str, dict[int, str]]:
        """Send the parts not stored yet and hash the whole file alongside; returns every ETag, the SHA-256,
        and the MD5s the SHA-256 pass computed of the reused parts (read once already, to verify them)."""
        missing = [p for p in parts if p.number not in reused]
        config = self.engine.config
        numbers = [p.number for p in missing]
        urls = PartUrls(self.api, upload_id, numbers, config.part_url_window, config.batched_part_urls)
        self.url_requests = urls
        sender = PartSender(self.api, self.engine, fd, upload_id, urls)
        hasher = SequentialHasher(fd, parts, config.chunk_size, self.engine.stop, md5_of=reused).start()
        etags = dict(reused)
        try:
            with self.engine.phase("upload", parts[-1].end, sum(p.size for p in parts if p.number in reused)):
                etags.update(self.engine.run(missing, sender))
            sha256 = hasher.result(self.engine)
        except ClientError as error:
            self.engine.stop.set()
            raise self.advice.left_pending(
                error, upload_id, len(reused) + sender.stored, len(parts)
            ) from None
        return etags, sha256, hasher.md5s

    def _complete(
        self,
        upload_id: str,
        etags: dict[int, str],
        path: str,
        sha256: str,
        registered_sha256: str | None,
        recovering: bool = False,
    ) -> None:
        """Ask UCS to complete; a SHA-256 that differs from the registration is a verification failure.

        recovering: the store held no unfinished upload any more, and the ETags come from the local file.
        """
        self.engine.note(f"completing upload {upload_id}: the store joins the {len(etags):,} parts")
        try:
            send_completion(self.api, self.engine, upload_id, etags, sha256)
        except ApiError as error:
            if registered_sha256 and registered_sha256 != sha256:
                raise VerificationFailed(
                    f"{path} has SHA-256 {sha256} but the file is registered with {registered_sha256}; "
                    f"UCS marked upload {upload_id} failed: is it the right file?"
                ) from None
            if recovering and not self.advice.still_pending(upload_id):
                raise ApiError(
                    error.status,
                    f"UCS refused to complete upload {upload_id}, which the store no longer holds: {error}; "
                    f"the upload has ended, and running the same command starts a new one: "
                    f"{self.advice.resume_command}",
                ) from None
            if recovering:
                raise ApiError(
                    error.status, f"{error}; to start over: {self.advice.cancel_command}"
                ) from None
            raise ApiError(error.status, f"UCS refused to complete upload {upload_id}: {error}") from None
        except (UcsUnreachable, AccessRefused) as error:
            # Every part is stored: with UCS back (or a new token), the same command completes the upload.
            raise self.advice.left_pending(error, upload_id, len(etags), len(etags)) from None

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
    SourceChanged,
    TransferIncomplete,
    UcsUnreachable,
    VerificationFailed,
)
from upload_client.os_files import FileVersion, close, file_version, open_local_file, path_version
from upload_client.part_sender import PartSender, normalize_etag, reread_differently
from upload_client.part_urls import PartUrls
from upload_client.parts import Part, split
from upload_client.progress import human_size
from upload_client.streams import SequentialHasher, part_md5
from upload_client.transfer import TransferEngine


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


class _Completed(Exception):
    """The file already has a completed upload (found when starting a new one is refused)."""

    def __init__(self, upload: dict, message: str):
        super().__init__(message)
        self.upload = upload


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
        self.resume_command = resume_command
        self.cancel_command = cancel_command

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
                upload, stored = self._pending_or_new(file, file_id, path, size)
            except _Completed as completed:
                return self._already_uploaded(completed, fd, file_id, path, size, began)
            upload_id = upload["upload_id"]
            parts = split(size, upload["part_size"])
            if stored is None:
                etags, sha256, reread = self._local_etags(fd, path, upload_id, parts)
                reused: dict[int, str] = etags
            else:
                try:
                    reused = self._reusable(fd, parts, stored)
                    if stored:
                        self._note_resume(parts, stored, reused)
                except ClientError as error:
                    raise self._left_pending(error, upload_id, len(stored), len(parts)) from None
                etags, sha256, reread = self._send(fd, upload_id, parts, reused)
            self._check_unchanged(fd, path, version, upload_id, etags, reread)
            self._complete(upload_id, etags, path, sha256, file.get("sha256"), recovering=stored is None)
        finally:
            close(fd)
        return self._report(file_id, upload_id, began, sha256, parts, reused)

    def _pending_or_new(
        self, file: dict, file_id: str, path: str, size: int
    ) -> tuple[dict, list[dict] | None]:
        """The pending upload and its stored parts, or a new upload; refuses one that no longer fits.

        The parts are None when the store holds no unfinished upload any more: it may have joined the
        parts already, for a completion whose answer (or whose record at UCS) was lost.
        """
        pending = self.api.pending_upload(file_id)
        if pending is None:
            try:
                return self.api.start_upload(file_id, size), []
            except ApiError as error:
                if error.status != 409:
                    raise BadInput(str(error)) from None
                # A 409 comes back when a retried start already succeeded, or the file is uploaded.
                pending = self.api.pending_upload(file_id)
                if pending is None:
                    completed = [
                        u for u in self.api.uploads(file_id) if u["status"] in ("uploaded", "accepted")
                    ]
                    if completed:
                        raise _Completed(completed[0], str(error)) from None
                    raise BadInput(str(error)) from None
        expected = pending.get("size") if pending.get("size") is not None else file.get("size")
        if expected is not None and expected != size:
            raise BadInput(
                f"{path} now has {size} bytes but the pending upload {pending['upload_id']} of file "
                f"{file_id!r} was started for {expected} bytes; to start over, cancel it: {self.cancel_command}"
            )
        try:
            return pending, self.api.stored_parts(pending["upload_id"])
        except ApiError as error:
            if error.status != 409:  # 409: the store lost the upload or joined it, or it ended meanwhile
                raise
            return pending, None

    def _local_etags(
        self, fd: int, path: str, upload_id: str, parts: list[Part]
    ) -> tuple[dict[int, str], str, dict[int, str]]:
        """Every part's ETag (its MD5, as the store checked it when the part was sent) and the SHA-256,
        read from the local file: what completes an upload the store has already joined. Each part is
        read twice (for its MD5, then for the SHA-256): the MD5s of the second reading come third."""
        self.engine.note(
            f"the store holds no unfinished upload {upload_id} any more; it may have joined the parts "
            f"already (a completion whose answer was lost): reading {path} to complete it"
        )
        chunk_size, stop = self.engine.config.chunk_size, self.engine.stop
        every = {part.number for part in parts}
        hasher = SequentialHasher(fd, parts, chunk_size, stop, name=path, md5_of=every).start()
        try:
            with self.engine.phase("reading the parts", parts[-1].end):
                md5s = self.engine.run(
                    parts, lambda part: part_md5(fd, part, chunk_size, stop, self.engine.report_progress)
                )
            sha256 = hasher.result(self.engine)
        except ClientError as error:
            stop.set()
            raise self._left_pending(error, upload_id, 0, len(parts)) from None
        return {number: f'"{md5}"' for number, md5 in md5s.items()}, sha256, hasher.md5s

    def _check_unchanged(
        self,
        fd: int,
        path: str,
        started: FileVersion,
        upload_id: str,
        etags: dict[int, str],
        reread: dict[int, str],
    ) -> None:
        """Refuse to complete when the file changed since it was opened, or path names another file now,
        or a part read twice (reread: the MD5s of the second reading) gave other bytes the second time."""
        now, named = file_version(fd), path_version(path)
        differing = reread_differently(etags, reread)
        if now == started and named == started and not differing:
            return
        if named is None or (named.device, named.inode) != (started.device, started.inode):
            what = "another file was renamed over it, or it was removed"
        elif now != started or named != started:
            what = "it was written to: its size or modification time differs"
        else:
            listed = ", ".join(map(str, differing[:5])) + (", ..." if len(differing) > 5 else "")
            noun = "part" if len(differing) == 1 else "parts"
            what = (
                f"it was rewritten in place: {noun} {listed} read again gave other bytes than the first time"
            )
        changed = SourceChanged(
            f"{path} changed while it was being uploaded ({what}), so the parts sent and the SHA-256 may "
            "mix bytes of two versions; the upload was not completed"
        )
        raise self._left_pending(changed, upload_id, len(etags), len(etags))

    def _already_uploaded(
        self, completed: _Completed, fd: int, file_id: str, path: str, size: int, began: float
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

    def _reusable(self, fd: int, parts: list[Part], stored: list[dict]) -> dict[int, str]:
        """ETags of the stored parts whose size and MD5 match the local file's bytes."""
        by_number = {item["part_no"]: item for item in stored}
        candidates = [p for p in parts if p.number in by_number and by_number[p.number]["size"] == p.size]
        if not candidates:
            return {}
        chunk_size = self.engine.config.chunk_size
        stop, progress = self.engine.stop, self.engine.report_progress
        total = sum(part.size for part in candidates)
        self.engine.note(f"reading the {len(candidates):,} stored parts ({human_size(total)}) to verify them")
        with self.engine.phase("verifying stored parts", total):
            local = self.engine.run(candidates, lambda part: part_md5(fd, part, chunk_size, stop, progress))
        return {
            number: by_number[number]["etag"]
            for number, md5 in local.items()
            if normalize_etag(by_number[number]["etag"]) == md5
        }

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
            raise self._left_pending(error, upload_id, len(reused) + sender.stored, len(parts)) from None
        return etags, sha256, hasher.md5s

    def _note_resume(self, parts: list[Part], stored: list[dict], reused: dict[int, str]) -> None:
        reused_bytes = sum(part.size for part in parts if part.number in reused)
        text = (
            f"resuming: {len(reused):,} of {len(parts):,} parts already stored ({human_size(reused_bytes)}), "
            f"{len(parts) - len(reused):,} to send"
        )
        differing = len(stored) - len(reused)
        if differing:
            text += f" ({differing:,} stored parts do not match the local file and are sent again)"
        self.engine.note(text)

    def _left_pending(self, error: ClientError, upload_id: str, stored: int, total: int) -> ClientError:
        """The error, its message completed with what is stored and the command that resumes."""
        # Only a refusal can mean the upload ended elsewhere; asking after Ctrl-C or with UCS gone only delays.
        refused = isinstance(error, ApiError | TransferIncomplete)
        if refused and not self._still_pending(upload_id):
            return ClientError(
                f"{error}; upload {upload_id} is no longer pending at UCS (canceled or failed meanwhile); "
                f"running the same command starts a new upload: {self.resume_command}"
            )
        error.args = (
            f"{error}; {stored} of {total} parts are stored and upload {upload_id} is left pending; "
            f"resume with: {self.resume_command}",
        )
        return error

    def _still_pending(self, upload_id: str) -> bool:
        """Whether UCS still has the upload pending; when UCS cannot tell, assume it has."""
        try:
            self.api.stored_parts(upload_id)
        except ApiError as error:
            return error.status not in (404, 409)
        except ClientError:
            return True
        return True

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
            if recovering and not self._still_pending(upload_id):
                raise ApiError(
                    error.status,
                    f"UCS refused to complete upload {upload_id}, which the store no longer holds: {error}; "
                    f"the upload has ended, and running the same command starts a new one: {self.resume_command}",
                ) from None
            if recovering:
                raise ApiError(error.status, f"{error}; to start over: {self.cancel_command}") from None
            raise ApiError(error.status, f"UCS refused to complete upload {upload_id}: {error}") from None
        except (UcsUnreachable, AccessRefused) as error:
            # Every part is stored: with UCS back (or a new token), the same command completes the upload.
            raise self._left_pending(error, upload_id, len(etags), len(etags)) from None

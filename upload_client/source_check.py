"""Whether the local file is still the one opened: an upload completes only when its parts and its SHA-256
are all of one version of the file."""

from __future__ import annotations

from collections.abc import Mapping

from upload_client.exceptions import SourceChanged
from upload_client.os_files import FileVersion, file_version, path_version
from upload_client.part_sender import normalize_etag


def reread_differently(etags: Mapping[int, str], md5s: Mapping[int, str]) -> list[int]:
    """The parts whose MD5, from reading them again, is not the ETag their first reading was stored with:
    the file was rewritten in place meanwhile (its size and modification time may well be restored)."""
    return sorted(number for number, md5 in md5s.items() if normalize_etag(etags[number]) != md5)


def source_change(
    fd: int, path: str, started: FileVersion, etags: Mapping[int, str], reread: Mapping[int, str]
) -> SourceChanged | None:
    """Why the upload must not complete, or None: the file changed since it was opened, or path names
    another file now, or a part read twice (reread: the MD5s of the second reading) gave other bytes."""
    now, named = file_version(fd), path_version(path)
    differing = reread_differently(etags, reread)
    if now == started and named == started and not differing:
        return None
    if named is None or (named.device, named.inode) != (started.device, started.inode):
        what = "another file was renamed over it, or it was removed"
    elif now != started or named != started:
        what = "it was written to: its size or modification time differs"
    else:
        listed = ", ".join(map(str, differing[:5])) + (", ..." if len(differing) > 5 else "")
        noun = "part" if len(differing) == 1 else "parts"
        what = f"it was rewritten in place: {noun} {listed} read again gave other bytes than the first time"
    return SourceChanged(
        f"{path} changed while it was being uploaded ({what}), so the parts sent and the SHA-256 may "
        "mix bytes of two versions; the upload was not completed"
    )

"""What the store holds already, checked against the local file's bytes: at a resume, the stored parts
whose MD5 matches; after a completion whose answer was lost, every part's ETag read from the local file."""

from __future__ import annotations

from upload_client.part_sender import normalize_etag
from upload_client.parts import Part
from upload_client.progress import human_size
from upload_client.streams import SequentialHasher, part_md5
from upload_client.transfer import TransferEngine


def reusable_parts(engine: TransferEngine, fd: int, parts: list[Part], stored: list[dict]) -> dict[int, str]:
    """ETags of the stored parts whose size and MD5 match the local file's bytes."""
    by_number = {item["part_no"]: item for item in stored}
    candidates = [p for p in parts if p.number in by_number and by_number[p.number]["size"] == p.size]
    if not candidates:
        return {}
    chunk_size, stop, progress = engine.config.chunk_size, engine.stop, engine.report_progress
    total = sum(part.size for part in candidates)
    engine.note(f"reading the {len(candidates):,} stored parts ({human_size(total)}) to verify them")
    with engine.phase("verifying stored parts", total):
        local = engine.run(candidates, lambda part: part_md5(fd, part, chunk_size, stop, progress))
    return {
        number: by_number[number]["etag"]
        for number, md5 in local.items()
        if normalize_etag(by_number[number]["etag"]) == md5
    }


def resume_note(parts: list[Part], stored: list[dict], reused: dict[int, str]) -> str:
    """The line that says how much of a resumed upload is stored already and how much is sent."""
    reused_bytes = sum(part.size for part in parts if part.number in reused)
    text = (
        f"resuming: {len(reused):,} of {len(parts):,} parts already stored ({human_size(reused_bytes)}), "
        f"{len(parts) - len(reused):,} to send"
    )
    differing = len(stored) - len(reused)
    if differing:
        text += f" ({differing:,} stored parts do not match the local file and are sent again)"
    return text


def local_etags(
    engine: TransferEngine, fd: int, path: str, upload_id: str, parts: list[Part]
) -> tuple[dict[int, str], str, dict[int, str]]:
    """Every part's ETag (its MD5, as the store checked it when the part was sent) and the SHA-256,
    read from the local file: what completes an upload the store has already joined. One pass computes
    both, so they are of the same bytes; its MD5s come third as well, the parts' only reading."""
    engine.note(
        f"the store holds no unfinished upload {upload_id} any more; it may have joined the parts "
        f"already (a completion whose answer was lost): reading {path} to complete it"
    )
    every = {part.number for part in parts}
    hasher = SequentialHasher(fd, parts, engine.config.chunk_size, engine.stop, name=path, md5_of=every)
    sha256 = hasher.start().result(engine)
    return {number: f'"{md5}"' for number, md5 in hasher.md5s.items()}, sha256, hasher.md5s

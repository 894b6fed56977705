"""What the store holds already, checked against the local file's bytes: at a resume, the stored parts
whose MD5 matches; after a completion whose answer was lost, every part's ETag read from the local file."""

from __future__ import annotations

from upload_client.exceptions import ClientError
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
    read from the local file: what completes an upload the store has already joined. Each part is
    read twice (for its MD5, then for the SHA-256): the MD5s of the second reading come third."""
    engine.note(
        f"the store holds no unfinished upload {upload_id} any more; it may have joined the parts "
        f"already (a completion whose answer was lost): reading {path} to complete it"
    )
    chunk_size, stop = engine.config.chunk_size, engine.stop
    every = {part.number for part in parts}
    hasher = SequentialHasher(fd, parts, chunk_size, stop, name=path, md5_of=every).start()
    try:
        with engine.phase("reading the parts", parts[-1].end):
            md5s = engine.run(
                parts, lambda part: part_md5(fd, part, chunk_size, stop, engine.report_progress)
            )
        sha256 = hasher.result(engine)
    except ClientError:
        stop.set()  # the SHA-256 pass stops too
        raise
    return {number: f'"{md5}"' for number, md5 in md5s.items()}, sha256, hasher.md5s

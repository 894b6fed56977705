"""upload-client under hostile and unlucky use: planted links, a source file that changes, lost answers.

UCS runs on the filesystem store behind the fault proxy (the `ucs` and `faulty` fixtures of conftest.py).
"""

from __future__ import annotations

import os
import signal

import pytest

from scripts.local_runs import sha256_of
from tests.support.client_runs import (
    MiB,
    make_file,
    pending_upload,
    register,
    run_client,
    start_client,
    stored_parts,
    upload_underway,
    uploads_of,
    wait_until,
)
from tests.support.faulty_store import PARALLEL, download_args, upload_args
from tests.support.tokens import staff_token
from upload_client.commands import make_api
from upload_client.config import TransferConfig
from upload_client.credentials import Credentials
from upload_client.exceptions import SourceChanged
from upload_client.subscribers import TransferSubscriber
from upload_client.transfer import TransferEngine
from upload_client.upload import Uploader

pytestmark = pytest.mark.slow

#: The exit code of an upload whose source file changed meanwhile (docs/client.md).
SOURCE_CHANGED = 7


def uploaded(api: str, file_id: str, source) -> None:
    register(api, file_id, source)
    result = run_client(*upload_args(api, file_id, source))
    assert result.returncode == 0, result.stderr


# Downloads never write through links (a shared directory such as /tmp).


def download_beside_a_link(api: str, file_id: str, tmp_path, link: str, output: str):
    """Upload a file as file_id, plant a link named link to precious.txt, then download the file to
    output: the source, precious.txt and the download's result."""
    source = make_file(tmp_path / f"{file_id}.bin", 3 * MiB, seed=len(file_id))
    uploaded(api, file_id, source)
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    (tmp_path / link).symlink_to(precious)
    return source, precious, run_client(*download_args(api, file_id, tmp_path / output))


def test_a_planted_part_link_is_refused_and_its_target_kept(ucs, faulty, tmp_path):
    _, precious, result = download_beside_a_link(ucs.url, "hostile-part-link", tmp_path, "out1.part", "out1")

    assert result.returncode == 1, result.stderr
    assert "out1.part is a symbolic link; a download never writes through one" in result.stderr
    assert precious.read_text() == "keep me"
    assert not os.path.lexists(tmp_path / "out1")
    assert sum(count for (method, _), count in faulty.stats.answers.items() if method == "GET") == 0


def test_a_planted_journal_temporary_is_never_written_through(ucs, faulty, tmp_path):
    link = "out2.part.json.tmp"
    source, precious, result = download_beside_a_link(ucs.url, "hostile-tmp-link", tmp_path, link, "out2")

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out2").read_bytes() == source.read_bytes()
    assert precious.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.glob("out2*")) == ["out2", "out2.part.json.tmp"]  # ours are gone
    assert list(tmp_path.glob(".out2*")) == []  # atomic_files' temporaries too


def test_a_dangling_output_link_is_refused_before_any_byte_moves(ucs, faulty, tmp_path):
    source = make_file(tmp_path / "dangling.bin", 2 * MiB, seed=42)
    uploaded(ucs.url, "hostile-dangling", source)
    output = tmp_path / "out3"
    output.symlink_to(tmp_path / "nowhere")

    result = run_client(*download_args(ucs.url, "hostile-dangling", output))

    assert result.returncode == 1, result.stderr
    assert "out3 is a symbolic link; a download never writes through one" in result.stderr
    assert not (tmp_path / "nowhere").exists()
    assert sorted(p.name for p in tmp_path.glob("out3*")) == ["out3"]
    assert sum(count for (method, _), count in faulty.stats.answers.items() if method == "GET") == 0


# A source file that changes during its upload is never completed.


def assert_refused_as_changed(
    result_code: int, output: str, api: str, file_id: str, upload_id: str, why: str
):
    assert result_code == SOURCE_CHANGED, output
    assert f"changed while it was being uploaded ({why})" in output
    assert f"upload {upload_id} is left pending; resume with: upload-client upload" in output
    assert [u["status"] for u in uploads_of(api, file_id)] == ["pending"]


def append(source) -> None:
    with open(source, "ab") as data:
        data.write(b"one more line\n")


def overwrite_the_end(source) -> None:
    with open(source, "r+b") as data:  # same size, other bytes at the end, which is not sent yet
        data.seek(-8, os.SEEK_END)
        data.write(b"changed!")


@pytest.mark.parametrize("change", [append, overwrite_the_end])
def test_a_file_written_to_during_its_upload_is_not_completed(ucs, faulty, tmp_path, change):
    file_id = f"hostile-{change.__name__.replace('_', '-')}"
    source = make_file(tmp_path / "changing.bin", 6 * MiB, seed=43)
    register(ucs.url, file_id, size=6 * MiB)  # no SHA-256: UCS could not tell by itself
    faulty.part_rate_limit = MiB // 2

    first, upload = upload_underway(upload_args(ucs.url, file_id, source), tmp_path / "up.log")
    change(source)
    code = first.wait(60)

    output = (tmp_path / "up.log").read_text()
    why = "it was written to: its size or modification time differs"
    assert_refused_as_changed(code, output, ucs.url, file_id, upload["upload_id"], why)


def test_a_file_renamed_over_the_source_while_a_resume_runs_is_not_completed(ucs, faulty, tmp_path):
    """`mv new.bin F.bin` during the resume: its parts come from the old file, so UCS must not get the
    new file's SHA-256 (no SHA-256 is registered, so UCS could not tell by itself)."""
    source = make_file(tmp_path / "F.bin", 8 * MiB, seed=45)
    replacement = make_file(tmp_path / "new.bin", 8 * MiB, seed=46)
    register(ucs.url, "hostile-rename", size=8 * MiB)
    faulty.part_rate_limit = MiB // 2
    args = upload_args(ucs.url, "hostile-rename", source)
    first, upload = upload_underway(args, tmp_path / "first.log", stored=2)
    first.send_signal(signal.SIGKILL)
    first.wait(10)

    sent_before = faulty.stats.part_uploads
    resume = start_client(*args, log=tmp_path / "resume.log")
    # Once the resume sends parts again it has read the stored ones: the rename lands before it ends.
    wait_until(lambda: faulty.stats.part_uploads > sent_before, what="the resume sending parts")
    os.replace(replacement, source)
    code = resume.wait(60)

    output = (tmp_path / "resume.log").read_text()
    why = "another file was renamed over it, or it was removed"
    assert_refused_as_changed(code, output, ucs.url, "hostile-rename", upload["upload_id"], why)
    assert pending_upload(ucs.url, "hostile-rename")["upload_id"] == upload["upload_id"]


class RewriteInPlace(TransferSubscriber):
    """Once the resume has verified the stored parts, rewrite the source in place with other bytes of
    the same size, and give it back its modification time: size, mtime and inode all stay the same."""

    def __init__(self, source, replacement: bytes):
        self.source = source
        self.replacement = replacement
        self.rewritten = False

    def on_note(self, text):
        if text.startswith("resuming:") and not self.rewritten:
            before = os.stat(self.source)
            with open(self.source, "r+b") as data:
                data.write(self.replacement)
            os.utime(self.source, ns=(before.st_atime_ns, before.st_mtime_ns))
            self.rewritten = True


def test_a_file_rewritten_in_place_with_its_mtime_restored_during_a_resume_is_not_completed(
    ucs, faulty, tmp_path
):
    """The stored parts read to verify them and read again for the SHA-256 must give the same bytes."""
    source = make_file(tmp_path / "F.bin", 8 * MiB, seed=48)
    replacement = make_file(tmp_path / "other.bin", 8 * MiB, seed=49).read_bytes()
    register(ucs.url, "hostile-in-place", size=8 * MiB)
    faulty.part_rate_limit = MiB // 2
    first, upload = upload_underway(
        upload_args(ucs.url, "hostile-in-place", source), tmp_path / "first.log", 2
    )
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    inode = os.stat(source).st_ino
    stored = sorted(part["part_no"] for part in stored_parts(ucs.url, upload["upload_id"]))

    rewrite = RewriteInPlace(source, replacement)
    config = TransferConfig(max_concurrency=PARALLEL)
    api = make_api(ucs.url, Credentials(token=staff_token()), config)
    uploader = Uploader(api, TransferEngine(config, [rewrite]), resume_command="upload-client upload ...")
    with pytest.raises(SourceChanged) as refused:
        uploader.upload("hostile-in-place", str(source))

    assert rewrite.rewritten and os.stat(source).st_ino == inode
    # Every stored part was verified against the old bytes, and the SHA-256 pass read the new ones.
    why = f"it was rewritten in place: parts {', '.join(map(str, stored))} read again gave other bytes than the first time"
    code = refused.value.exit_code
    assert_refused_as_changed(code, str(refused.value), ucs.url, "hostile-in-place", upload["upload_id"], why)
    assert pending_upload(ucs.url, "hostile-in-place")["upload_id"] == upload["upload_id"]


# Lost answers and damaged objects.


def test_a_completion_whose_answer_is_lost_is_sent_again_and_the_upload_succeeds(ucs, faulty, tmp_path):
    source = make_file(tmp_path / "lost.bin", 3 * MiB + 5, seed=47)
    register(ucs.url, "hostile-lost-answer", source)
    faulty.lost_answers["PATCH"] = 1  # UCS completes the upload; the client never hears so

    result = run_client(*upload_args(faulty.url, "hostile-lost-answer", source))

    assert result.returncode == 0, result.stderr
    assert faulty.stats.faults["lost PATCH answer"] == 1
    assert "was lost; asking again" in result.stdout
    [upload] = uploads_of(ucs.url, "hostile-lost-answer")
    assert (upload["status"], upload["sha256"]) == ("uploaded", sha256_of(source))


def test_an_object_truncated_in_the_store_is_reported_as_such_not_as_resumable(ucs, faulty, tmp_path):
    size = 3 * MiB
    source = make_file(tmp_path / "cut.bin", size, seed=48)
    uploaded(ucs.url, "hostile-truncated", source)
    [stored] = [
        path
        for path in (ucs.instance_path).rglob("*")
        if path.is_file() and "hostile-truncated" in str(path) and path.stat().st_size == size
    ]
    os.truncate(stored, size // 2)

    result = run_client(*download_args(ucs.url, "hostile-truncated", tmp_path / "back.bin"))

    assert result.returncode == 5, result.stderr
    assert (
        f"the stored object of file 'hostile-truncated' is shorter than the file: the store holds "
        f"{size // 2} bytes, the file has {size}"
    ) in result.stderr
    assert "resume" not in result.stderr
    assert "retrying" not in result.stderr
    assert not (tmp_path / "back.bin").exists()

"""README.md's "Running UCS" journey, run as written: its commands in bash against a real `ucs run`.

A token from the built-in issuer, the curl registration, the upload and download with upload-client, and
the events waiting in the outbox: a newcomer's first hour, kept true by running it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import textwrap
from pathlib import Path

from tests.support.processes import VENV_BIN
from tests.support.ucs_server import ucs_server

README = Path(__file__).resolve().parents[2] / "README.md"
README_URL = "http://127.0.0.1:5000"


def journey_blocks() -> list[str]:
    """The indented code blocks of README.md's "Running UCS" section, up to its PostgreSQL and S3 part."""
    text = README.read_text()
    section = text[text.index("## Running UCS") : text.index("### PostgreSQL and S3")]
    return [textwrap.dedent(block) for block in re.findall(r"(?:^    .*\n)+", section, flags=re.MULTILINE)]


def test_the_readme_journey_registers_with_curl_uploads_downloads_and_leaves_the_events_pending(tmp_path):
    server_block, *blocks = journey_blocks()
    assert server_block.startswith(".venv/bin/ucs run ") and README_URL.rsplit(":", 1)[1] in server_block
    script = "set -eu\n" + "".join(blocks)
    assert "curl -X PUT" in script and "files:register" in script and "ucs files register F1" in script

    # The README's relative .venv/bin paths, from a directory of the test's own.
    work = tmp_path / "work"
    work.mkdir()
    (work / ".venv").symlink_to(VENV_BIN.parent)
    # The server trusts no outside issuer, as in the README: `ucs tokens issue` signs with its instance key.
    # Validation as `ucs run` has it by default (builtin), which `upload --wait` in the README waits for.
    with ucs_server(tmp_path / "instance", AUTH_ISSUERS="[]", VALIDATION="builtin") as server:
        env = {key: value for key, value in os.environ.items() if not key.startswith("UCS_")}
        env.update(UCS_INSTANCE_PATH=str(server.instance_path), UCS_LOAD_ENTRY_POINTS="false")
        run = subprocess.run(
            ["bash", "-c", script.replace(README_URL, server.url)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    assert run.returncode == 0, run.stdout + run.stderr
    original = (work / "reads.bam").read_bytes()
    sha256 = hashlib.sha256(original).hexdigest()
    # curl's answer is the registered file (an error would be {"code": ..., "message": ...}).
    registered, _ = json.JSONDecoder().raw_decode(run.stdout, run.stdout.index('{"'))
    assert registered["file_id"] == "F1"
    assert (registered["size"], registered["sha256"]) == (len(original), sha256)
    # The host's command finds F1 registered with the same values, and shows them.
    assert f"updated file F1: {len(original)} bytes, SHA-256 {sha256}\n" in run.stdout
    assert re.search(rf"^sha256: +{sha256}$", run.stdout, flags=re.MULTILINE)
    assert (work / "reads.copy.bam").read_bytes() == original
    # No broker, no relay: the upload's events (received, then the verdict) wait in the outbox, as the
    # README says.
    received, verdict = run.stdout.splitlines()[-2:]
    assert "file.upload_received" in received and "F1" in received
    assert "file.upload_accepted" in verdict and "F1" in verdict

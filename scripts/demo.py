"""The whole journey on the embedded default (SQLite + filesystem store), with the upload-client CLI.

Starts UCS, registers a file (the archive's role, played here over HTTP), uploads a generated file with
progress and waits (`upload --wait`) for UCS's validator (a thread of `ucs run`) to read the object back
and accept it, shows its status, downloads it, compares the SHA-256 and stops UCS. Every call carries a token
UCS issued itself (its built-in issuer): a registration token for the archive, a token that may upload
only this file for the submitter, then one that may only download it. Each step is printed; any failure
ends the demo with a non-zero exit code, and UCS is always stopped and its files removed.
Run it with `make demo`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.local_runs import MiB, sha256_of, stop, write_random_file  # noqa: E402

BIN = Path(sys.executable).parent
FILE_ID = "demo-sample-001"
SIZE = 40 * MiB + 12345  # three 16 MiB parts, the last one shorter


def step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def ucs(instance: Path) -> Iterator[str]:
    """Run `ucs run` on a free port until the block ends; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(instance.parent / "ucs.log", "wb")  # noqa: SIM115 - closed below
    env = {**os.environ, "UCS_INSTANCE_PATH": str(instance)}
    process = subprocess.Popen(
        [str(BIN / "ucs"), "run", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_health(url, process, instance.parent / "ucs.log")
        yield url
    finally:
        code = stop(process)
        log.close()
        print(how_it_ended(code))


def how_it_ended(code: int | None) -> str:
    """UCS's end in words: ending on the SIGTERM the demo sends is the normal stop, not a failure."""
    if code in (0, -signal.SIGTERM):
        return "UCS stopped"
    if code == -signal.SIGKILL:
        return "UCS did not stop on SIGTERM within 10 s and was killed"
    return f"UCS ended with exit code {code}"


def wait_for_health(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"UCS exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        with contextlib.suppress(requests.ConnectionError):
            answer = requests.get(f"{url}/health", timeout=2)
            if answer.ok:
                print(f"UCS is up at {url}: {answer.json()}")
                return
        time.sleep(0.2)
    raise SystemExit(f"UCS did not become healthy in 30 s:\n{log.read_text()[-2000:]}")


def mint(instance: Path, scope: str, subject: str, ttl: str) -> str:
    """A token from UCS's built-in issuer, as `TOKEN=$(ucs tokens issue ...)` gives it."""
    print(f'$ TOKEN=$(ucs tokens issue --scope "{scope}" --subject {subject} --ttl {ttl})', flush=True)
    env = {**os.environ, "UCS_INSTANCE_PATH": str(instance)}
    command = [str(BIN / "ucs"), "tokens", "issue", "--scope", scope, "--subject", subject, "--ttl", ttl]
    token = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout.strip()
    # A token is a secret: show its shape, never its text.
    print(f"a signed JWT of {len(token)} characters, allowing only: {scope}")
    return token


def client(*args: str, token: str, expect: int = 0) -> None:
    command = [str(BIN / "upload-client"), *args]
    print("$ UCS_TOKEN=$TOKEN " + " ".join(["upload-client", *args]), flush=True)
    code = subprocess.call(command, env={**os.environ, "UCS_TOKEN": token})
    if code != expect:
        raise SystemExit(f"upload-client {args[0]} exited with {code}, not {expect}")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="ucs-demo-") as workdir:
        work = Path(workdir)
        step("Start UCS on the embedded default (SQLite + filesystem store)")
        with ucs(work / "instance") as url:
            step(f"Generate a {SIZE} byte file")
            source = work / "sample.bam"
            sha256 = write_random_file(source, SIZE)
            print(f"{source}: sha256 {sha256}")

            instance = work / "instance"
            step(f"The archive registers {FILE_ID} with its size and SHA-256, with a registration token")
            archive = mint(instance, "files:register", "archive-portal", "5m")
            answer = requests.put(
                f"{url}/files/{FILE_ID}",
                json={"size": SIZE, "sha256": sha256},
                headers={"Authorization": f"Bearer {archive}"},
                timeout=10,
            )
            answer.raise_for_status()
            print(f"PUT /files/{FILE_ID} -> {answer.status_code}")

            step(f"The archive gives the submitter a token that may upload {FILE_ID} and nothing else")
            uploader = mint(instance, f"upload:{FILE_ID}", "submitter-alice", "1h")

            step(
                "The submitter uploads it with upload-client, and with --wait sees UCS read the stored "
                "object back and check its size, SHA-256 and ETag (docs/validation.md)"
            )
            upload = ("upload", "--file-id", FILE_ID, "--api-url", url, "--file-path", str(source), "--wait")
            client(*upload, token=uploader)

            step("Its status at UCS (the upload token may read its own file)")
            client("status", "--file-id", FILE_ID, "--api-url", url, token=uploader)

            copy = work / "downloaded.bam"
            download = ("download", "--file-id", FILE_ID, "--api-url", url, "--output", str(copy))
            step("The upload token cannot download: UCS answers 403 and the client exits 6")
            client(*download, token=uploader, expect=6)

            step("With a download token for this file, download it back")
            reader = mint(instance, f"download:{FILE_ID}", "analyst-bob", "15m")
            client(*download, token=reader)

            step("Compare the SHA-256 of both copies")
            downloaded = sha256_of(copy)
            print(f"source:     {sha256}\ndownloaded: {downloaded}")
            if downloaded != sha256:
                raise SystemExit("the downloaded file differs from the source")
            step("Stop UCS")
    print("\nDemo finished: uploaded, accepted by UCS's validator, downloaded and verified.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

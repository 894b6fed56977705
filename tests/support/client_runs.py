"""Helpers for the upload-client's end-to-end tests: test files, registration over HTTP, CLI runs."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pty
import struct
import subprocess
import termios
import time
from pathlib import Path

import requests

from scripts.local_runs import sha256_of
from tests.support.processes import VENV_BIN
from tests.support.tokens import bearer, staff_token

CLIENT = str(VENV_BIN / "upload-client")
MiB = 1024 * 1024


def make_file(path: Path, size: int, seed: int = 0) -> Path:
    """A file of size pseudo-random bytes (incompressible, different per seed)."""
    block = hashlib.sha256(str(seed).encode()).digest() * (MiB // 32)
    with open(path, "wb") as output:
        written = 0
        while written < size:
            piece = block[: min(len(block), size - written)]
            # Vary each MiB so that no two parts are equal (cut: a last piece may be shorter than 8 bytes).
            output.write((hashlib.sha256(written.to_bytes(8, "big")).digest()[:8] + piece[8:])[: len(piece)])
            written += len(piece)
    return path


def ucs_call(method: str, api_url: str, path: str, **kwargs) -> requests.Response:
    """One call to UCS as the archive's staff would make it (a staff token)."""
    return requests.request(method, api_url + path, headers=bearer(), timeout=10, **kwargs)


def register(api_url: str, file_id: str, path: Path | None = None, **body) -> dict:
    """Register a file the way the archive does, with the size and SHA-256 of path when given."""
    if path is not None:
        body = {"size": path.stat().st_size, "sha256": sha256_of(path), **body}
    response = ucs_call("PUT", api_url, f"/files/{file_id}", json=body)
    response.raise_for_status()
    return response.json()


def uploads_of(api_url: str, file_id: str) -> list[dict]:
    return ucs_call("GET", api_url, f"/files/{file_id}/multipart_uploads").json()


def pending_upload(api_url: str, file_id: str) -> dict | None:
    answer = ucs_call("GET", api_url, f"/files/{file_id}/multipart_uploads?status=pending").json()
    return answer[0] if answer else None


def stored_parts(api_url: str, upload_id: str) -> list[dict]:
    response = ucs_call("GET", api_url, f"/multipart_uploads/{upload_id}/parts")
    return response.json() if response.ok else []


def upload_args(api_url: str, file_id: str, path, *more: str) -> list[str]:
    """The arguments of `upload-client upload` for file_id from path; more are added at the end."""
    return ["upload", "--file-id", file_id, "--api-url", api_url, "--file-path", str(path), *more]


def client_env(**extra: str) -> dict[str, str]:
    """The client's environment: a staff token in UCS_TOKEN unless extra says otherwise."""
    env = {key: value for key, value in os.environ.items() if key not in ("UCS_API_URL", "UCS_TOKEN")}
    return {**env, "UCS_TOKEN": staff_token(), **extra}


def run_client(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run upload-client as a subprocess; stdout and stderr captured as text."""
    return subprocess.run(
        [CLIENT, *args], capture_output=True, text=True, env=env or client_env(), timeout=timeout
    )


def start_client(*args: str, log: Path) -> subprocess.Popen:
    """Start upload-client in the background, output to log, for tests that interrupt it."""
    with open(log, "wb") as output:
        return subprocess.Popen([CLIENT, *args], stdout=output, stderr=subprocess.STDOUT, env=client_env())


def upload_underway(args: list[str], log: Path, stored: int = 1, ucs_url: str | None = None):
    """Start the upload args describe in the background; once the store holds `stored` of its parts,
    return the process and its pending upload, as UCS at ucs_url (default: the --api-url) lists it."""
    file_id = args[args.index("--file-id") + 1]
    ucs_url = ucs_url or args[args.index("--api-url") + 1]
    process = start_client(*args, log=log)
    upload = wait_until(lambda: pending_upload(ucs_url, file_id), what="the pending upload")
    wait_until(
        lambda: len(stored_parts(ucs_url, upload["upload_id"])) >= stored, what=f"{stored} stored parts"
    )
    return process, upload


def run_in_terminal(*args: str, columns: int = 120, timeout: float = 120) -> tuple[int, str]:
    """Run upload-client on a pseudo-terminal (so it draws its progress bar); exit code and output."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    process = subprocess.Popen([CLIENT, *args], stdout=slave, stderr=slave, env=client_env())
    os.close(slave)
    output = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closes when the client exits
            break
        if not data:
            break
        output += data
    os.close(master)
    return process.wait(timeout), output.decode(errors="replace")


def show(capsys, text: str) -> None:
    """Print a measured figure to the terminal even while pytest captures output."""
    with capsys.disabled():
        print(text)


def ranges_done(journal: Path) -> int:
    """The number of finished ranges in a download's PATH.part.json (intervals of range numbers)."""
    try:
        return sum(last - first + 1 for first, last in json.loads(journal.read_text())["done"])
    except (OSError, ValueError):  # not there yet, or replaced between exists() and read
        return 0


def wait_until(condition, timeout: float = 30, what: str = "condition"):
    """Poll condition until it returns something true, and return that; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")

"""A fault-injecting HTTP proxy for end-to-end tests: it sits between the client and the object store.

It forwards each request on its own upstream connection (``Connection: close``), and for a share of the
part uploads (PUT to a presigned part URL) it injects a fault instead:

- ``reset``: read some of the body, then reset the client's connection; the store sees nothing;
- ``reset_midway``: forward half of the body to the store, then reset both connections;
- ``503``: read the whole body and answer 503 Service Unavailable; the store sees nothing.

It can also play a store outage (``outage``: every request, of any kind, answered 503 or reset), and it
can throttle part uploads, so a test can kill a client while parts are in flight, and it counts
what passes through, so a test can tell how many bytes the client sent.
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

FAULTS = ("reset", "reset_midway", "503")
CHUNK = 64 * 1024
SERVICE_UNAVAILABLE = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 19\r\n"
    b"Connection: close\r\n\r\nservice unavailable"
)


def is_part_upload(method: str, target: str) -> bool:
    """A PUT to a presigned part URL: S3's (?partNumber=) or the filesystem store's (/storage/uploads/)."""
    return method == "PUT" and ("partNumber=" in target or target.startswith("/storage/uploads/"))


@dataclass
class ProxyStats:
    requests: int = 0
    part_uploads: int = 0
    #: Body bytes of part uploads received from the client, whether or not they reached the store.
    part_bytes_received: int = 0
    faults: Counter = field(default_factory=Counter)
    #: (method, status) of the store's answers to part uploads (PUT) and downloads (GET) that reached it.
    answers: Counter = field(default_factory=Counter)


class FaultProxy:
    """Forwards 127.0.0.1:<port> to upstream; injects faults into fault_rate of the part uploads."""

    def __init__(
        self,
        upstream_port: int | None = None,
        fault_rate: float = 0.0,
        faults: Sequence[str] = FAULTS,
        seed: int = 1,
        part_rate_limit: float | None = None,
        download_rate_limit: float | None = None,
    ):
        self.upstream = ("127.0.0.1", upstream_port or 0)
        self.fault_rate = fault_rate
        self.faults = tuple(faults)
        #: Bytes per second per part upload, or None for no limit; may be changed while running.
        self.part_rate_limit = part_rate_limit
        #: Bytes per second per GET answer, or None for no limit; may be changed while running.
        self.download_rate_limit = download_rate_limit
        #: Seconds to hold each of the next part uploads or downloads (by method) before forwarding it,
        #: so that its presigned URL arrives late.
        self.delays: dict[str, list[float]] = {"PUT": [], "GET": []}
        #: "503" or "reset": every request gets that fault, whatever it is (the store is down); None: off.
        self.outage: str | None = None
        self.stats = ProxyStats()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._closed = False

    # Life cycle.

    def reset(self, seed: int = 1) -> None:
        """No faults, no throttling, fresh counters, and the fault decisions replayed from seed."""
        self.fault_rate = 0.0
        self.faults = FAULTS
        self.part_rate_limit = self.download_rate_limit = None
        self.stats = ProxyStats()
        self.delays = {"PUT": [], "GET": []}
        self.outage = None
        self._random = random.Random(seed)

    def forward_to(self, upstream_port: int) -> None:
        """Set the upstream after the proxy's own URL was handed to it (UCS signs URLs for the proxy)."""
        self.upstream = ("127.0.0.1", upstream_port)

    def start(self) -> FaultProxy:
        threading.Thread(target=self._accept, name="fault-proxy", daemon=True).start()
        return self

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    # One request per client connection.

    def _serve(self, client: socket.socket) -> None:
        upstream = None
        try:
            head, body_start = _read_head(client)
            if head is None:
                return
            method, target, headers = _parse_head(head)
            length = int(headers.get("content-length", "0"))
            part_upload = is_part_upload(method, target)
            fault = self.outage or (self._choose_fault() if part_upload else None)
            with self._lock:
                self.stats.requests += 1
                self.stats.part_uploads += part_upload
                if fault:
                    self.stats.faults[fault] += 1
            body = self._body(client, body_start, length, part_upload)
            if fault == "reset":
                _take(body, length // 2)
                _reset(client)
                return
            if fault == "503":
                _take(body, length)
                client.sendall(SERVICE_UNAVAILABLE)
                return
            transfer = part_upload or method == "GET"
            if transfer and self.delays.get(method):
                time.sleep(self.delays[method].pop(0))
            upstream = socket.create_connection(self.upstream)
            upstream.sendall(_with_connection_close(head))
            if fault == "reset_midway":
                for chunk in _take(body, length // 2):
                    upstream.sendall(chunk)
                _reset(upstream)
                _reset(client)
                return
            for chunk in body:
                upstream.sendall(chunk)
            limit = self.download_rate_limit if method == "GET" else None
            for index, data in enumerate(_throttled(iter(lambda: upstream.recv(CHUNK), b""), limit)):
                if transfer and index == 0:
                    with self._lock:
                        self.stats.answers[method, int(data.split(b" ", 2)[1])] += 1
                client.sendall(data)
        except OSError:
            pass  # either side went away; the client sees a broken connection, as it would for real
        finally:
            for connection in (client, upstream):
                if connection is not None:
                    with contextlib.suppress(OSError):
                        connection.close()

    def _choose_fault(self) -> str | None:
        with self._lock:
            if self._random.random() < self.fault_rate:
                return self._random.choice(self.faults)
        return None

    def _body(self, client: socket.socket, start: bytes, length: int, count: bool) -> Iterator[bytes]:
        """The request body, read as it is consumed; throttled and counted for part uploads."""
        remaining = length
        pending = start[:length]

        def received() -> Iterator[bytes]:
            nonlocal remaining, pending
            while remaining > 0:
                chunk = pending or client.recv(min(CHUNK, remaining))
                pending = b""
                if not chunk:
                    return
                remaining -= len(chunk)
                if count:
                    with self._lock:
                        self.stats.part_bytes_received += len(chunk)
                yield chunk

        return _throttled(received(), self.part_rate_limit if count else None)


def _throttled(chunks: Iterator[bytes], limit: float | None) -> Iterator[bytes]:
    """Pass chunks on no faster than limit bytes per second (None: as fast as they come)."""
    began = time.monotonic()
    passed = 0
    for chunk in chunks:
        passed += len(chunk)
        if limit:
            time.sleep(max(0.0, passed / limit - (time.monotonic() - began)))
        yield chunk


def _read_head(connection: socket.socket) -> tuple[bytes | None, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(CHUNK)
        if not chunk:
            return None, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", rest


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    request_line, *lines = head.decode("latin-1").split("\r\n")
    method, target, _ = request_line.split(" ", 2)
    headers = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return method, target, headers


def _with_connection_close(head: bytes) -> bytes:
    """Ask the upstream to close after its answer, so relaying until EOF relays exactly one answer."""
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:") and line]
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n"


def _take(body: Iterator[bytes], count: int) -> list[bytes]:
    """Consume about count bytes of the body (whole chunks) and return them."""
    taken: list[bytes] = []
    total = 0
    for chunk in body:
        taken.append(chunk)
        total += len(chunk)
        if total >= count:
            break
    return taken


def _reset(connection: socket.socket) -> None:
    """Close with a TCP reset (linger 0) rather than a clean FIN: what a flaky network looks like."""
    with contextlib.suppress(OSError):
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


@contextlib.contextmanager
def fault_proxy(upstream_port: int | None = None, **options) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream_port, **options).start()
    try:
        yield proxy
    finally:
        proxy.close()

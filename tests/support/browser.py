"""Headless Chromium driven over the DevTools protocol, for tests that use /docs as a person would.

Only what those tests need: open a page, run JavaScript (awaiting promises), and type text into the
focused field the way a paste does (Input.insertText), so React sees a real input event.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator

import requests
import websocket

from tests.support.processes import free_port

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")


class Page:
    def __init__(self, debugger_url: str):
        self._socket = websocket.create_connection(debugger_url, timeout=30, suppress_origin=True)
        self._ids = itertools.count(1)

    def call(self, method: str, **params) -> dict:
        number = next(self._ids)
        self._socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv())
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def evaluate(self, expression: str):
        """The value of a JavaScript expression (a promise is awaited); a thrown error fails the test."""
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(result["exceptionDetails"].get("exception", {}).get("description", result))
        return result["result"].get("value")

    def wait_until_loaded(self, url: str, timeout: float = 30) -> None:
        """Wait for url to finish loading (the first navigation destroys the blank page's context)."""
        deadline = time.monotonic() + timeout
        loaded = f"document.readyState === 'complete' && location.href.startsWith({json.dumps(url)})"
        while time.monotonic() < deadline:
            with contextlib.suppress(RuntimeError, AssertionError):
                if self.evaluate(loaded):
                    return
            time.sleep(0.2)
        raise TimeoutError(f"the page did not load within {timeout} s")

    def type_text(self, text: str) -> None:
        self.call("Input.insertText", text=text)

    def close(self) -> None:
        self._socket.close()


@contextlib.contextmanager
def browser_page(url: str) -> Iterator[Page]:
    """Chromium showing url, resolving no host but 127.0.0.1; stopped afterwards."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="ucs-chromium-", ignore_cleanup_errors=True) as profile:
        process = subprocess.Popen(
            [
                BROWSER,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                f"--user-data-dir={profile}",
                f"--remote-debugging-port={port}",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                url,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            page = Page(_page_target(port, url))
            page.wait_until_loaded(url)
            # A headless window never has the focus: without this, typed text reaches the DOM but not React.
            page.call("Emulation.setFocusEmulationEnabled", enabled=True)
            try:
                yield page
            finally:
                page.close()
        finally:
            process.terminate()
            process.wait(30)


def _page_target(port: int, url: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException, ValueError):
            targets = requests.get(f"http://127.0.0.1:{port}/json", timeout=2).json()
            for target in targets:
                if target.get("type") == "page" and target.get("url", "").startswith(url):
                    return target["webSocketDebuggerUrl"]
        time.sleep(0.2)
    raise TimeoutError(f"Chromium did not open {url} within {timeout} s")

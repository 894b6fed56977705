"""Removing what the store no longer needs (a completed upload's parts) behind the request, in one thread.

Removing 10,000 part files took about 5 s on ext4 mounted with `discard`, each unlink trimming its block:
more than everything else a completion does. The directory is renamed into trash/ within the request, so
it is gone from the upload's view at once and no part can be added to it (multipart.py, _discard); only
the unlinks happen here. What a stopped UCS leaves in trash/ goes at the next start (empty_trash).
"""

from __future__ import annotations

import queue
import shutil
import threading
from pathlib import Path


class TrashRemover:
    """One daemon thread removing the directories it is given, in turn; wait() until it has none left."""

    def __init__(self) -> None:
        self._doomed: queue.Queue[Path] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    def remove_later(self, directory: Path) -> None:
        self._doomed.put(directory)
        with self._starting:
            # Also after a fork, which keeps the object but not its thread.
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="ucs-fs-trash", daemon=True)
                self._thread.start()

    def wait(self) -> None:
        """Until every directory given so far is removed (or its removal failed: the next start retries)."""
        self._doomed.join()

    def _run(self) -> None:
        while True:
            directory = self._doomed.get()
            try:
                shutil.rmtree(directory, ignore_errors=True)
            finally:
                self._doomed.task_done()


def empty_trash(trash_dir: Path) -> None:
    for path in trash_dir.iterdir():
        shutil.rmtree(path, ignore_errors=True)

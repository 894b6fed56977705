"""The validator of `ucs run`: the embedded default judges its own uploads in a thread of the server, so a
file reaches `accepted` with nothing else running (docs/validation.md, "The three modes")."""

from __future__ import annotations

import threading

from flask import Flask

from ucs.plugins import current_storage
from ucs.validation.validator import Validator, ValidatorSettings


class InServerValidator:
    """A Validator on a daemon thread, until stop(): it releases the object it reads, as SIGTERM would."""

    def __init__(self, app: Flask):
        self.settings = ValidatorSettings.from_config(app.config)
        self.validator = Validator(app, current_storage(app), self.settings)
        self.stopping = threading.Event()
        self.thread = threading.Thread(
            target=self.validator.run, args=(self.stopping,), name="ucs-validator", daemon=True
        )

    def start(self) -> InServerValidator:
        self.thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop checking; True once the thread has ended (each object read was released first)."""
        self.stopping.set()
        self.thread.join(timeout)
        return not self.thread.is_alive()

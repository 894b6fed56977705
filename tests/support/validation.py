"""Running UCS's validator in a test: in this process (`validate_once`) and what it recorded."""

from __future__ import annotations

import threading
from collections import Counter

from flask import Flask

from tests.support.rest import Rest, upload_path
from ucs.plugins import current_storage
from ucs.validation.validator import Validator, ValidatorSettings


def validate_once(app: Flask, recheck_age: float | None = None, **overrides) -> Counter:
    """What `ucs validate --once` (or `--recheck --older-than`) does, in this process; returns the tally."""
    settings = ValidatorSettings.from_config({**app.config, **overrides})
    return Validator(app, current_storage(app), settings, recheck_age, once=True).run(threading.Event())


def upload_state(rest: Rest, upload_id: str) -> dict:
    return rest.expect(200, "GET", upload_path(upload_id)).json()

"""The one way tests build a UCS app: test defaults, then the settings the test names.

Tests of the factory's own defaults call create_app directly; everything else comes through here, so a
setting every test app needs is added once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from tests.support.tokens import auth_settings
from ucs import create_app
from ucs.plugins import current_storage
from ucs.storage import StorageBackend


def build_app(
    instance_path: Path | str,
    tokens: bool = True,
    testing: bool = True,
    check_schema: bool = False,
    **settings: Any,
) -> Flask:
    """An app with its instance directory at instance_path; settings are UCS's, without the UCS_ prefix.

    tokens: trust the test issuer (tests/support/tokens.py); testing: Flask's TESTING. Entry points are
    never loaded, so a plugin installed on the machine cannot change a test.

    Validation is external unless a test asks otherwise (VALIDATION="builtin"): no validator runs in a test
    app, and with external validation uploaded files are served and verdicts come as events, so tests that
    upload and then download at once (or publish a verdict) test what they always did. Validation's own
    tests (tests/integration/test_validation*.py) choose builtin.
    """
    config: dict[str, Any] = {"LOAD_ENTRY_POINTS": False, "VALIDATION": "external"}
    if testing:
        config["TESTING"] = True
    if tokens:
        config.update(auth_settings())
    config.update(settings)
    return create_app(config, check_schema=check_schema, instance_path=str(instance_path))


def storage_from_settings(tmp_path: Path, **settings: Any) -> StorageBackend:
    """Build a backend the way start-up does: through the plugin manager and the registry."""
    return current_storage(build_app(tmp_path / "instance", tokens=False, **settings))

"""The hooks that plugins implement, each argument typed.

Every hook is documented in docs/plugins.md (a test checks it); docs/architecture.md, "Plugins", tells
when each is called.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # the hooks' argument types, without importing Flask or the event code for them
    from flask import Flask

    from ucs.events import EventPublisher, EventSource
    from ucs.settings import Settings
    from ucs.storage import BackendRegistry

hookspec = pluggy.HookspecMarker("ucs")
hookimpl = pluggy.HookimplMarker("ucs")

# Where create_app keeps the plugin manager, in app.extensions; here, free of Flask, so that the event code
# below the app (ucs/events/broker.py) names it too.
PLUGINS_EXTENSION = "ucs.plugins"


@hookspec
def ucs_add_settings(settings: Settings) -> None:
    """Declare this plugin's UCS_* settings with ``settings.add(Setting(key, default, ...))``."""


@hookspec
def ucs_register_storage_backends(registry: BackendRegistry) -> None:
    """Add storage backends with ``registry.add(name, factory)``; factory(config) returns a StorageBackend."""


@hookspec
def ucs_init_app(app: Flask) -> None:
    """Called once the app is configured, e.g. to register a blueprint (the filesystem store's URLs)."""


@hookspec(firstresult=True)
def ucs_make_event_publisher(config: Mapping[str, Any]) -> EventPublisher | None:
    """Return an EventPublisher (ucs.events) for these settings, or None when not configured; first answer wins."""


@hookspec(firstresult=True)
def ucs_make_event_source(config: Mapping[str, Any]) -> EventSource | None:
    """Return an EventSource (ucs.events) of consumed events, or None when not configured; first answer wins."""

"""The hooks that plugins implement. Every hook is documented in docs/plugins.md (a test checks it)."""

import pluggy

hookspec = pluggy.HookspecMarker("ucs")
hookimpl = pluggy.HookimplMarker("ucs")


@hookspec
def ucs_register_storage_backends(registry):
    """Add storage backends with ``registry.add(name, factory)``; factory(config) returns a StorageBackend."""


@hookspec
def ucs_init_app(app):
    """Called once the app is configured, e.g. to register a blueprint (the filesystem store's URLs)."""


@hookspec(firstresult=True)
def ucs_make_event_publisher(config):
    """Return an EventPublisher (ucs.events) for these settings, or None when not configured; first answer wins."""


@hookspec(firstresult=True)
def ucs_make_event_source(config):
    """Return an EventSource (ucs.events) of consumed events, or None when not configured; first answer wins."""

"""The filesystem plugin: the embedded default store, with the routes that serve its presigned URLs.

Its settings are UCS_FILESYSTEM_ROOT, UCS_STORAGE_SIGNING_KEY and UCS_FILESYSTEM_PUBLIC_URL
(docs/configuration.md); UCS_STORAGE_ROOT and UCS_PUBLIC_URL, their old names, still work with a warning.
"""

from __future__ import annotations

import os

from ucs.hookspecs import hookimpl
from ucs.plugin_settings import Setting
from ucs.plugins import current_storage
from ucs_plugins.filesystem.backend import FilesystemBackend
from ucs_plugins.filesystem.multipart import PartTooLarge
from ucs_plugins.filesystem.routes import make_blueprint

__all__ = ["FilesystemBackend", "PartTooLarge"]


def _root_in_instance(root: str | None, instance_path: str) -> str:
    return os.path.join(instance_path, "storage") if root is None else root


SETTINGS = (
    # Where parts and objects live. None means instance/storage.
    Setting("FILESYSTEM_ROOT", None, resolve=_root_in_instance, old_keys=("STORAGE_ROOT",)),
    # The key that signs its presigned URLs. None means one kept in the storage root.
    Setting("STORAGE_SIGNING_KEY", None, secret=True),
    # Base URL that clients reach UCS on, for the URLs UCS signs for this store. None: the request's host.
    Setting("FILESYSTEM_PUBLIC_URL", None, old_keys=("PUBLIC_URL",)),
)


@hookimpl
def ucs_add_settings(settings):
    settings.add(*SETTINGS)


@hookimpl
def ucs_register_storage_backends(registry):
    registry.add("filesystem", FilesystemBackend.from_config)


@hookimpl
def ucs_init_app(app):
    backend = current_storage(app)
    if isinstance(backend, FilesystemBackend):
        app.register_blueprint(make_blueprint(backend))

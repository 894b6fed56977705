"""Build the plugin manager: built-in plugins first, then those installed under the entry point group "ucs".

Also the one way to reach what the plugins built for an app: its storage backend (current_storage).
"""

from __future__ import annotations

import importlib

import pluggy
from flask import Flask, current_app

from ucs import hookspecs
from ucs.hookspecs import PLUGINS_EXTENSION
from ucs.storage import StorageBackend

__all__ = ["PLUGINS_EXTENSION", "STORAGE_EXTENSION", "current_storage", "make_plugin_manager"]

# Where create_app keeps the storage backend it built, in app.extensions (the plugin manager: PLUGINS_EXTENSION).
STORAGE_EXTENSION = "ucs.storage"

# Built-in features are ordinary plugins, registered exactly like third-party ones.
DEFAULT_PLUGINS = (
    "ucs_plugins.filesystem",
    "ucs_plugins.s3",
    "ucs_plugins.minio",
    "ucs_plugins.rabbitmq",
)


def make_plugin_manager(
    load_entry_points: bool = True, blocked: tuple[str, ...] = ()
) -> pluggy.PluginManager:
    """A plugin manager with the built-in plugins and, if asked, those installed under the group "ucs".

    blocked names plugins never to load: an entry point's name, or a built-in plugin's module name
    (``ucs_plugins.s3``) or short name (``s3``).
    """
    pm = pluggy.PluginManager("ucs")
    pm.add_hookspecs(hookspecs)
    for name in blocked:
        pm.set_blocked(name)
    for module_name in DEFAULT_PLUGINS:
        if not (pm.is_blocked(module_name) or pm.is_blocked(short_name(module_name))):
            pm.register(importlib.import_module(module_name), name=module_name)
    if load_entry_points:
        pm.load_setuptools_entrypoints("ucs")
    pm.check_pending()
    return pm


def short_name(module_name: str) -> str:
    """A built-in plugin's short name: ucs_plugins.s3 -> s3."""
    return module_name.rpartition(".")[2]


def current_storage(app: Flask | None = None) -> StorageBackend:
    """The storage backend of app (by default the current app), built at start-up from UCS_STORAGE_BACKEND."""
    return (app if app is not None else current_app).extensions[STORAGE_EXTENSION]

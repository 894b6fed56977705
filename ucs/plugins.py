"""Build the plugin manager: built-in plugins first, then those installed under the entry point group "ucs"."""

import importlib

import pluggy

from ucs import hookspecs

# Built-in features are ordinary plugins, registered exactly like third-party ones.
DEFAULT_PLUGINS = (
    "ucs_plugins.filesystem",
    "ucs_plugins.s3",
    "ucs_plugins.rabbitmq",
)


def make_plugin_manager(
    load_entry_points: bool = True, blocked: tuple[str, ...] = ()
) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("ucs")
    pm.add_hookspecs(hookspecs)
    for name in blocked:
        pm.set_blocked(name)
    for module_name in DEFAULT_PLUGINS:
        if not pm.is_blocked(module_name):
            pm.register(importlib.import_module(module_name), name=module_name)
    if load_entry_points:
        pm.load_setuptools_entrypoints("ucs")
    pm.check_pending()
    return pm

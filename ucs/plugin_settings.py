"""What a plugin needs to declare its settings through the ucs_add_settings hook (docs/plugins.md).

A plugin's settings are read exactly as UCS's own are, by one mechanism (ucs/settings.py): typed like
the default, a bad value stops start-up with one line naming the variable, and the mapping passed to
create_app wins over the environment.
"""

from ucs.settings import ConfigError, Setting, Settings

__all__ = ["ConfigError", "Setting", "Settings"]

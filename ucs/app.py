"""The application factory."""

import logging
import os
from collections.abc import Mapping
from typing import Any

import pluggy
from flask import Flask

from ucs import auth
from ucs.api import register_api
from ucs.api.drs.settings import DRS_SETTINGS
from ucs.api.errors import register_error_handlers
from ucs.api.smorest import api
from ucs.auth.settings import AUTH_SETTINGS
from ucs.config import CORE_SETTINGS
from ucs.db import read_only
from ucs.db.base import db, migrate
from ucs.db.pool_checks import ping_idle_connections
from ucs.db.schema import MIGRATIONS_DIR, DatabaseNotReady, ensure_schema
from ucs.events import relay
from ucs.observability.wiring import init_observability
from ucs.plugins import PLUGINS_EXTENSION, STORAGE_EXTENSION, make_plugin_manager
from ucs.settings import INSTANCE_PATH_VARIABLE, ConfigError, Settings
from ucs.storage import BackendRegistry, StorageError, UnknownStorageBackend
from ucs.validation.settings import VALIDATION_SETTINGS, check_validation_settings

log = logging.getLogger(__name__)


# What stops start-up with one line for the operator instead of a traceback: settings, database, store.
STARTUP_ERRORS = (ConfigError, DatabaseNotReady, UnknownStorageBackend, StorageError)


def create_app(
    config: Mapping[str, Any] | None = None,
    check_schema: bool = False,
    instance_path: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Flask:
    """Build a UCS app: defaults, then UCS_* variables of environ, then the mapping passed in.

    environ None means os.environ, for the entry points that serve (the ucs command, ucs.wsgi); tests and
    embedding applications pass their own (an empty one: only config counts). Every setting is declared
    (core_settings, then the plugins' through ucs_add_settings) and read in one pass (ucs/settings.py).

    With check_schema, the embedded default database is migrated and any other database must already be
    current (servers ask for this; the `ucs db` commands and tests do not).
    """
    environ = os.environ if environ is None else environ
    app = Flask("ucs", instance_path=instance_path or environ.get(INSTANCE_PATH_VARIABLE) or None)
    given = config or {}
    core = core_settings()
    # Which plugins load is itself a setting, read first; then every setting is read and checked at once.
    plugins = make_plugin_manager(
        load_entry_points=core.value("LOAD_ENTRY_POINTS", given, environ, app.instance_path),
        blocked=tuple(core.value("BLOCKED_PLUGINS", given, environ, app.instance_path)),
    )
    settings = declared_settings(plugins)
    settings.read_undeclared(app.config, environ)
    app.config.update(settings.read(given, environ, app.instance_path))
    # Keys no one declares (Flask's TESTING, say) come from the mapping only.
    app.config.update({key: value for key, value in given.items() if key not in settings})
    _derive_settings(app)
    auth.init_app(app)

    db.init_app(app)
    with app.app_context():
        ping_idle_connections(db.engine)
    read_only.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    api.init_app(app)
    register_api(api, app)
    register_error_handlers(app)

    registry = BackendRegistry()
    plugins.hook.ucs_register_storage_backends(registry=registry)
    app.extensions[PLUGINS_EXTENSION] = plugins
    app.extensions[STORAGE_EXTENSION] = registry.create(app.config["STORAGE_BACKEND"], app.config)
    plugins.hook.ucs_init_app(app=app)
    init_observability(app, settings.secret_keys())
    relay.init_app(app)

    if check_schema:
        ensure_schema(app)
    return app


def core_settings() -> Settings:
    """UCS's own settings: the app's, access control's, the relay's and DRS's. Plugins add theirs."""
    return Settings(
        (*CORE_SETTINGS, *AUTH_SETTINGS, *relay.RELAY_SETTINGS, *DRS_SETTINGS, *VALIDATION_SETTINGS)
    )


def declared_settings(plugins: pluggy.PluginManager) -> Settings:
    """Every setting: UCS's own and those the registered plugins declare."""
    settings = core_settings()
    plugins.hook.ucs_add_settings(settings=settings)
    return settings


def _derive_settings(app: Flask) -> None:
    """Fill the settings whose defaults live in the instance directory."""
    os.makedirs(app.instance_path, exist_ok=True)
    database_url = app.config["DATABASE_URL"]
    if database_url is None:
        database_url = "sqlite:///" + os.path.join(app.instance_path, "ucs.sqlite3")
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url
    # Connections are checked before use when idle (ucs/db/pool_checks.py), not on every checkout.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    check_validation_settings(app.config)

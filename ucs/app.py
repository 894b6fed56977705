"""The application factory."""

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from ucs import auth
from ucs.api import register_api
from ucs.api.errors import register_error_handlers
from ucs.api.smorest import api
from ucs.config import (
    INSTANCE_PATH_VARIABLE,
    ConfigError,
    DefaultConfig,
    check_limits,
    core_keys,
    read_environment,
)
from ucs.db import read_only
from ucs.db.base import db, migrate
from ucs.db.pool_checks import ping_idle_connections
from ucs.db.schema import MIGRATIONS_DIR, DatabaseNotReady, ensure_schema
from ucs.events import relay
from ucs.observability.wiring import init_observability
from ucs.plugin_settings import declared_settings
from ucs.plugins import PLUGINS_EXTENSION, STORAGE_EXTENSION, make_plugin_manager
from ucs.storage import BackendRegistry, StorageError, UnknownStorageBackend
from ucs.validation.settings import check_validation_settings

log = logging.getLogger(__name__)


# What stops start-up with one line for the operator instead of a traceback: settings, database, store.
STARTUP_ERRORS = (ConfigError, DatabaseNotReady, UnknownStorageBackend, StorageError)


def create_app(
    config: Mapping[str, Any] | None = None, check_schema: bool = False, instance_path: str | None = None
) -> Flask:
    """Build a UCS app: defaults, then UCS_* environment variables, then the mapping passed in.

    Core settings are read first, as they say which plugins load; then the settings those plugins declare.

    With check_schema, the embedded default database is migrated and any other database must already be
    current (servers ask for this; the `ucs db` commands and tests do not).
    """
    app = Flask("ucs", instance_path=instance_path or os.environ.get(INSTANCE_PATH_VARIABLE) or None)
    given = config or {}
    app.config.from_object(DefaultConfig)
    read_environment(app.config, os.environ)
    app.config.update(given)
    # Which plugins load is itself a setting; then the plugins' own settings are read the same way.
    plugins = make_plugin_manager(
        load_entry_points=app.config["LOAD_ENTRY_POINTS"], blocked=tuple(app.config["BLOCKED_PLUGINS"])
    )
    settings = declared_settings(plugins, core_keys())
    settings.apply(app.config, given, app.instance_path, os.environ)
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


def _derive_settings(app: Flask) -> None:
    """Fill the settings whose defaults live in the instance directory."""
    os.makedirs(app.instance_path, exist_ok=True)
    database_url = app.config["DATABASE_URL"]
    if database_url is None:
        database_url = "sqlite:///" + os.path.join(app.instance_path, "ucs.sqlite3")
    try:
        make_url(database_url).get_dialect()
    except (ArgumentError, NoSuchModuleError) as error:
        raise ConfigError(f"UCS_DATABASE_URL is not a database URL UCS can use: {error}") from None
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url
    # Connections are checked before use when idle (ucs/db/pool_checks.py), not on every checkout.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    check_limits(app.config)
    check_validation_settings(app.config)

"""The WSGI entry point for production servers: `gunicorn 'ucs.wsgi:app'`."""

import sys

from ucs.app import create_app
from ucs.config import ConfigError
from ucs.database import DatabaseNotReady
from ucs.storage import UnknownStorageBackend

# gunicorn's "App failed to load" exit status: its master then stops, instead of restarting workers that
# fail the same way forever (which is what any other exit status of a worker leads to).
APP_LOAD_ERROR = 4

try:
    app = create_app(check_schema=True)
except (ConfigError, DatabaseNotReady, UnknownStorageBackend) as error:
    print(f"UCS cannot start: {error}", file=sys.stderr, flush=True)
    raise SystemExit(APP_LOAD_ERROR) from None

"""The WSGI entry point for production servers: `gunicorn 'ucs.wsgi:app'`."""

import sys

from ucs.app import STARTUP_ERRORS, create_app

# gunicorn's "App failed to load" exit status: its master then stops, instead of restarting workers that
# fail the same way forever (which is what any other exit status of a worker leads to).
APP_LOAD_ERROR = 4

try:
    app = create_app(check_schema=True)
except STARTUP_ERRORS as error:
    print(f"UCS cannot start: {error}", file=sys.stderr, flush=True)
    raise SystemExit(APP_LOAD_ERROR) from None

"""The WSGI entry point for production servers: `gunicorn 'ucs.wsgi:app'`."""

from ucs.app import create_app
from ucs.database import SchemaNotCurrent

try:
    app = create_app(check_schema=True)
except SchemaNotCurrent as error:
    raise SystemExit(f"UCS cannot start: {error}") from None

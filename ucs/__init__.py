"""UCS, the Upload Controller Service."""

from ucs.app import create_app

__all__ = ["create_app"]

"""UCS, the Upload Controller Service."""

from importlib.metadata import version

__all__ = ["__version__", "create_app"]

# The installed distribution's version (pyproject.toml), which `ucs --version` shows.
__version__ = version("ucs")


def __getattr__(name: str):
    # Imported on first use, so that `import ucs.<module>` stays light: gunicorn's master imports
    # ucs.cli.gunicorn_config, which must run before anything imports prometheus_client.
    if name == "create_app":
        from ucs.app import create_app

        return create_app
    raise AttributeError(f"module 'ucs' has no attribute {name!r}")

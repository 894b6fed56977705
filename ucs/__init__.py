"""UCS, the Upload Controller Service."""

__all__ = ["__version__", "create_app"]


def __getattr__(name: str):
    # Imported on first use, so that `import ucs.<module>` stays light: gunicorn's master imports
    # ucs.cli.gunicorn_config, which must run before anything imports prometheus_client.
    if name == "create_app":
        from ucs.app import create_app

        return create_app
    if name == "__version__":  # the installed distribution's (pyproject.toml), which `ucs --version` shows
        from importlib.metadata import version

        return version("ucs")
    raise AttributeError(f"module 'ucs' has no attribute {name!r}")

"""upload-client: move very large files to and from UCS part by part, resumably, verifying every byte.

It talks to UCS only over HTTP (the REST contract in docs/api.md) and sends the bytes straight to
the object store through presigned URLs.
"""

from importlib.metadata import version

__all__ = ["__version__"]

__version__ = version("ucs")  # the client ships in the ucs distribution (pyproject.toml)

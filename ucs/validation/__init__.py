"""Validation: reading stored objects back to check them (docs/architecture.md, "Validation").

reader.py reads an object's bytes through the storage protocol and hashes them. It knows nothing of Flask,
the database or events, so the validator process, a CLI command or a benchmark can all use it.
"""

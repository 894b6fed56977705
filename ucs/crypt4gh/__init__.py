"""Crypt4GH on the archive's side: its key pair, and the headers of stored uploads opened and re-encrypted.

The format itself (keys, key files, headers, segments) is `upload_client.crypt4gh`, the one implementation
the client and UCS share; this package adds what only the archive does with its secret key, and the
`ucs crypt4gh` commands. No Flask or SQLAlchemy here except in `commands.py`'s click group, so the web
layer, a validator or a rotation job may all use it. docs/encryption.md describes the model.
"""

"""GA4GH Crypt4GH: keys, headers and 64 KiB segments, written so the reference `crypt4gh` tool reads them.

The client encrypts and decrypts with it, and UCS (`ucs.crypt4gh`) opens and re-encrypts headers with it:
one implementation of the format for both sides, so this package imports nothing from `ucs`, only the
standard library, `cryptography` and `bcrypt`. docs/encryption.md describes the model.

- `keys`: X25519 key pairs, and their secrets kept out of reprs.
- `key_files`: the reference tool's key file formats (public, and secret with an optional passphrase).
- `header`: the header: parse, open with a secret key, make for readers.
- `segments`: encrypting and decrypting byte ranges segment by segment, and the sizes that follow.
- `envelope`: a new upload's data key and header; a file that is Crypt4GH already, its header split off.
- `layout`: a file's upload parts as whole numbers of segments, within 10,000 parts.
- `errors`: everything that can go wrong, none of it carrying key bytes or passphrases.
"""

"""The archive's Crypt4GH keys: open the headers written for them, re-encrypt them for readers and rotation.

A submitter's client writes each upload's header for the archive's public key; UCS keeps that header beside
the upload and never the data key. With the secret key UCS can read the data key (for the validator),
write the header again for a downloader's public key (the object is never decrypted, the data key never
travels in the clear), and rewrite stored headers for a new archive key when the key is rotated.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from upload_client.crypt4gh.errors import NotForThisKey
from upload_client.crypt4gh.header import Header, make_header, open_header, packets_for_others, parse_header
from upload_client.crypt4gh.key_files import Passphrase, read_secret_key
from upload_client.crypt4gh.keys import DataKey, PublicKey, SecretKey


@dataclass(frozen=True)
class ArchiveKeys:
    """The archive's current secret key, and the previous ones whose headers a rotation has yet to rewrite."""

    current: SecretKey
    previous: tuple[SecretKey, ...] = ()

    @classmethod
    def from_files(
        cls,
        current: str | os.PathLike,
        passphrase: Passphrase = None,
        previous: Sequence[str | os.PathLike] = (),
    ) -> ArchiveKeys:
        """The keys in these secret key files, all under one passphrase (KeyFileError names the bad file)."""
        return cls(
            read_secret_key(current, passphrase),
            tuple(read_secret_key(path, passphrase) for path in previous),
        )

    @property
    def public_key(self) -> PublicKey:
        """What submitters encrypt for (`GET /crypt4gh/public-key`, once published)."""
        return self.current.public_key

    def data_key(self, header: bytes) -> DataKey:
        """The data key of an upload's header; NotForThisKey if it was written for no key of the archive."""
        return self._open(header)[2]

    def header_for(self, header: bytes, readers: Sequence[PublicKey]) -> bytes:
        """The header of a stored upload, written for the readers alone (a downloader's public key).

        Written with the archive's current key, so a reader can check who wrote it against the published
        public key (`crypt4gh decrypt --sender_pk`).
        """
        _, _, data_key = self._open(header)
        return make_header(data_key, readers, writer=self.current)

    def rotated(self, header: bytes) -> bytes | None:
        """The header written for the current key if it was for a previous one; None if nothing is to do.

        The previous key's packets are replaced, so it no longer opens the header; other readers' packets
        (the submitter's own) are kept. A rotation job rewrites each stored header with this, in any order
        and as often as it is stopped: a header already for the current key is left as it is.
        """
        parsed, key, data_key = self._open(header)
        if key is self.current:
            return None
        ours = parse_header(make_header(data_key, [self.current.public_key], writer=self.current)).packets
        return Header(packets_for_others(parsed, key) + ours).to_bytes()

    def _open(self, header: bytes) -> tuple[Header, SecretKey, DataKey]:
        """The parsed header, the archive's key it is for, and the data key it gives."""
        parsed = parse_header(header)
        for key in (self.current, *self.previous):
            try:
                return parsed, key, open_header(parsed, key)
            except NotForThisKey:
                continue
        raise NotForThisKey(
            f"the Crypt4GH header is not for the archive's key (public key {self.public_key.fingerprint}): "
            "it was encrypted for another key"
        )

"""An upload's envelope: the Crypt4GH header UCS keeps beside the upload, while the object holds segments.

A file the client encrypts gets a new data key and a header for the archive's public key (and, if the
submitter wants to decrypt it again or resume from another machine, for the submitter's key too). A file
the reference tool already encrypted brings its own header: it is split off and sent as the envelope, and
the segments after it are uploaded as they are; UCS checks that the header is for the archive's key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from upload_client.crypt4gh.header import MAGIC, is_crypt4gh, make_header, read_header
from upload_client.crypt4gh.keys import DataKey, PublicKey, SecretKey
from upload_client.crypt4gh.segments import plaintext_size


@dataclass(frozen=True)
class NewEnvelope:
    """A new upload's data key and its header; the data key stays on the submitter's machine."""

    data_key: DataKey
    header: bytes


def new_envelope(archive_key: PublicKey, submitter: SecretKey | None = None) -> NewEnvelope:
    """A fresh random data key and its header for the archive, and for the submitter when given.

    With a submitter key the header is written with it (the archive can tell who wrote the file) and the
    submitter can open it again; without one it is written with a one-off key, as `crypt4gh encrypt` does.
    """
    data_key = DataKey.generate()
    readers = [archive_key] if submitter is None else [archive_key, submitter.public_key]
    return NewEnvelope(data_key, make_header(data_key, readers, writer=submitter))


@dataclass(frozen=True)
class EncryptedFile:
    """A local file that is Crypt4GH already: its header, and where its segments start and end."""

    header: bytes
    segments_offset: int
    ciphertext_size: int
    plaintext_size: int


def recognise(path: str | os.PathLike) -> EncryptedFile | None:
    """The header and segments of a file that is Crypt4GH already; None for any other file.

    A file that starts with the magic bytes but whose header or segment sizes are broken is an error
    (HeaderInvalid, Crypt4GHError), not plaintext: uploading it as plaintext would hide the problem.
    """
    with open(path, "rb") as file:
        if not is_crypt4gh(file.read(len(MAGIC))):
            return None
        file.seek(0)
        header = read_header(file)
        header_bytes = header.to_bytes()
        file_size = os.fstat(file.fileno()).st_size
    ciphertext = file_size - header.size
    return EncryptedFile(header_bytes, header.size, ciphertext, plaintext_size(ciphertext))

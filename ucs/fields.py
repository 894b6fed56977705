"""Marshmallow fields that the REST API and the event consumer validate alike."""

import marshmallow as ma

# Sizes are stored as 64-bit integers (BIGINT); anything larger would fail in the database.
MAX_STORED_SIZE = 2**63 - 1


def size_field(**kwargs) -> ma.fields.Integer:
    return ma.fields.Integer(
        strict=True,
        validate=ma.validate.Range(
            min=0,
            max=MAX_STORED_SIZE,
            error=f"size must be a whole number of bytes from 0 to {MAX_STORED_SIZE}",
        ),
        **kwargs,
    )


def sha256_field(**kwargs) -> ma.fields.String:
    return ma.fields.String(
        validate=ma.validate.Regexp(
            r"^[0-9a-f]{64}$", error="sha256 must be 64 lowercase hexadecimal characters"
        ),
        metadata={"description": "SHA-256 of the whole file, lowercase hex"},
        **kwargs,
    )

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


class BoundedList(ma.fields.List):
    """A list whose length is checked before its items: a million wrong items make one error, not a million."""

    def __init__(self, inner, max_length: int, **kwargs):
        super().__init__(inner, **kwargs)
        self.max_length = max_length
        self.metadata = {"maxItems": max_length, **self.metadata}  # what /openapi.json says of it

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list) and len(value) > self.max_length:
            raise ma.ValidationError(f"at most {self.max_length} items, not {len(value)}")
        return super()._deserialize(value, attr, data, **kwargs)

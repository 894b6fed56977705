"""A file cut into parts: the byte ranges a transfer moves one by one, uploads and downloads alike."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Part:
    """A byte range of the file: a multipart upload part or a download range (numbered from 1)."""

    number: int
    offset: int
    size: int

    @property
    def end(self) -> int:
        return self.offset + self.size


def split(size: int, part_size: int) -> list[Part]:
    """Cut size bytes into parts of part_size; the last part holds the rest.

    An empty file is one empty part: a multipart upload completes only with at least one part.
    """
    if size == 0:
        return [Part(1, 0, 0)]
    return [
        Part(number, offset, min(part_size, size - offset))
        for number, offset in enumerate(range(0, size, part_size), start=1)
    ]

"""Time every call a storage backend makes to its store, and count and log each failure (ucs_storage_*)."""

from __future__ import annotations

import functools
import logging
import time

from ucs.observability import metrics
from ucs.storage import InvalidParts, ObjectNotFound, StorageBackend, UploadNotFound

log = logging.getLogger("ucs.instrumented_storage")  # the name logs have always carried (docs/operations.md)

# The StorageBackend protocol's operations: the label values of ucs_storage_* metrics.
OPERATIONS = (
    "create_multipart_upload",
    "presign_upload_part",
    "presign_upload_parts",
    "list_parts",
    "complete_multipart_upload",
    "abort_multipart_upload",
    "head_object",
    "presign_download",
    "check",
    "delete_object",
    "list_multipart_uploads",  # optional (ucs.storage.ListsUploads)
)
# Answers, not failures: UCS asks expecting them at times (is the object there? does the store still
# hold the upload?) and a client's wrong part list is the client's error.
ANSWERS = (UploadNotFound, ObjectNotFound, InvalidParts)


def instrument(backend: StorageBackend) -> None:
    """Replace the backend's operations by timed ones, on the instance: its type and other methods stay."""
    for operation in OPERATIONS:
        if not hasattr(backend, operation):
            continue  # an optional operation this backend does not offer
        timed = _timed(backend.name, operation, getattr(backend, operation))
        try:
            setattr(backend, operation, timed)
        except AttributeError:  # __slots__ or a frozen class: serve untimed rather than not at all
            log.warning("storage backend %s cannot be timed: no ucs_storage_* metrics", backend.name)
            return


def _timed(backend_name: str, operation: str, method):
    @functools.wraps(method)
    def call(*args, **kwargs):
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        except ANSWERS:
            raise
        except Exception as error:
            metrics.STORAGE_ERRORS.labels(backend_name, operation).inc()
            log.warning(
                "object store error in %s: %s",
                operation,
                error,
                extra={"backend": backend_name, "operation": operation},
            )
            raise
        finally:
            metrics.STORAGE_DURATION.labels(backend_name, operation).observe(time.perf_counter() - started)

    return call

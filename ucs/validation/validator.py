"""The validator: threads that claim objects under a lease, read them back and record what they found.

`ucs validate` runs one (ucs/cli/validate.py) and `ucs run` one in a thread (ucs/validation/in_server.py);
docs/validation.md says what they check and how they share the work. Each thread loops: claim the next
object (ucs/operations/validation.py), read it through the store's read_range (ucs/validation/reader.py)
while renewing the lease, then record a verdict or a fixity result in one transaction. The store failing
never judges an object: it is released, due again after a delay that doubles with each attempt.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from ucs.db.base import db
from ucs.db.models import utcnow
from ucs.observability import metrics
from ucs.operations import validation
from ucs.operations.validation import Claim
from ucs.storage import ObjectNotFound, StorageBackend, StorageError
from ucs.validation.checks import Finding, check_object, missing, size_problem
from ucs.validation.reader import ReadConfig, ReadStopped, digest_object
from ucs.validation.settings import validator_id

log = logging.getLogger("ucs.validation")

MB = 1000 * 1000


@dataclass(frozen=True)
class ValidatorSettings:
    """How a validator works: its id, objects at once, how it reads, its lease and its waits (seconds)."""

    validator_id: str
    concurrency: int
    read: ReadConfig
    lease: float
    retry_delay: float
    retry_max_delay: float
    poll_interval: float

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], concurrency: int | None = None, readers: int | None = None
    ) -> ValidatorSettings:
        """The UCS_VALIDATION_* settings, with the command line's --concurrency and --readers over them."""
        read = ReadConfig(
            readers=readers or int(config["VALIDATION_READERS"]),
            range_size=int(config["VALIDATION_RANGE_SIZE"]),
            buffer_size=min(ReadConfig.buffer_size, int(config["VALIDATION_RANGE_SIZE"])),
        )
        return cls(
            validator_id=validator_id(config),
            concurrency=concurrency or int(config["VALIDATION_CONCURRENCY"]),
            read=read,
            lease=float(config["VALIDATION_LEASE"]),
            retry_delay=float(config["VALIDATION_RETRY_DELAY"]),
            retry_max_delay=float(config["VALIDATION_RETRY_MAX_DELAY"]),
            poll_interval=float(config["VALIDATION_POLL_INTERVAL"]),
        )


class LeaseLost(Exception):
    """Another validator took the object over (our lease ran out): stop reading it and record nothing."""


class Validator:
    """settings.concurrency threads checking objects until stop is set; with once, until none is left.

    recheck_age (seconds): re-check accepted objects last found intact longer ago than that, instead of
    validating uploaded ones.
    """

    def __init__(
        self,
        app: Flask,
        storage: StorageBackend,
        settings: ValidatorSettings,
        recheck_age: float | None = None,
        once: bool = False,
    ):
        self.app = app
        self.storage = storage
        self.settings = settings
        self.recheck_age = recheck_age
        self.once = once
        self.tally: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._started = utcnow()

    def run(self, stop: threading.Event) -> Counter[str]:
        """Check objects on settings.concurrency threads until stop is set (or, with once, none is left);
        returns how many objects ended with each outcome."""
        self._started = utcnow()
        threads = [
            threading.Thread(target=self._work, args=(index, stop), name=f"ucs-validate-{index}", daemon=True)
            for index in range(self.settings.concurrency)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return self.tally

    def _recheck_before(self):
        """Objects last found intact before this are due. A run with once counts from its start, so it
        never re-checks an object it checked itself."""
        if self.recheck_age is None:
            return None
        return (self._started if self.once else utcnow()) - timedelta(seconds=self.recheck_age)

    def _work(self, index: int, stop: threading.Event) -> None:
        owner = f"{self.settings.validator_id}#{index}"
        delay = self.settings.poll_interval
        with self.app.app_context():
            while not stop.is_set():
                try:
                    claimed = validation.claim(owner, self.settings.lease, self._recheck_before())
                    if claimed is not None:
                        self._count(self.check(claimed, owner, stop))
                    elif self.once and not validation.leased(self._recheck_before()):
                        return
                    else:
                        stop.wait(self.settings.poll_interval)
                    delay = self.settings.poll_interval
                except SQLAlchemyError as error:
                    db.session.rollback()
                    log.warning("validation: the database failed, retrying in %.1f s: %s", delay, error)
                    stop.wait(delay)
                    delay = min(delay * 2, self.settings.retry_max_delay)

    def _count(self, outcome: str) -> None:
        with self._lock:
            self.tally[outcome] += 1

    def check(self, claimed: Claim, owner: str, stop: threading.Event) -> str:
        """Read one claimed object and record what was found; returns the outcome."""
        started = time.monotonic()
        expected = claimed.expected
        try:
            info = self.storage.head_object(expected.key)
            problem = size_problem(expected, info)
            if problem is not None:
                finding = Finding(False, problem)
            else:
                progress = _Progress(self, claimed, owner, info.size)
                digest = digest_object(
                    self.storage, expected.key, self.settings.read, progress, info=info, stop=stop
                )
                finding = check_object(expected, digest.size, digest.sha256, digest.etag)
        except ObjectNotFound:
            finding = missing(expected)
        except ReadStopped:
            validation.release(claimed, owner)
            log.info(
                "validation: stopped reading upload %s; released for another validator", claimed.upload_id
            )
            return "released"
        except LeaseLost as error:
            log.warning("validation: %s", error)
            return "lost"
        except StorageError as error:
            return self._postpone(claimed, owner, error)
        outcome = self._record(claimed, owner, finding)
        if outcome != "lost":
            metrics.VALIDATION_DURATION.observe(time.monotonic() - started)
        return outcome

    def _record(self, claimed: Claim, owner: str, finding: Finding) -> str:
        validator = self.settings.validator_id
        what = f"upload {claimed.upload_id} of file {claimed.file_id!r}"
        if claimed.recheck:
            if not validation.record_fixity(claimed, owner, validator, finding.reason):
                return self._lost(claimed)
            if finding.intact:
                log.info("fixity: %s is intact (sha256 %s)", what, finding.sha256)
                return self._counted("intact")
            metrics.FIXITY_FAILURES.inc()
            log.error(
                "fixity failure: %s changed since it was accepted: %s; no longer served", what, finding.reason
            )
            return self._counted("changed")
        if not validation.judge(claimed, owner, validator, finding.intact, finding.reason, finding.sha256):
            return self._lost(claimed)
        if finding.intact:
            log.info("validation: %s accepted (sha256 %s)", what, finding.sha256)
            return self._counted("accepted")
        log.warning("validation: %s rejected: %s", what, finding.reason)
        return self._counted("rejected")

    def _lost(self, claimed: Claim) -> str:
        log.warning(
            "validation: upload %s was taken over or judged by another validator meanwhile; nothing recorded",
            claimed.upload_id,
        )
        return "lost"

    @staticmethod
    def _counted(outcome: str) -> str:
        metrics.VALIDATIONS.labels(outcome).inc()
        return outcome

    def _postpone(self, claimed: Claim, owner: str, error: StorageError) -> str:
        delay = min(self.settings.retry_delay * 2**claimed.attempts, self.settings.retry_max_delay)
        validation.release(claimed, owner, retry_in=delay)
        log.warning(
            "validation: cannot read upload %s of file %r (attempt %d), trying again in %.0f s: %s",
            claimed.upload_id,
            claimed.file_id,
            claimed.attempts + 1,
            delay,
            error,
        )
        return self._counted("unavailable")


class _Progress:
    """digest_object's progress callback: counts the bytes hashed, and renews the lease every third of it,
    logging how far the read got."""

    def __init__(self, validator: Validator, claimed: Claim, owner: str, size: int):
        self.settings = validator.settings
        self.claimed = claimed
        self.owner = owner
        self.size = size
        self.counted = 0
        self.started = self.renewed = time.monotonic()

    def __call__(self, hashed: int) -> None:
        metrics.VALIDATED_BYTES.inc(hashed - self.counted)
        self.counted = hashed
        now = time.monotonic()
        if now - self.renewed < self.settings.lease / 3:
            return
        self.renewed = now
        if not validation.renew(self.claimed, self.owner, self.settings.lease, hashed):
            raise LeaseLost(
                f"upload {self.claimed.upload_id}: another validator took it over; stopped reading"
            )
        rate = hashed / max(now - self.started, 1e-9) / MB
        log.info(
            "validation: upload %s: %d of %d bytes read (%.1f MB/s)",
            self.claimed.upload_id,
            hashed,
            self.size,
            rate,
        )

"""A property-based API fuzzer (schemathesis) against /openapi.json: the document tells the exact truth.

Over real HTTP, with a real staff token, on SQLite and the filesystem store. Every check is on: no 5xx,
every answer's status, content type, headers and body as documented, every request the document allows
accepted (refused at most as the domain refuses: 401/403/404/409), every request it forbids refused.

The budget is bounded (BUDGET) and the generator seeded; the server's own random upload ids still make
each run's chained requests a little different.
"""

import time

import pytest

from tests.support.api_fuzzer import fuzz
from tests.support.tokens import bearer

pytestmark = [pytest.mark.parametrize("database_url", ["sqlite"], indirect=True), pytest.mark.slow]

# A well-formed request that contradicts what UCS holds is a 400 on two operations, as documented: a size
# other than the registered one or too large for 10,000 parts (start), parts the store does not hold
# (complete). They are refusals of the domain, like the 409s, not of the document.
DOMAIN_400 = ["2xx", "400", "401", "403", "404", "409"]
BUDGET = {
    "seed": 20260101,
    # About 1,000 requests: 25 to 40 s on two cores. (A max-time would not bound the run: the engine would
    # go on fuzzing until then.)
    "generation": {"mode": "all", "max-examples": 20},
    "workers": 1,
    "operations": [
        {"include-name": name, "checks": {"positive_data_acceptance": {"expected-statuses": DOMAIN_400}}}
        for name in ("POST /files/{file_id}/multipart_uploads", "PATCH /multipart_uploads/{upload_id}")
    ],
}


def in_part_order(case) -> None:
    """A completion lists its parts in ascending part_no order, each once: the document says so in words."""
    parts = case.body.get("parts") if isinstance(case.body, dict) else None
    if case.meta is not None and case.meta.generation.mode.is_positive and isinstance(parts, list):
        by_number = {part["part_no"]: part for part in parts}
        case.body["parts"] = [by_number[number] for number in sorted(by_number)]


def test_the_fuzzer_finds_the_api_as_documented(live_url):
    started = time.monotonic()
    report = fuzz(live_url, bearer(), BUDGET, before_call=in_part_order)
    elapsed = time.monotonic() - started
    print(f"{report.requests} requests in {elapsed:.0f} s; scenarios {dict(report.scenarios)}")
    for (operation, status), count in sorted(report.answers.items(), key=str):
        print(f"  {operation}: {status} x{count}")
    assert not report.lines(), "\n".join(report.lines())
    assert not report.untested()

"""Run schemathesis over a UCS server's /openapi.json and tell, in plain lines, what it found.

schemathesis's run engine (what its CLI runs) drives every phase: the boundary and negative cases of
each constraint (coverage), generated requests (fuzzing) and chains of calls that reuse what earlier
answers returned (stateful). A failure is one of its checks refusing an answer; an error is a request
it could not make or a schema it could not read. Both are reported with a curl line to replay.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
import schemathesis
from schemathesis.engine import Status, events, from_schema


@dataclass
class FuzzReport:
    failures: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    # Per (phase, outcome): how many operations; per (operation, status): how many answers.
    scenarios: collections.Counter = field(default_factory=collections.Counter)
    answers: collections.Counter = field(default_factory=collections.Counter)
    # The operations of the document, as "METHOD /path".
    documented: set[str] = field(default_factory=set)

    @property
    def requests(self) -> int:
        return sum(self.answers.values())

    def untested(self) -> set[str]:
        """The documented operations that got no request at all."""
        return self.documented - {operation for operation, _ in self.answers}

    def lines(self) -> list[str]:
        shown = []
        for (operation, check), examples in sorted(self.failures.items()):
            shown.append(f"{operation}: {check} ({len(examples)} distinct)")
            shown.extend("    " + line for line in examples[0].splitlines())
        return shown + [f"error: {error}" for error in self.errors]


def fuzz(
    base_url: str,
    headers: dict[str, str],
    config: dict,
    before_call: Callable[[schemathesis.Case], None] | None = None,
) -> FuzzReport:
    """Run every phase against the document at base_url/openapi.json, as stated less its `default` answers.

    A `default` answer admits any status, so it would hide an undocumented one: the run holds each
    operation to the statuses it lists. before_call may change each request just before it is sent,
    for a rule the document states in words only.
    """
    document = requests.get(f"{base_url}/openapi.json", timeout=30).json()
    report = FuzzReport()
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if method != "parameters":
                operation["responses"].pop("default", None)
                report.documented.add(f"{method.upper()} {path}")
    settings = schemathesis.Config.from_dict({**config, "base-url": base_url, "headers": headers})
    schema = schemathesis.openapi.from_dict(document, config=settings)
    hook = None
    if before_call is not None:
        # schemathesis calls before_call hooks only from its global registry: registered for this run only.
        hook = schemathesis.hook("before_call")(lambda context, case, kwargs: before_call(case))
    try:
        for event in from_schema(schema).execute():
            _record(report, event)
    finally:
        if hook is not None:
            schemathesis.hooks.unregister(hook)
    return report


def _record(report: FuzzReport, event: events.EngineEvent) -> None:
    if isinstance(event, events.ScenarioFinished):
        report.scenarios[(event.phase.value, event.status.value)] += 1
        for case_id, interaction in event.recorder.interactions.items():
            status = interaction.response.status_code if interaction.response is not None else "none"
            report.answers[(event.recorder.cases[case_id].value.operation.label, status)] += 1
        _collect_failures(report, event)
    elif isinstance(event, events.NonFatalError | events.FatalError):
        report.errors.append(f"{getattr(event, 'label', '')}: {event.info.format()}")


def _collect_failures(report: FuzzReport, event: events.ScenarioFinished) -> None:
    if event.status is not Status.FAILURE:
        return
    for checks in event.recorder.checks.values():
        for check in checks:
            if check.status is Status.FAILURE and check.failure_info is not None:
                failure = check.failure_info.failure
                example = f"{failure.title}: {failure.message}\n{check.failure_info.code_sample}"
                found = report.failures.setdefault((event.label or "?", check.name), [])
                if example not in found:
                    found.append(example)

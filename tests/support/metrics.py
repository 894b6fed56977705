"""Read a Prometheus /metrics page into samples a test can compare: {(name, labels): value}."""

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families

TIMEOUT = 10

Samples = dict[tuple[str, frozenset], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def fetch(base_url: str, accept: str | None = None) -> requests.Response:
    """GET /metrics as Prometheus does: it needs no token."""
    headers = {"Accept": accept} if accept is not None else {}
    return requests.get(f"{base_url}/metrics", headers=headers, timeout=TIMEOUT)


def scrape(base_url: str) -> Samples:
    """The samples of /metrics; the answer must be Prometheus text."""
    response = fetch(base_url)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value; 0 when the series does not exist (yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of every series of name whose labels include these."""
    wanted = set(labels.items())
    return sum(v for (n, series), v in samples.items() if n == name and wanted <= series)

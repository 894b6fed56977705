"""A slow token issuer costs UCS one thread for a bounded time: other issuers and /health never wait for it.

The issuers are real: their JWKS is served over HTTP on 127.0.0.1, a byte at a time when they are slow.
Bounds are generous (seconds where the stall they guard against lasted tens of seconds): behaviour, not speed.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.tokens import TestIssuer
from tests.support.ucs_server import ucs_server
from ucs.auth import jwks_fetch
from ucs.auth.jwks import KeySource, KeysUnavailable
from ucs.auth.jwks_fetch import fetch_url

pytestmark = pytest.mark.slow


@pytest.fixture
def slow_issuer():
    issuer = TestIssuer()
    yield issuer
    issuer.close()


@pytest.fixture
def other_issuer():
    issuer = TestIssuer()
    yield issuer
    issuer.close()


def timed(call, *args):
    """call(*args)'s answer (or exception) and the seconds it took."""
    started = time.monotonic()
    try:
        outcome = call(*args)
    except Exception as error:  # noqa: BLE001 - the outcome to check
        outcome = error
    return outcome, time.monotonic() - started


@pytest.mark.parametrize(
    ("trickle", "headers_too"),
    [(0.2, False), (30.0, False), (0.2, True), (30.0, True)],
    ids=["body a byte every 0.2 s", "silent after the headers", "all a byte every 0.2 s", "silent"],
)
def test_a_jwks_fetch_ends_by_its_deadline_however_slowly_the_answer_comes(
    slow_issuer, monkeypatch, trickle, headers_too
):
    monkeypatch.setattr(jwks_fetch, "FETCH_DEADLINE", 1.0)
    slow_issuer.trickle, slow_issuer.trickle_headers = trickle, headers_too  # the answer would take 30 s+
    fetch = fetch_url(slow_issuer.jwks_url)
    outcome, seconds = timed(fetch)
    assert isinstance(outcome, KeysUnavailable)
    assert "took longer than 1 s to send" in str(outcome)
    assert seconds < 2.5
    # The fetch may still be waiting in the background (for its read timeout): no second one starts meanwhile.
    again, seconds = timed(fetch)
    assert isinstance(again, KeysUnavailable) and seconds < 2.5
    assert slow_issuer.fetches <= 2


def test_a_fast_jwks_is_read_whole_and_a_larger_one_than_allowed_is_refused(slow_issuer, monkeypatch):
    assert fetch_url(slow_issuer.jwks_url)() == slow_issuer.jwks()
    monkeypatch.setattr(jwks_fetch, "MAX_JWKS_SIZE", 100)
    with pytest.raises(KeysUnavailable, match="larger than 100 bytes"):
        fetch_url(slow_issuer.jwks_url)()


def test_while_a_refresh_is_in_flight_cached_keys_answer_and_waiters_do_not_fetch_in_turn(slow_issuer):
    source = KeySource(slow_issuer.name, fetch_url(slow_issuer.jwks_url), max_age=0.2, refresh_interval=10)
    kid = slow_issuer.key.kid
    assert source.key(kid)  # fetched and cached
    slow_issuer.trickle = 0.2
    time.sleep(0.3)  # the cached keys are now older than max_age

    fetching = threading.Thread(target=source.key, args=(kid,))
    fetching.start()  # the refresh, with the slow issuer
    while source.fetches < 2:
        time.sleep(0.01)
    time.sleep(0.3)  # the fetch in flight is older than max_age too: every token now wants a refresh
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: timed(source.key, kid), range(8)))
    assert all(key is not None and not isinstance(key, Exception) for key, _ in answers)
    assert max(seconds for _, seconds in answers) < 2  # the refresh takes 10 s; none waited for it
    assert source.fetches == 2  # one refresh, however many tokens came meanwhile
    slow_issuer.close()
    fetching.join(15)
    assert not fetching.is_alive()


def test_without_cached_keys_waiters_give_up_soon_and_one_failed_fetch_serves_them_all(
    slow_issuer, monkeypatch
):
    monkeypatch.setattr(jwks_fetch, "FETCH_DEADLINE", 3.0)
    slow_issuer.trickle = 0.2
    source = KeySource(slow_issuer.name, fetch_url(slow_issuer.jwks_url), max_age=300, refresh_interval=10)
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: timed(source.key, slow_issuer.key.kid), range(6)))
    assert all(isinstance(outcome, KeysUnavailable) for outcome, _ in answers)
    assert source.fetches == 1
    waited = sorted(seconds for _, seconds in answers)
    assert waited[-1] < 4.5  # the fetch, by its deadline
    assert waited[-2] < 2.5  # the others, after KEYS_WAIT (1 s) at most
    again, seconds = timed(source.key, slow_issuer.key.kid)
    assert isinstance(again, KeysUnavailable) and seconds < 0.5 and source.fetches == 1  # the interval holds


def get_file(url: str, token: str) -> requests.Response:
    return requests.get(f"{url}/files/f1", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def get_health(url: str) -> requests.Response:
    return requests.get(f"{url}/health", timeout=30)


@pytest.mark.parametrize("cached", [True, False], ids=["keys cached", "no keys yet"])
def test_one_slow_issuer_leaves_health_and_other_issuers_answering(
    tmp_path, slow_issuer, other_issuer, cached
):
    """The review's reproduction: `ucs serve --workers 1` (4 threads), JWKS max age 1 s, a trickling issuer."""
    trusted = f'[{{"issuer": "{slow_issuer.name}", "jwks_url": "{slow_issuer.jwks_url}"}}, ' + (
        f'{{"issuer": "{other_issuer.name}", "jwks_url": "{other_issuer.jwks_url}"}}]'
    )
    with ucs_server(tmp_path / "ucs", serve_workers=1, AUTH_ISSUERS=trusted, AUTH_JWKS_MAX_AGE="1") as ucs:
        if cached:
            assert get_file(ucs.url, slow_issuer.token()).status_code == 404  # its keys are cached
            time.sleep(1.2)  # and now older than the max age
        slow_issuer.trickle = 1.0  # a fetch would take minutes
        with ThreadPoolExecutor(8) as pool:
            slow = [pool.submit(timed, get_file, ucs.url, slow_issuer.token()) for _ in range(8)]
            time.sleep(0.5)  # they reach the server first and take its threads
            health, health_seconds = timed(get_health, ucs.url)
            other, other_seconds = timed(get_file, ucs.url, other_issuer.token())
            answers = [future.result() for future in slow]
    assert health.status_code == 200 and health_seconds < 2
    assert other.status_code == 404 and other_seconds < 2
    statuses = sorted(response.status_code for response, _ in answers)
    # Cached keys verify (404: no such file); without keys, 503 "retry shortly", never a hang or a 500.
    assert set(statuses) == ({404} if cached else {503}), statuses
    assert slow_issuer.fetches == 2 if cached else slow_issuer.fetches == 1

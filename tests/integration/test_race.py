"""Several UCS processes on one PostgreSQL database: 20 simultaneous starts for one file, exactly one wins."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from tests.support.databases import postgres_database
from tests.support.processes import VENV_BIN, free_port, running
from tests.support.tokens import auth_environment, bearer
from tests.support.ucs_server import ucs_server

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

REQUESTS = 20
ROUNDS = 5


@contextlib.contextmanager
def gunicorn(instance_path: Path, workers: int, **settings: str) -> Iterator[str]:
    """The production command, `gunicorn ucs.wsgi:app`, with several worker processes."""
    instance_path.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{free_port()}"
    env = {f"UCS_{key}": value for key, value in settings.items()}
    env |= {"UCS_INSTANCE_PATH": str(instance_path), "UCS_LOAD_ENTRY_POINTS": "false", **auth_environment()}
    env.setdefault("UCS_VALIDATION", "external")  # as tests/support/ucs_server.py: uploaded files served
    command = [str(VENV_BIN / "gunicorn"), "--bind", url[len("http://") :], "--workers", str(workers)]
    with running([*command, "ucs.wsgi:app"], instance_path / "gunicorn.log", f"{url}/health", env):
        yield url


@pytest.fixture(scope="module", params=["two ucs run", "gunicorn 4 workers"])
def two_servers(request, tmp_path_factory):
    """Processes sharing one PostgreSQL database and one filesystem store, and the URLs to reach them."""
    work = tmp_path_factory.mktemp("race")
    settings = {"STORAGE_ROOT": str(work / "storage")}
    with postgres_database(str(work / "migrate")) as database_url:
        settings["DATABASE_URL"] = database_url
        if request.param == "two ucs run":
            with ucs_server(work / "a", **settings) as a, ucs_server(work / "b", **settings) as b:
                yield [a.url, b.url], database_url, work / "storage"
        else:
            # One URL, four worker processes: the kernel spreads the connections between them.
            with gunicorn(work / "g", 4, **settings) as url:
                yield [url, url], database_url, work / "storage"


def race(urls: list[str], file_id: str) -> list[requests.Response]:
    """REQUESTS threads, alternating between the servers, all released at once by a barrier."""
    barrier = threading.Barrier(REQUESTS)
    responses: list[requests.Response | None] = [None] * REQUESTS

    def start(index: int) -> None:
        session = requests.Session()
        session.headers.update(bearer())
        # Connect before the barrier, so the requests leave together.
        session.get(f"{urls[index % 2]}/health", timeout=30)
        barrier.wait(timeout=30)
        responses[index] = session.post(f"{urls[index % 2]}/files/{file_id}/multipart_uploads", timeout=60)

    threads = [threading.Thread(target=start, args=(index,)) for index in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert all(response is not None for response in responses)
    return responses


@pytest.mark.parametrize("round_no", range(ROUNDS))
def test_twenty_concurrent_starts_for_one_file_make_one_upload(two_servers, round_no):
    urls, database_url, storage_root = two_servers
    file_id = f"raced-{round_no}"
    assert (
        requests.put(f"{urls[0]}/files/{file_id}", json={}, headers=bearer(), timeout=10).status_code == 201
    )

    responses = race(urls, file_id)
    outcome = Counter(response.status_code for response in responses)
    print(f"round {round_no}: {dict(sorted(outcome.items()))}")
    assert outcome == {201: 1, 409: REQUESTS - 1}

    [winner] = [response.json() for response in responses if response.status_code == 201]
    for response in responses:
        if response.status_code == 409:
            assert response.json()["message"].startswith(f"file '{file_id}' ")

    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT s3_upload_id, upload_status FROM multipart_uploads WHERE file_id = :f"),
                {"f": file_id},
            ).all()
            latest = connection.execute(
                sa.text("SELECT s3_upload_id FROM files WHERE file_id = :f"), {"f": file_id}
            ).scalar_one()
    finally:
        engine.dispose()
    assert [tuple(row) for row in rows] == [(winner["upload_id"], "pending")]
    assert latest == winner["upload_id"]
    # Losers that had already started a store upload aborted it: the store holds only the winner's.
    keys = {
        path.parent.name: path.read_text()
        for path in Path(storage_root, "uploads").glob("*/key")
        if path.read_text().startswith(f"{file_id}/")
    }
    assert list(keys) == [winner["upload_id"]]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_losers_past_the_check_are_stopped_by_the_index(app, live_url, monkeypatch):
    """In one process, count the requests that passed the check-then-insert: the index refused them.

    A start aborts its store upload only when the database refused its record, so the store's aborts count
    the losers that got past the check.
    """
    storage = app.extensions["ucs.storage"]
    refused_by_index = []
    abort_in_store = storage.abort_multipart_upload

    def counting_abort(key, upload_id):
        refused_by_index.append(upload_id)
        abort_in_store(key, upload_id)

    monkeypatch.setattr(storage, "abort_multipart_upload", counting_abort)
    seen = Counter()
    rounds = 0
    # Usually the first round has losers past the check; a loaded machine may serialize a few rounds.
    while not refused_by_index and rounds < 4 * ROUNDS:
        file_id = f"raced-in-process-{rounds}"
        assert (
            requests.put(f"{live_url}/files/{file_id}", json={}, headers=bearer(), timeout=10).status_code
            == 201
        )
        seen.update(response.status_code for response in race([live_url, live_url], file_id))
        rounds += 1
    print(f"{rounds} rounds in one process: {dict(seen)}; refused by the index: {len(refused_by_index)}")
    assert seen == {201: rounds, 409: rounds * (REQUESTS - 1)}
    assert refused_by_index, "no request got past the check: the race never happened"

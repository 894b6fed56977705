"""A registration that changes a file's size while an upload of it starts: one of the two must lose.

SQLite only: the interleaving below parks the registration inside its transaction while an upload starts
in another thread; PostgreSQL's row locks would make that thread wait for the parked one forever.
"""

import threading
from pathlib import Path

import pytest

from ucs.db.base import db
from ucs.db.models import File, MultipartUpload
from ucs.operations import registration
from ucs.problems import Conflict

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_a_size_change_and_a_starting_upload_never_both_win(app, monkeypatch):
    storage = app.extensions["ucs.storage"]
    with app.app_context():
        registration.register_file("f1", 100, None)

    outcome = {}
    look_for_active = registration.active_upload

    def start_meanwhile(file_id):
        """Right after the registration looked for an active upload, an upload of the old size starts."""
        active = look_for_active(file_id)
        if threading.current_thread() is threading.main_thread() and "start" not in outcome:
            outcome["start"] = "running"
            starter = threading.Thread(target=start_upload)
            starter.start()
            starter.join(timeout=30)
        return active

    def start_upload():
        with app.app_context():
            try:
                registration.start_upload(storage, "f1", 100, app.config["PART_SIZE"], actor="tester")
                outcome["start"] = "started"
            except Exception as error:  # the loser may see a conflict or a locked database
                outcome["start"] = type(error).__name__

    monkeypatch.setattr(registration, "active_upload", start_meanwhile)
    with app.app_context():
        try:
            registration.register_file("f1", 200, None)
            outcome["register"] = "changed"
        except Conflict:
            outcome["register"] = "refused"

    with app.app_context():
        size = db.session.get(File, "f1").size
        uploads = db.session.scalars(db.select(MultipartUpload)).all()
    stored = list((Path(app.config["FILESYSTEM_ROOT"]) / "uploads").iterdir())
    print(outcome)
    if outcome["register"] == "changed":
        assert outcome["start"] != "started" and size == 200 and uploads == [] and stored == []
    else:
        assert outcome["start"] == "started" and size == 100 and len(uploads) == 1

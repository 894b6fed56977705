"""Where upload-client's token comes from, and how a token file is read again after a 401."""

import threading
import time

import pytest

from upload_client.credentials import Credentials
from upload_client.exceptions import BadInput


def test_a_given_token_is_sent_and_never_refreshed():
    credentials = Credentials("abc")
    assert credentials.header() == {"Authorization": "Bearer abc"}
    assert credentials.refresh({"Authorization": "Bearer abc"}) is False


def test_no_token_sends_no_header():
    credentials = Credentials()
    assert credentials.header() == {} and credentials.missing


def test_a_token_file_is_read_again_when_it_changed(tmp_path):
    path = tmp_path / "token"
    path.write_text("first\n")
    credentials = Credentials(token_file=str(path), grace=0)
    refused = credentials.header()
    assert refused == {"Authorization": "Bearer first"}
    assert credentials.refresh(refused) is False  # unchanged: nothing better to send
    path.write_text("second")
    assert credentials.refresh(refused) is True
    assert credentials.header() == {"Authorization": "Bearer second"}
    # Another thread got the 401 for the old token too: it is told to retry, without reading again.
    assert credentials.refresh(refused) is True


def test_a_late_refresher_is_waited_for_and_said_so(tmp_path):
    path = tmp_path / "token"
    path.write_text("old-secret")
    notes = []
    credentials = Credentials(token_file=str(path), grace=5, note=notes.append)
    refused = credentials.header()
    threading.Timer(0.6, path.write_text, args=("new-secret",)).start()
    began = time.monotonic()
    assert credentials.refresh(refused) is True
    assert 0.5 < time.monotonic() - began < 5
    assert notes == [f"UCS refused the token in {path}; waiting up to 5 s for a new one"]
    assert "secret" not in notes[0]


@pytest.mark.parametrize(
    ("token", "content", "words"),
    [
        ("abc", "x", r"either --token \(or UCS_TOKEN\) or --token-file"),
        (None, "", "is empty"),
        (None, None, "cannot read the token file"),
    ],
)
def test_unusable_token_options_are_bad_input_on_first_use(tmp_path, token, content, words):
    path = tmp_path / "token"
    if content is not None:
        path.write_text(content)
    credentials = Credentials(token, str(path))  # nothing is checked yet
    with pytest.raises(BadInput, match=words):
        credentials.header()


def test_a_token_that_is_not_one_printable_line_is_refused_without_quoting_it(tmp_path):
    path = tmp_path / "token"
    path.write_text("SECRET-ACCESS\nSECRET-REFRESH\n")
    for credentials in (Credentials(token_file=str(path)), Credentials("SECRET WITH SPACE")):
        with pytest.raises(BadInput, match="not one line of printable ASCII") as refused:
            credentials.header()
        assert "SECRET" not in str(refused.value)


def test_a_file_caught_empty_or_missing_mid_rotation_is_waited_for_not_taken(tmp_path):
    path = tmp_path / "token"
    path.write_text("old")
    credentials = Credentials(token_file=str(path), grace=5)
    refused = credentials.header()
    path.write_text("")  # the refresher truncated it and has not written yet

    def rotate():
        path.unlink()
        time.sleep(0.3)
        path.write_text("new")

    threading.Timer(0.3, rotate).start()
    assert credentials.refresh(refused) is True
    assert credentials.header() == {"Authorization": "Bearer new"}


def test_workers_refused_together_wait_once_not_one_after_the_other(tmp_path):
    path = tmp_path / "token"
    path.write_text("dead")
    credentials = Credentials(token_file=str(path), grace=1)
    refused = credentials.header()
    began = time.monotonic()
    threads = [threading.Thread(target=credentials.refresh, args=(refused,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - began < 2.5  # one grace period, not four


@pytest.mark.parametrize("given", ["Bearer eyJ.SECRET.x", "bearer eyJ.SECRET.x"])
def test_a_token_given_with_its_bearer_word_is_refused_with_what_to_drop(tmp_path, given):
    path = tmp_path / "token"
    path.write_text(given + "\n")
    for credentials in (Credentials(given), Credentials(token_file=str(path))):
        with pytest.raises(BadInput, match="starts with 'Bearer ': give the token alone") as refused:
            credentials.header()
        assert "SECRET" not in str(refused.value)

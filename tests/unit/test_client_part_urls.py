"""upload-client's part URLs: batches a window ahead, each URL used once, the one-part route as fallback."""

from datetime import UTC, datetime, timedelta

import pytest

from upload_client.exceptions import ApiError
from upload_client.part_urls import PartUrls


class FakeApi:
    def __init__(self, batch_status: int | None = None, lifetime: timedelta = timedelta(hours=1)):
        self.batches: list[list[int]] = []
        self.singles: list[int] = []
        self.batch_status = batch_status
        self.lifetime = lifetime
        self.signed = 0

    def _url(self, number: int) -> dict:
        self.signed += 1
        expires_at = (datetime.now(UTC) + self.lifetime).isoformat()
        return {"part_no": number, "url": f"http://store/{number}?v={self.signed}", "expires_at": expires_at}

    def part_urls(self, upload_id, part_nos):
        if self.batch_status == 405:
            raise ApiError(405, "The method is not allowed for the requested URL.")
        if self.batch_status == 404:
            raise ApiError(404, "no multipart upload with id 'u'")
        self.batches.append(list(part_nos))
        return [self._url(number) for number in part_nos]

    def part_url(self, upload_id, part_no):
        self.singles.append(part_no)
        return self._url(part_no)


def test_urls_come_a_window_at_a_time_and_each_is_used_once():
    api = FakeApi()
    urls = PartUrls(api, "u", list(range(1, 11)), window=4)
    handed = [urls.url(number)["url"] for number in range(1, 11)]
    assert api.batches == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]
    assert len(set(handed)) == 10 and api.singles == []


def test_a_part_sent_again_gets_a_fresh_url_and_the_window_skips_parts_already_sent():
    api = FakeApi()
    urls = PartUrls(api, "u", [1, 2, 3, 4, 5], window=3)
    first = urls.url(2)
    assert api.batches == [[2, 3, 4]]
    again = urls.url(2)  # the first attempt failed: a new URL, and parts 3 and 4 still hold theirs
    assert again["url"] != first["url"]
    assert api.batches[-1] == [2, 5]


def test_a_url_about_to_expire_is_replaced():
    api = FakeApi(lifetime=timedelta(seconds=30))
    urls = PartUrls(api, "u", [1, 2], window=2)
    urls.url(1)
    urls.url(2)  # its cached URL expires within the margin: fetched again
    assert api.batches == [[1, 2], [2]]


def test_a_ucs_without_the_batch_route_gets_one_request_per_part():
    api = FakeApi(batch_status=405)
    urls = PartUrls(api, "u", [1, 2, 3], window=8)
    assert [urls.url(number)["part_no"] for number in (1, 2, 3)] == [1, 2, 3]
    assert api.singles == [1, 2, 3] and urls.batched is False


def test_an_unknown_upload_is_not_mistaken_for_a_missing_route():
    urls = PartUrls(FakeApi(batch_status=404), "u", [1], window=8)
    with pytest.raises(ApiError, match="no multipart upload"):
        urls.url(1)

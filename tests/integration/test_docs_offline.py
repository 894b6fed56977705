"""/docs works without internet: the page and every asset it references come from the service itself."""

import re
import shutil
import subprocess
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import requests

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


class References(HTMLParser):
    """Collects every URL a page makes the browser load: script src, link href, img src."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


def get(url: str) -> requests.Response:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    assert response.content, f"{url} is empty"
    return response


def test_docs_page_and_every_asset_come_from_the_service(live_url):
    page = get(live_url + "/docs").text
    parser = References()
    parser.feed(page)
    # The UI's script and style, plus the spec the page's script asks for.
    spec_urls = re.findall(r'url:\s*"([^"]+)"', page)
    assert spec_urls == ["/openapi.json"]
    urls = parser.urls + spec_urls
    assert any(url.endswith("swagger-ui-bundle.js") for url in urls)
    assert any(url.endswith("swagger-ui.css") for url in urls)

    fetched = {}
    for url in urls:
        absolute = urljoin(live_url + "/docs", url)
        assert urlsplit(absolute).netloc == urlsplit(live_url).netloc, f"{url} leaves the service"
        fetched[url] = get(absolute)
    # Source maps that the browser's developer tools would load are served as well.
    for url, response in list(fetched.items()):
        for source_map in re.findall(rb"sourceMappingURL=([\w.\-]+\.map)", response.content[-300:]):
            get(urljoin(live_url + url, source_map.decode()))

    assert fetched["/openapi.json"].json()["info"]["title"].startswith("UCS")
    assert (
        "javascript"
        in fetched[next(u for u in urls if u.endswith("swagger-ui-bundle.js"))].headers["Content-Type"]
    )


def test_swagger_ui_is_told_not_to_call_the_online_validator(live_url):
    """Swagger UI's default validator badge would send the spec's URL to validator.swagger.io."""
    page = get(live_url + "/docs").text
    assert re.search(r'"validatorUrl":\s*null', page), page


def test_docs_assets_refuse_paths_outside_the_package(live_url):
    response = requests.get(live_url + "/docs/assets/..%2F..%2Fsetup.cfg", timeout=10)
    assert response.status_code == 404


BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(BROWSER is None, reason="no Chromium on this machine (Debian package chromium)")
def test_a_browser_with_no_name_resolution_renders_every_operation(live_url, app):
    """Headless Chromium that can resolve no host but 127.0.0.1 still draws the whole API."""
    result = subprocess.run(
        [
            BROWSER,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=8000",
            "--dump-dom",
            live_url + "/docs",
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    drawn = set(re.findall(r'opblock-summary-path" data-path="([^"]+)"', result.stdout))
    spec = app.test_client().get("/openapi.json").get_json()
    assert drawn == set(spec["paths"]), result.stderr[-2000:]

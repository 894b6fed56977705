"""/docs works without internet: the page and every asset it references come from the service itself."""

import json
import re
import subprocess
import time
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.support.browser import BROWSER, browser_page
from tests.support.rest import checked_rest
from tests.support.tokens import default_issuer

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
    response = requests.get(live_url + "/docs/assets/..%2F..%2Fpyproject.toml", timeout=10)
    assert response.status_code == 404


@pytest.fixture
def rest(app, live_url):
    yield from checked_rest(app, live_url)


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


# JavaScript run in the page: wait for an element, click it, read text. Swagger UI renders with React.
WAIT_FOR = """new Promise((resolve, reject) => {
  const deadline = Date.now() + 20000;
  (function poll() {
    const found = document.querySelector(%s);
    if (found) return resolve(true);
    if (Date.now() > deadline) return reject(new Error("no element " + %s));
    setTimeout(poll, 100);
  })();
})"""


def wait_for(page, selector: str) -> None:
    quoted = json.dumps(selector)
    page.evaluate(WAIT_FOR % (quoted, quoted))


def click(page, selector: str) -> None:
    wait_for(page, selector)
    page.evaluate(f"document.querySelector({json.dumps(selector)}).click()")


def execute_get_file(page) -> str:
    """Press Execute on GET /files/{file_id} and return the status code Swagger UI shows."""
    # Clear shows the operation as before its first Execute, so the status read below is the new one.
    page.evaluate(f"document.querySelector('{OPERATION} .btn-clear')?.click()")
    click(page, f"{OPERATION} .execute")
    status = f"{OPERATION} .live-responses-table tbody .response-col_status"
    wait_for(page, status)
    return page.evaluate(f"document.querySelector({json.dumps(status)}).innerText").strip()


OPERATION = "#operations-files-get_files__file_id_"


@pytest.mark.skipif(BROWSER is None, reason="no Chromium on this machine (Debian package chromium)")
def test_the_authorize_button_of_docs_sends_the_pasted_token(live_url, rest):
    rest.register("f1", size=3)
    with browser_page(live_url + "/docs") as page:
        click(page, f"{OPERATION} .opblock-summary-control")
        click(page, f"{OPERATION} .try-out__btn")
        page.evaluate(f"document.querySelector('{OPERATION} input[placeholder=file_id]').focus()")
        page.type_text("f1")
        time.sleep(1)  # Swagger UI debounces what is typed into a parameter before it takes it
        assert execute_get_file(page) == "401"

        click(page, ".btn.authorize")
        page.evaluate("document.querySelector('.auth-container input').focus()")
        page.type_text(default_issuer().token("download:f1"))  # pasted, as a person would
        click(page, ".auth-btn-wrapper .btn.modal-btn.auth.authorize")
        click(page, ".auth-btn-wrapper .btn-done")
        assert execute_get_file(page) == "200"
        curl = page.evaluate(f"document.querySelector('{OPERATION} .curl-command').innerText")
        assert "Authorization: Bearer ey" in curl

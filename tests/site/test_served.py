"""The served site (no browser): pages from the worker pool, assets, fragments, 404 problems."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(workers=1, time_limit_seconds=60))) as c:
        yield c


def test_pages_are_served_with_clean_links(client: TestClient) -> None:
    index = client.get("/")
    assert index.status_code == 200 and 'data-mode="served"' in index.text
    assert 'href="/entries/softmax"' in index.text and 'href="/docs"' in index.text
    entry = client.get("/entries/gate-intuitions")
    assert entry.status_code == 200 and entry.text.count("<math") > 10
    assert 'class="graph"' in entry.text and 'href="/verification"' in entry.text
    assert client.get("/entries/gate-intuitions").content == entry.content  # kept once built
    for path in ("/verification", "/playground", "/problems", "/problems/shape-mismatch"):
        assert client.get(path).status_code == 200, path
    css = client.get("/assets/site.css")
    assert css.headers["content-type"].startswith("text/css")
    assert "CHAINRULE_INDEX" in client.get("/assets/search-index.js").text


@pytest.mark.parametrize("path", ["/entries/no-such-entry", "/assets/x.js", "/problems/nope"])
def test_unknown_pages_are_404_problems(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_render_fragments(client: TestClient) -> None:
    body = {"expression": "x.T @ x", "variables": {"x": ["n"]}}
    derived = client.post("/v1/derive", json=body).json()
    html = client.post("/render/derivation", json=derived)
    assert html.status_code == 200 and 'id="d-gradient-x"' in html.text
    junk = client.post("/render/derivation", json={"expression": 1})
    assert junk.status_code == 422 and junk.json()["kind"] == "validation"
    assert client.post("/render/check", json={"verdict": "correct"}).status_code == 200


def test_the_favicon_is_served(client: TestClient) -> None:
    """Browsers request /favicon.ico on every page: it is the site's SVG icon, not a 404, and
    the pages link the same icon."""
    import xml.etree.ElementTree as ET

    for path in ("/favicon.ico", "/assets/favicon.svg"):
        icon = client.get(path)
        assert icon.status_code == 200, path
        assert icon.headers["content-type"].startswith("image/svg+xml"), path
        root = ET.fromstring(icon.content)
        assert root.tag == "{http://www.w3.org/2000/svg}svg" and len(icon.content) < 2048
    assert 'rel="icon" type="image/svg+xml" href="/assets/favicon.svg"' in client.get("/").text

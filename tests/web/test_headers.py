"""Security headers on every response: pages, errors, redirects, static files, API docs."""

from __future__ import annotations

from fastapi import FastAPI, Response
from fastapi.testclient import TestClient

from insa.web.middleware import CSP, SecurityHeaders


def _strict(r) -> None:  # type: ignore[no-untyped-def]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"


def test_pages_errors_and_redirects_carry_the_headers(as_user) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("hr-a")
    for path in ("/employees?q=김", "/employees/999999999", "/nowhere"):
        r = client.get(path)
        _strict(r)
        assert r.headers["content-security-policy"] == CSP
        assert r.headers["cache-control"] == "no-store"
        # one of each, not the route's and the middleware's side by side
        assert r.headers.get_list("x-frame-options") == ["DENY"]
    client.cookies.clear()
    r = client.get("/employees", follow_redirects=False)
    assert r.status_code == 303
    _strict(r)
    assert r.headers["cache-control"] == "no-store"


def test_static_files_may_be_cached_and_api_docs_have_no_csp(client: TestClient) -> None:
    r = client.get("/static/app.css")
    assert r.status_code == 200
    _strict(r)
    assert "no-store" not in r.headers.get("cache-control", "")
    assert r.headers["content-security-policy"] == CSP
    r = client.get("/api/docs")
    _strict(r)
    assert "content-security-policy" not in r.headers


def test_a_header_the_route_set_is_kept() -> None:
    app = FastAPI()

    @app.get("/receipt")
    def receipt() -> Response:
        return Response(b"x", headers={"Cache-Control": "private, no-store"})

    app.add_middleware(SecurityHeaders)
    r = TestClient(app).get("/receipt")
    _strict(r)
    assert r.headers.get_list("cache-control") == ["private, no-store"]
    assert r.headers.get_list("content-security-policy") == [CSP]

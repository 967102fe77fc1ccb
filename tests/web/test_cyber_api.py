"""The joint cyber safety centre's scoring API: for its operators, the assets checked with
file and line."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "cyber" / "data"


def test_the_api_scores_for_the_centres_operators(world, client) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from insa.db.engine import session_scope
    from insa.security import auth
    from insa.security.models import User

    with session_scope(world.engine) as db:
        sec = db.scalar(select(User).where(User.username == "sec"))
        hr = db.scalar(select(User).where(User.username == "hr-a"))
        assert sec is not None and hr is not None
        token, other = auth.create_api_token(db, sec, "ct"), auth.create_api_token(db, hr, "x")
    body = {
        "assets": (DATA / "assets.yaml").read_text(encoding="utf-8"),
        "domains": ["gosi-kr.com", "naver.com"],
    }
    r = client.post("/api/v1/cyber/score", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    got = {f["domain"]: f for f in r.json()["findings"]}
    assert got["gosi-kr.com"]["verdict"] == "alert" and got["naver.com"]["asset"] == ""
    assert (
        client.post(
            "/api/v1/cyber/score", json=body, headers={"Authorization": f"Bearer {other}"}
        ).status_code
        == 403
    )
    bad = client.post(
        "/api/v1/cyber/score",
        json={**body, "assets": "assets: 3"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert bad.status_code == 422 and "assets.yaml:1" in bad.text

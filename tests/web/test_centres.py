"""Centre tenancy: the shared centres run by six ministries. An operator of a centre sees every
member's records, a member agency's own staff only their agency's, anyone else nothing — on
SQLite and PostgreSQL, through ``restrict_centre`` itself and through every centre page and
endpoint."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, insert, select
from sqlalchemy.orm import Session

from insa.db.engine import session_scope
from insa.domains import sync_reference_data
from insa.people.models import Agency
from insa.security.context import Ctx
from insa.security.models import AuditLog, Centre, CentreMember, User
from insa.security.passwords import hash_password
from insa.security.principal import Principal, restrict_centre
from insa.security.service import add_member, centre_members, centres, remove_member
from insa.security.users import UserError, create_user
from insa.web.app import create_app

from .conftest import PASSWORD, login

SIX = ("MPM", "MPVA", "MOLEG", "NAACC", "KDCA", "SDIA")  # the default members of both centres
_hash_once = functools.cache(hash_password)


@dataclass
class Centres:
    engine: Engine
    agency: dict[str, int]  # code → id
    centre: dict[str, int]  # code → id


@pytest.fixture
def centres_db(migrated: Engine, monkeypatch: pytest.MonkeyPatch) -> Centres:
    monkeypatch.setattr("insa.security.users.hash_password", _hash_once)
    with session_scope(migrated) as db:
        agency = {c: i for i, c in db.execute(select(Agency.id, Agency.code))}
        centre = {c: i for i, c in db.execute(select(Centre.id, Centre.code))}
        ctx = Ctx.command_line(db)
        users = [
            ("watch-op", "ops_operator", {"centre_code": "WATCH"}),
            ("cyber-op", "security_operator", {"centre_code": "CYBER"}),
            ("moleg-ops", "ops_operator", {"agency_code": "MOLEG"}),
            ("kdca-sec", "security_operator", {"agency_code": "KDCA"}),
            ("moleg-hr", "hr_officer", {"agency_code": "MOLEG"}),
            ("admin", "central_admin", {}),
        ]
        for name, role, extra in users:
            create_user(ctx, username=name, role=role, password=PASSWORD, **extra)  # type: ignore[arg-type]
    return Centres(migrated, agency, centre)


def test_the_six_ministries_are_the_default_members_of_both_centres(centres_db: Centres) -> None:
    with centres_db.engine.connect() as conn:
        rows = conn.execute(
            select(Centre.code, Agency.code)
            .join(CentreMember, CentreMember.centre_id == Centre.id)
            .join(Agency, Agency.id == CentreMember.agency_id)
        ).all()
    by_centre: dict[str, set[str]] = {}
    for c, a in rows:
        by_centre.setdefault(c, set()).add(a)
    assert by_centre == {"WATCH": set(SIX), "CYBER": set(SIX)}


def _principal(db: Session, username: str) -> Principal:
    from insa.security.auth import principal_for

    user = db.scalar(select(User).where(User.username == username))
    assert user is not None
    return principal_for(db, user, None)


def test_restrict_centre_walk_over_records_of_every_kind_of_owner(centres_db: Centres) -> None:
    """Records kept by a centre for member and non-member agencies, walked as every kind of
    principal: the exact set each one gets back."""
    md = MetaData()
    records = Table(
        "t_centre_records",
        md,
        Column("id", Integer, primary_key=True),
        Column("agency_id", Integer),
        Column("centre_id", Integer),
        Column("label", String(40)),
    )
    a, c = centres_db.agency, centres_db.centre
    owners = [*SIX, "KNPA", "MSIT"]  # two agencies that are members of neither centre
    rows = [
        {"agency_id": a[o], "centre_id": c[k], "label": f"{k}:{o}"}
        for k in ("WATCH", "CYBER")
        for o in owners
    ]
    with centres_db.engine.begin() as conn:
        md.create_all(conn)
        conn.execute(insert(records), rows)
    member_records = {f"{k}:{o}" for k in ("WATCH", "CYBER") for o in SIX}

    def seen(db: Session, p: Principal, with_centre: bool = True) -> set[str]:
        stmt = select(records.c.label)
        centre_col = records.c.centre_id if with_centre else None
        stmt = restrict_centre(stmt, p, "security.view_centre", records.c.agency_id, centre_col)
        return set(db.scalars(stmt))

    with session_scope(centres_db.engine) as db:
        # an operator of a centre: every member's records kept by that centre
        assert seen(db, _principal(db, "watch-op")) == {f"WATCH:{o}" for o in SIX}
        assert seen(db, _principal(db, "cyber-op")) == {f"CYBER:{o}" for o in SIX}
        # records that do not say which centre keeps them: every member's
        assert seen(db, _principal(db, "watch-op"), with_centre=False) == member_records
        # a member ministry's own staff: that ministry's records only, in the centres of their
        # role's kind (watch staff: the failure-detection centre's)
        assert seen(db, _principal(db, "moleg-ops")) == {"WATCH:MOLEG"}
        assert seen(db, _principal(db, "kdca-sec")) == {"CYBER:KDCA"}
        assert seen(db, _principal(db, "moleg-ops"), with_centre=False) == {
            "WATCH:MOLEG",
            "CYBER:MOLEG",
        }  # records that do not say their centre: the agency's, while it is a watch member
        # anyone else: nothing (an agency officer of a member agency, employees, approvers)
        assert seen(db, _principal(db, "moleg-hr")) == set()
        outsider = Principal(999, "x", "x", "ops_operator", a["KNPA"], None)  # not a member
        assert seen(db, outsider) == set()
        nobody = Principal(998, "y", "y", "ops_operator", None, None)
        assert seen(db, nobody) == set()
        # central administrators of HR hold no centre permission; the command line sees all
        assert seen(db, _principal(db, "admin")) == set()
        everything = {r["label"] for r in rows}
        assert seen(db, Principal.command_line()) == everything
        # a member that leaves the watch centre: its watch staff see nothing more (though it
        # is still a member of the cyber centre), the operator no longer its records
        remove_member(Ctx.command_line(db), "WATCH", "MOLEG")
        assert seen(db, _principal(db, "moleg-ops")) == set()
        assert seen(db, _principal(db, "moleg-ops"), with_centre=False) == set()
        assert "WATCH:MOLEG" not in seen(db, _principal(db, "watch-op"))
        db.rollback()


@pytest.fixture
def centre_client(centres_db: Centres) -> Iterator[TestClient]:
    with TestClient(create_app(), base_url="http://testserver") as c:
        yield c


def _as(client: TestClient, username: str) -> TestClient:
    client.cookies.clear()
    r = login(client, username)
    assert r.status_code == 303, (username, r.status_code)  # type: ignore[attr-defined]
    return client


def test_centre_pages_and_api_walk(centres_db: Centres, centre_client: TestClient) -> None:
    names = {
        code: dict(zip(SIX, _names(centres_db, SIX), strict=True)) for code in ("WATCH", "CYBER")
    }
    # the operator of the failure-detection centre: its six members, not the cyber centre
    c = _as(centre_client, "watch-op")
    page = c.get("/centres/WATCH")
    assert page.status_code == 200 and all(
        f"<td>{n}</td>" in page.text for n in names["WATCH"].values()
    )
    assert c.get("/centres/CYBER").status_code == 404
    api = c.get("/api/v1/centres").json()
    assert [(x["code"], x["members"]) for x in api] == [("WATCH", 6)]
    assert {m["code"] for m in c.get("/api/v1/centres/WATCH/members").json()} == set(SIX)
    assert c.get("/api/v1/centres/CYBER/members").status_code == 404
    home = c.get("/")
    assert "부처합동 장애관제센터" in home.text and "회원 기관 6곳" in home.text
    # a member ministry's staff: their own membership only
    c = _as(centre_client, "moleg-ops")
    page = c.get("/centres/WATCH")
    assert page.status_code == 200 and f"<td>{names['WATCH']['MOLEG']}</td>" in page.text
    assert not any(f"<td>{n}</td>" in page.text for m, n in names["WATCH"].items() if m != "MOLEG")
    assert {m["code"] for m in c.get("/api/v1/centres/WATCH/members").json()} == {"MOLEG"}
    assert c.get("/centres/CYBER").status_code == 404  # its role works in the watch centre
    # anyone else: nothing
    c = _as(centre_client, "moleg-hr")
    assert c.get("/centres").status_code == 403
    assert c.get("/centres/WATCH").status_code == 404
    assert c.get("/api/v1/centres/WATCH/members").status_code == 404
    assert "/centres" not in c.get("/").text
    with session_scope(centres_db.engine) as db:  # central administrators of HR: none of it
        admin = Ctx(db, _principal(db, "admin"))
        assert centres(admin) == [] and centre_members(admin, "WATCH") is None


def _names(centres_db: Centres, codes: tuple[str, ...]) -> list[str]:
    with centres_db.engine.connect() as conn:
        found = dict(conn.execute(select(Agency.code, Agency.name_ko)).all())
    return [found[c] for c in codes]


def test_membership_changes_are_audited_and_survive_a_resync(centres_db: Centres) -> None:
    with session_scope(centres_db.engine) as db:
        ctx = Ctx.command_line(db)
        assert remove_member(ctx, "CYBER", "SDIA") is True
        assert remove_member(ctx, "CYBER", "SDIA") is False
        assert add_member(ctx, "CYBER", "MOIS") is True
        assert add_member(ctx, "CYBER", "mois") is False
        with pytest.raises(PermissionError):
            add_member(Ctx(db, _principal(db, "cyber-op")), "CYBER", "MOE")
        with pytest.raises(PermissionError):
            add_member(Ctx(db, _principal(db, "admin")), "CYBER", "MOE")
    with centres_db.engine.begin() as conn:
        sync_reference_data(conn)  # db upgrade again: the operators' changes stay
    with session_scope(centres_db.engine) as db:
        found = centre_members(Ctx.command_line(db), "CYBER")
        assert found is not None
        assert {m.code for m in found[1]} == (set(SIX) - {"SDIA"}) | {"MOIS"}
        actions = list(db.scalars(select(AuditLog.action)))
        assert (
            "security.remove_centre_member" in actions and "security.add_centre_member" in actions
        )
        assert [c.code for c in centres(Ctx(db, _principal(db, "kdca-sec")))] == ["CYBER"]


def test_centre_roles_need_a_centre_or_a_member_agency(centres_db: Centres) -> None:
    with session_scope(centres_db.engine) as db:
        ctx = Ctx.command_line(db)
        with pytest.raises(UserError, match="needs --centre"):
            create_user(ctx, username="ops-x", role="ops_operator", password=PASSWORD)
        with pytest.raises(UserError, match="not a member"):
            create_user(ctx, username="ops-y", role="ops_operator", password=PASSWORD,
                        agency_code="KNPA")  # fmt: skip
        with pytest.raises(UserError, match="works in watch centres"):
            create_user(ctx, username="ops-z", role="ops_operator", password=PASSWORD,
                        centre_code="CYBER")  # fmt: skip
        with pytest.raises(UserError, match="not a centre role"):
            create_user(ctx, username="hr-z", role="hr_officer", password=PASSWORD,
                        agency_code="MPM", centre_code="WATCH")  # fmt: skip
        db.rollback()

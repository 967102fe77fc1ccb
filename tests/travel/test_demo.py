"""The demo trips: every travel page has something in it, made through the real services."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from insa.cli import app
from insa.db.engine import session_scope
from insa.people import salary
from insa.people.seed import seed
from insa.people.synth import SeedConfig
from insa.security.context import Ctx
from insa.security.crypto import RRNCipher
from insa.security.demo import ensure_demo_users
from insa.travel import feeds, service
from insa.travel.checks_db import checks_for
from insa.travel.demo import ensure_demo_trips
from insa.travel.models import TravelTicket, TravelTrip
from insa.travel.tickets import read_events


def test_demo_trips(migrated: Engine, cipher: RRNCipher, tmp_path: Path) -> None:
    seed(migrated, SeedConfig(employees=6000, seed=3), cipher)
    feed = tmp_path / "tickets.jsonl"
    with session_scope(migrated) as db:
        ensure_demo_users(Ctx.command_line(db, cipher))
        report = ensure_demo_trips(Ctx.command_line(db), feed, today=dt.date(2026, 11, 25))
    assert report["created"] > 10 and report["unmatched"] == 1
    with session_scope(migrated) as db:
        states = dict(
            db.execute(select(TravelTrip.state, func.count()).group_by(TravelTrip.state)).all()
        )
        assert {"requested", "approved", "settled", "paid", "cancelled"} <= set(states)
        # the settled and paid amounts are the computation's
        for trip in db.scalars(select(TravelTrip).where(TravelTrip.state == "paid")):
            assert trip.total == service.settlement(service.Ctx(db, _finance(db)), trip)["total"]
        # the demo employee's approved trip has its tickets (one changed), ready to settle
        mine = db.scalar(select(TravelTrip).where(TravelTrip.state == "approved"))
        assert mine is not None
        statuses = db.scalars(select(TravelTicket.status).where(TravelTicket.trip_id == mine.id))
        assert sorted(statuses) == ["changed", "issued"]
        ctx = service.Ctx(db, _finance(db))
        assert len(feeds.refunds_to_collect(ctx)) == 2  # the cancelled trip's two tickets
        assert [t.ticket_id for t, _ in feeds.unmatched_tickets(ctx)] == ["D99999"]
        requested = [
            t.id for t in db.scalars(select(TravelTrip).where(TravelTrip.state == "requested"))
        ]
        flags = checks_for(ctx, requested)
        text = " ".join(m for ms in flags.values() for m in ms)
        assert "공휴일" in text and "겹침" in text
        # one settled trip's traveller has no salary account yet: held back from payment
        settled = db.scalars(select(TravelTrip).where(TravelTrip.state == "settled")).all()
        with_account = salary.with_accounts(ctx, [t.employee_id for t in settled])
        assert len(settled) == 6 and len({t.employee_id for t in settled} - with_account) == 1
    # once only; the feed re-imports without change
    with session_scope(migrated) as db:
        assert ensure_demo_trips(Ctx.command_line(db), feed)["created"] == 0
        again = feeds.import_tickets(Ctx.command_line(db), read_events(feed))
    assert again["inserted"] == again["updated"] == again["linked"] == 0
    assert again["unmatched_tickets"] == ["KORAIL:D99999"]
    assert all(json.loads(line)["operator"] == "KORAIL" for line in feed.read_text().splitlines())

    # every settlement at once: the confirmed ones agree with the rules, until one is altered
    out = tmp_path / "all.csv"
    r = CliRunner().invoke(app, ["travel", "settle-all", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "confirmed settlements agree with the rules" in r.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    with session_scope(migrated) as db:
        paid = db.scalars(select(TravelTrip).where(TravelTrip.state == "paid")).all()
        by_id = {int(r["trip_id"]): r for r in rows}
        assert all(int(by_id[t.id]["total"]) == t.total for t in paid)
        assert any("lodging_over_cap" in r["flags"] for r in rows) == any(
            "lodging_over_cap" in (t.flags or "") for t in paid
        )
        paid[0].total = (paid[0].total or 0) + 1_000
    r = CliRunner().invoke(app, ["travel", "settle-all"])
    assert r.exit_code == 1 and f"#{paid[0].id}" in r.output


def _finance(db):  # type: ignore[no-untyped-def]
    from insa.security.auth import principal_for
    from insa.security.models import User

    user = db.scalar(select(User).where(User.username == "demo-finance"))
    return principal_for(db, user, None)

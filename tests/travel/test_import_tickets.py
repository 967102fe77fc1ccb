"""Importing ticket feeds into the database: linking, idempotency, changes and refunds."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select
from typer.testing import CliRunner

from insa.cli import app
from insa.people.models import Employee
from insa.people.seed import seed
from insa.people.synth import SeedConfig
from insa.security.crypto import RRNCipher
from insa.travel.models import TravelTicket, TravelTrip


def ev(
    tid: str, who: str, status: str = "issued", at: str = "2025-03-01T10:00", **over: Any
) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ticket_id": tid, "operator": "korail", "passenger_key": who, "mode": "rail", "class": "standard",
        "from_station": "서울역", "to_station": "부산역", "departure": "2025-03-10T07:30",
        "arrival": "2025-03-10T10:10", "fare": 59800, "status": status, "issued_at": "2025-03-01T10:00",
    }  # fmt: skip
    if status == "refunded":
        base["refunded_at"] = at
    base.update(over)
    return base


def test_import_links_is_idempotent_and_follows_refunds(
    migrated: Engine, cipher: RRNCipher, tmp_path: Path
) -> None:
    seed(migrated, SeedConfig(employees=200, seed=3), cipher)
    now = dt.datetime.now(dt.UTC)
    with migrated.begin() as conn:
        emp_id, no, agency = conn.execute(
            select(Employee.id, Employee.employee_no, Employee.agency_id).limit(1)
        ).one()
        trip_id = conn.execute(insert(TravelTrip).values(
            employee_id=emp_id, agency_id=agency, purpose="협의", destination="부산광역시 연제구", region="metro",
            kind="outside", start_at=dt.datetime(2025, 3, 10, 9), end_at=dt.datetime(2025, 3, 10, 21),
            transport="rail", official_vehicle=False, band=2, state="approved", created_at=now, updated_at=now,
        )).inserted_primary_key[0]  # type: ignore[index]  # fmt: skip
    feed = tmp_path / "korail.jsonl"
    feed.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in [
        ev("A1", no), ev("B2", no, departure="2025-03-10T18:00", arrival="2025-03-10T20:40",
                        from_station="부산역", to_station="서울역"),
        ev("Z9", "0000000000"),
    ]) + "\n", encoding="utf-8")  # fmt: skip
    runner = CliRunner()
    r = runner.invoke(app, ["travel", "import-tickets", str(feed)])
    assert r.exit_code == 0, r.output
    assert "3 new" in r.output and "2 linked" in r.output and "korail:Z9" in r.output
    r = runner.invoke(app, ["travel", "import-tickets", str(feed)])
    assert "0 new, 0 updated, 3 unchanged; 0 linked" in r.output
    with migrated.connect() as conn:
        linked = conn.execute(select(TravelTicket.ticket_id, TravelTicket.trip_id)).all()
    assert dict(linked) == {"A1": trip_id, "B2": trip_id, "Z9": None}
    refund = tmp_path / "refund.jsonl"
    refund.write_text(json.dumps(ev("B2", no, "refunded", "2025-03-09T12:00", departure="2025-03-10T18:00",
                                    arrival="2025-03-10T20:40")) + "\n", encoding="utf-8")  # fmt: skip
    r = runner.invoke(app, ["travel", "import-tickets", str(refund)])
    assert "1 updated" in r.output
    with migrated.connect() as conn:
        assert (
            conn.scalar(select(TravelTicket.status).where(TravelTicket.ticket_id == "B2"))
            == "refunded"
        )
    # a later file with another ticket of the same traveller: the trip, ticketed by the first
    # file, is not listed as a trip without tickets
    other = tmp_path / "later.jsonl"
    other.write_text(json.dumps(ev("C3", no, departure="2025-04-01T08:00", arrival="2025-04-01T10:40"))
                     + "\n", encoding="utf-8")  # fmt: skip
    r = runner.invoke(app, ["travel", "import-tickets", str(other)])
    assert r.exit_code == 0 and "without tickets" not in r.output and "korail:C3" in r.output
    # an older event after a newer one changes nothing
    r = runner.invoke(app, ["travel", "import-tickets", str(feed)])
    assert "0 updated" in r.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"ticket_id": "x"}\n', encoding="utf-8")
    r = runner.invoke(app, ["travel", "import-tickets", str(bad)])
    assert r.exit_code == 1 and "bad.jsonl:1:operator:" in r.output

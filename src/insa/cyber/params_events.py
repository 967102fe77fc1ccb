"""The control tower's dated thresholds (``params/events.yaml``)."""

from __future__ import annotations

import datetime as dt

from insa.params import load


def events_params(on: dt.date | None = None) -> dict[str, int]:
    return {k: int(v) for k, v in load("cyber")["events"](on or dt.date.today()).items()}


def incident_window(on: dt.date | None = None) -> int:
    return events_params(on)["incident_window_seconds"]

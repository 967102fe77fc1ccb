"""Settlement runs started from the web: one background thread each, progress polled by HTMX.

A run of the same tax year and scope cannot start while one is running (the second click
gets the running job back). Jobs live in this process's memory; the run itself is stored in
``yearend_runs`` when it finishes, so a restart loses only the progress display.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine

from insa.security.context import over_connection
from insa.security.principal import Principal
from insa.yearend.settlement import RunReport, SettlementError, run_settlement


@dataclass
class Job:
    id: str
    tax_year: int
    agency_id: int | None
    actor: str  # the username of whoever started it
    status: str = "running"  # running | done | failed
    step: str = "대기 중"
    done: int = 0
    total: int = 4
    report: RunReport | None = None
    error: str | None = None
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def percent(self) -> int:
        return 100 if self.status == "done" else int(100 * self.done / max(self.total, 1))


_jobs: dict[str, Job] = {}
KEEP = dt.timedelta(hours=6)  # finished jobs are forgotten after this
log = logging.getLogger(__name__)
_lock = threading.Lock()


def get(job_id: str) -> Job | None:
    return _jobs.get(job_id)


def visible(job: Job, principal: Principal) -> bool:
    """Who may watch a run: whoever started it, central administrators, and the officers of
    the agency it settles (a colleague who clicked while it ran)."""
    return job.actor == principal.username or principal.covers_agency(job.agency_id)


def _overlaps(job: Job, tax_year: int, agency_id: int | None) -> bool:
    """Two runs of one tax year overlap when either covers every agency or both the same."""
    return job.tax_year == tax_year and (
        job.agency_id is None or agency_id is None or job.agency_id == agency_id
    )


def _prune(now: dt.datetime) -> None:
    for key in [k for k, j in _jobs.items() if j.status != "running" and now - j.started_at > KEEP]:
        del _jobs[key]


def start(engine: Engine, tax_year: int, agency_id: int | None, *, principal: Principal) -> Job:
    """Run the settlement of ``agency_id`` (None: every agency) in a background thread, as
    ``principal``; a failed run is audited too."""
    with _lock:
        _prune(dt.datetime.now(dt.UTC))
        for job in _jobs.values():
            if job.status == "running" and _overlaps(job, tax_year, agency_id):
                return job  # the page shows that run's progress (or, if not theirs, a 404)
        job = Job(secrets.token_urlsafe(12), tax_year, agency_id, principal.username)
        _jobs[job.id] = job

    def progress(step: str, done: int, total: int) -> None:
        job.step, job.done, job.total = step, done, total

    def work() -> None:
        try:
            job.report = run_settlement(
                engine, tax_year, agency_id=agency_id, principal=principal, on_progress=progress
            )
            job.status = "done"
        except SettlementError as exc:
            job.error, job.status = str(exc), "failed"
        except Exception as exc:  # the transaction rolled back; the officer sees the kind
            log.exception("year-end run %s failed", job.id)
            job.error, job.status = f"정산 중 오류: {type(exc).__name__}", "failed"
        if job.status == "failed":
            with engine.begin() as conn, over_connection(conn, principal) as ctx:
                ctx.audit(
                    "yearend.run_failed",
                    target_type="yearend_run",
                    agency_id=agency_id,
                    detail={"tax_year": tax_year, "error": job.error},
                )

    threading.Thread(target=work, name=f"yearend-{job.id}", daemon=True).start()
    return job

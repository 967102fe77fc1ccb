"""Settlement runs started from the web: one background thread each, progress polled by HTMX.

A run of the same tax year and scope cannot start while one is running (the second click
gets the running job back). Jobs live in this process's memory; the run itself is stored in
``yearend_runs`` when it finishes, so a restart loses only the progress display.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine

from insa.yearend.service import RunReport, SettlementError, run_settlement


@dataclass
class Job:
    id: str
    tax_year: int
    agency_id: int | None
    actor: str
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
_lock = threading.Lock()


def get(job_id: str) -> Job | None:
    return _jobs.get(job_id)


def start(
    engine: Engine,
    tax_year: int,
    agency_id: int | None,
    *,
    actor: str,
    actor_role: str,
    client_addr: str | None,
) -> Job:
    with _lock:
        for job in _jobs.values():
            if job.status == "running" and (job.tax_year, job.agency_id) == (tax_year, agency_id):
                return job
        job = Job(secrets.token_urlsafe(12), tax_year, agency_id, actor)
        _jobs[job.id] = job

    def progress(step: str, done: int, total: int) -> None:
        job.step, job.done, job.total = step, done, total

    def work() -> None:
        try:
            job.report = run_settlement(
                engine,
                tax_year,
                agency_id=agency_id,
                actor=actor,
                actor_role=actor_role,
                client_addr=client_addr,
                on_progress=progress,
            )
            job.status = "done"
        except SettlementError as exc:
            job.error, job.status = str(exc), "failed"
        except Exception as exc:  # shown to the officer; the transaction rolled back
            job.error, job.status = f"정산 중 오류: {type(exc).__name__}", "failed"

    threading.Thread(target=work, name=f"yearend-{job.id}", daemon=True).start()
    return job

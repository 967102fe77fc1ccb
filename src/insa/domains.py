"""The one registry of insa's packages: the core packages that have pages and commands (people,
security) and the domain packages (year-end settlement, family allowance, travel …).

Explicit imports, no discovery: the import picture stays readable, and adding a domain is one
entry here (docs/architecture.md, "How to add a domain"). The web app factory (routers, menu,
templates), the CLI (sub-apps), the model registry (migrations, schema checks), the
permission table and ``insa db upgrade`` (reference data) iterate over :data:`PACKAGES`.

A package's commands (``cli.py``, light) are imported here; its other rooms are imported the
first time they are needed — each by an explicit import in one small function below — so
that ``insa --help`` or a stateless ``insa travel compute`` does not load every package's
models, services and the web framework: the services' ``GRANTS`` when a permission is first
asked (``load_grants``, installed in the policy), the models for the migrations, the routes
when the web app is built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from types import ModuleType
from typing import TYPE_CHECKING, Any

import typer

from insa.allowance import cli as allowance_cli
from insa.cyber import cli as cyber_cli
from insa.people import cli as people_cli
from insa.security import cli as security_cli
from insa.security import grants
from insa.travel import cli as travel_cli
from insa.watch import cli as watch_cli
from insa.yearend import cli as yearend_cli

if TYPE_CHECKING:
    from fastapi import APIRouter
    from sqlalchemy import Connection, MetaData

    from insa.web.deps import NavItem


@dataclass(frozen=True)
class Rooms:
    """A package's rooms that hold its data and policy."""

    models: ModuleType  # its tables (SQLAlchemy models on insa.db.base.Base)
    service: ModuleType  # its scoped, audited face; declares GRANTS


@dataclass(frozen=True)
class Package:
    """What a package gives the app. Every field comes from one of its rooms:
    ``models.py`` (tables), ``service.py`` (``GRANTS``), ``routes.py`` (``ROUTERS``, ``NAV``),
    ``cli.py`` (``COMMANDS``), ``templates/`` (its pages)."""

    name: str  # the package under insa/, the prefix of its permissions and its templates
    label: str  # Korean, as shown
    commands: tuple[tuple[str | None, typer.Typer], ...]  # (name, sub-app); None: top level
    rooms: Callable[[], Rooms]  # its models and service
    web: Callable[[], ModuleType]  # its routes module
    # reference data every database carries, synced by `insa db upgrade` (idempotent)
    reference: Callable[[Connection], Mapping[str, int]] | None = None

    @property
    def models(self) -> ModuleType:
        return self.rooms().models

    @property
    def grants(self) -> Mapping[str, set[str]]:
        """Role → the permissions of this package that role holds."""
        grants: Mapping[str, set[str]] = self.rooms().service.GRANTS
        return grants

    @property
    def audit_labels(self) -> Mapping[str, str]:
        """Korean words for its audit actions and targets (``AUDIT_LABELS`` in its service)."""
        labels: Mapping[str, str] = getattr(self.rooms().service, "AUDIT_LABELS", {})
        return labels

    @property
    def pending_work(self) -> Callable[[Any], list[dict[str, Any]]] | None:
        """What waits for the caller in this package (``pending_work(ctx)`` in its service):
        the home page shows it, with counts linking to the lists."""
        fn: Callable[[Any], list[dict[str, Any]]] | None = getattr(
            self.rooms().service, "pending_work", None
        )
        return fn

    @property
    def routers(self) -> tuple[APIRouter, ...]:
        """Its pages and /api/v1."""
        return tuple(self.web().ROUTERS)

    @property
    def nav(self) -> tuple[NavItem, ...]:
        """Its entries in the main menu."""
        return tuple(getattr(self.web(), "NAV", ()))

    @property
    def templates(self) -> Traversable:
        return resources.files(f"insa.{self.name}").joinpath("templates")


# ------------------------------------------------------------------ people


def _people() -> Rooms:
    from insa.people import models, service

    return Rooms(models, service)


def _people_web() -> ModuleType:
    from insa.people import routes

    return routes


def _people_reference(conn: Connection) -> Mapping[str, int]:
    from insa.people.reference import sync

    return sync(conn)


# ------------------------------------------------------------------ security


def _security() -> Rooms:
    from insa.security import models, service

    return Rooms(models, service)


def _security_web() -> ModuleType:
    from insa.security import routes

    return routes


def _security_reference(conn: Connection) -> Mapping[str, int]:
    from insa.security.reference import sync_centres

    return sync_centres(conn)


# ------------------------------------------------------------------ yearend


def _yearend() -> Rooms:
    from insa.yearend import models, service

    return Rooms(models, service)


def _yearend_web() -> ModuleType:
    from insa.yearend import routes

    return routes


# ------------------------------------------------------------------ allowance


def _allowance() -> Rooms:
    from insa.allowance import models, service

    return Rooms(models, service)


def _allowance_web() -> ModuleType:
    from insa.allowance import routes

    return routes


# ------------------------------------------------------------------ travel


def _travel() -> Rooms:
    from insa.travel import models, service

    return Rooms(models, service)


def _travel_web() -> ModuleType:
    from insa.travel import routes

    return routes


# ------------------------------------------------------------------ watch


def _watch() -> Rooms:
    from insa.watch import models, service

    return Rooms(models, service)


def _watch_web() -> ModuleType:
    from insa.watch import routes

    return routes


# ------------------------------------------------------------------ cyber


def _cyber() -> Rooms:
    from insa.cyber import models, service

    return Rooms(models, service)


def _cyber_web() -> ModuleType:
    from insa.cyber import routes

    return routes


# ------------------------------------------------------------------ the registry

CORE = (
    Package("people", "인사 기록", people_cli.COMMANDS, _people, _people_web, _people_reference),
    Package("security", "보안·계정", security_cli.COMMANDS, _security, _security_web,
            _security_reference),
)  # fmt: skip
DOMAINS = (
    Package("yearend", "연말정산", yearend_cli.COMMANDS, _yearend, _yearend_web),
    Package("allowance", "가족수당 이중수급 검증", allowance_cli.COMMANDS, _allowance,
            _allowance_web),
    Package("travel", "출장 정산", travel_cli.COMMANDS, _travel, _travel_web),
    Package("watch", "장애 탐지", watch_cli.COMMANDS, _watch, _watch_web),
    Package("cyber", "사칭 사이트 탐지", cyber_cli.COMMANDS, _cyber, _cyber_web),
)  # fmt: skip
PACKAGES = CORE + DOMAINS


def load_grants() -> None:
    """Register every package's permissions and the roles holding them (idempotent)."""
    for package in PACKAGES:
        grants.grant(package.name, package.grants)


grants.install_grants(load_grants)  # the policy asks for them when first needed


def audit_labels() -> dict[str, str]:
    """Every package's words for its audit actions and targets (the audit page and export)."""
    return {k: v for package in PACKAGES for k, v in package.audit_labels.items()}


def sync_reference_data(conn: Connection) -> dict[str, int]:
    """Every package's reference data, in the order of :data:`PACKAGES` (agencies before the
    centres that name them). Returns the rows added, by table."""
    added: dict[str, int] = {}
    for package in PACKAGES:
        if package.reference is not None:
            added.update(package.reference(conn))
    return added


def metadata() -> MetaData:
    """Every package's tables (importing each package's models)."""
    from insa.db import models as _db  # noqa: F401  (the batch locks)
    from insa.db.base import Base

    for package in PACKAGES:
        package.models  # noqa: B018  (the import registers the tables)
    return Base.metadata

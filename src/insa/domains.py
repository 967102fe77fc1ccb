"""The one registry of insa's packages: the core packages that have pages and commands
(people, security) and the domain packages (year-end settlement, family allowance, travel …).

Explicit imports, no discovery: the import picture stays readable, and adding a domain is one
entry here (docs/architecture.md, "How to add a domain"). The web app factory (routers, menu,
templates), the CLI (sub-apps), the model registry (migrations, schema checks), the
permission table and ``insa db upgrade`` (reference data) iterate over :data:`PACKAGES`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from types import ModuleType
from typing import Any

import typer
from fastapi import APIRouter
from sqlalchemy import Connection, MetaData

from insa.allowance import cli as allowance_cli
from insa.allowance import models as allowance_models
from insa.allowance import routes as allowance_routes
from insa.allowance import service as allowance_service
from insa.db.base import Base
from insa.people import cli as people_cli
from insa.people import models as people_models
from insa.people import reference as people_reference
from insa.people import routes as people_routes
from insa.people import service as people_service
from insa.security import cli as security_cli
from insa.security import models as security_models
from insa.security import principal
from insa.security import reference as security_reference
from insa.security import routes as security_routes
from insa.security import service as security_service
from insa.travel import cli as travel_cli
from insa.travel import models as travel_models
from insa.travel import routes as travel_routes
from insa.travel import service as travel_service
from insa.web.deps import NavItem
from insa.yearend import cli as yearend_cli
from insa.yearend import models as yearend_models
from insa.yearend import routes as yearend_routes
from insa.yearend import service as yearend_service


@dataclass(frozen=True)
class Package:
    """What a package gives the app. Every field comes from one of its rooms:
    ``models.py`` (tables), ``service.py`` (``GRANTS``), ``routes.py`` (``ROUTERS``, ``NAV``),
    ``cli.py`` (``COMMANDS``), ``templates/`` (its pages)."""

    name: str  # the package under insa/, the prefix of its permissions and its templates
    label: str  # Korean, as shown
    models: ModuleType  # its tables (SQLAlchemy models on insa.db.base.Base)
    grants: Mapping[str, set[str]]  # role → the permissions of this package that role holds
    routers: tuple[APIRouter, ...]  # pages and /api/v1
    nav: tuple[NavItem, ...]  # its entries in the main menu
    commands: tuple[tuple[str | None, typer.Typer], ...]  # (name, sub-app); None: top level
    # reference data every database carries, synced by `insa db upgrade` (idempotent)
    reference: Callable[[Connection], Mapping[str, int]] | None = None

    @property
    def templates(self) -> Traversable:
        return resources.files(f"insa.{self.name}").joinpath("templates")


def _package(name: str, label: str, models: ModuleType, service: Any, routes: Any, cli: Any,
             reference: Callable[[Connection], Mapping[str, int]] | None = None) -> Package:  # fmt: skip
    return Package(
        name=name,
        label=label,
        models=models,
        grants=service.GRANTS,
        routers=tuple(routes.ROUTERS),
        nav=tuple(getattr(routes, "NAV", ())),
        commands=tuple(cli.COMMANDS),
        reference=reference,
    )


CORE = (
    _package("people", "인사 기록", people_models, people_service, people_routes, people_cli,
             people_reference.sync),
    _package("security", "보안·계정", security_models, security_service, security_routes,
             security_cli, security_reference.sync_centres),
)  # fmt: skip
DOMAINS = (
    _package("yearend", "연말정산", yearend_models, yearend_service, yearend_routes, yearend_cli),
    _package("allowance", "가족수당 이중수급 검증", allowance_models, allowance_service,
             allowance_routes, allowance_cli),
    _package("travel", "출장 정산", travel_models, travel_service, travel_routes, travel_cli),
)  # fmt: skip
PACKAGES = CORE + DOMAINS

for _package_entry in PACKAGES:
    principal.grant(_package_entry.name, _package_entry.grants)


def sync_reference_data(conn: Connection) -> dict[str, int]:
    """Every package's reference data, in the order of :data:`PACKAGES` (agencies before the
    centres that name them). Returns the rows added, by table."""
    added: dict[str, int] = {}
    for package in PACKAGES:
        if package.reference is not None:
            added.update(package.reference(conn))
    return added


def metadata() -> MetaData:
    """Every package's tables (their models modules are imported above)."""
    return Base.metadata

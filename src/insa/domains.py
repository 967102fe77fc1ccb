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
from typing import TYPE_CHECKING, Any

import typer
from sqlalchemy import Connection, MetaData

from insa.allowance import cli as allowance_cli
from insa.allowance import models as allowance_models
from insa.allowance import service as allowance_service
from insa.db.base import Base
from insa.people import cli as people_cli
from insa.people import models as people_models
from insa.people import reference as people_reference
from insa.people import service as people_service
from insa.security import cli as security_cli
from insa.security import models as security_models
from insa.security import principal
from insa.security import reference as security_reference
from insa.security import service as security_service
from insa.travel import cli as travel_cli
from insa.travel import models as travel_models
from insa.travel import service as travel_service
from insa.yearend import cli as yearend_cli
from insa.yearend import models as yearend_models
from insa.yearend import service as yearend_service

if TYPE_CHECKING:
    from fastapi import APIRouter

    from insa.web.deps import NavItem


@dataclass(frozen=True)
class Package:
    """What a package gives the app. Every field comes from one of its rooms:
    ``models.py`` (tables), ``service.py`` (``GRANTS``), ``routes.py`` (``ROUTERS``, ``NAV``),
    ``cli.py`` (``COMMANDS``), ``templates/`` (its pages). Its ``routes.py`` is imported when
    the web app is built (``web``), so that a command does not load the web framework."""

    name: str  # the package under insa/, the prefix of its permissions and its templates
    label: str  # Korean, as shown
    models: ModuleType  # its tables (SQLAlchemy models on insa.db.base.Base)
    grants: Mapping[str, set[str]]  # role → the permissions of this package that role holds
    commands: tuple[tuple[str | None, typer.Typer], ...]  # (name, sub-app); None: top level
    web: Callable[[], ModuleType]  # its routes module
    # reference data every database carries, synced by `insa db upgrade` (idempotent)
    reference: Callable[[Connection], Mapping[str, int]] | None = None

    @property
    def templates(self) -> Traversable:
        return resources.files(f"insa.{self.name}").joinpath("templates")

    @property
    def routers(self) -> tuple[APIRouter, ...]:
        """Its pages and /api/v1."""
        return tuple(self.web().ROUTERS)

    @property
    def nav(self) -> tuple[NavItem, ...]:
        """Its entries in the main menu."""
        return tuple(getattr(self.web(), "NAV", ()))


def _package(name: str, label: str, models: ModuleType, service: Any, cli: Any,
             web: Callable[[], ModuleType],
             reference: Callable[[Connection], Mapping[str, int]] | None = None) -> Package:  # fmt: skip
    return Package(name=name, label=label, models=models, grants=service.GRANTS,
                   commands=tuple(cli.COMMANDS), web=web, reference=reference)  # fmt: skip


# the routes modules, imported when the web app is built (each one explicit, in its own line)
def _people_web() -> ModuleType:
    from insa.people import routes

    return routes


def _security_web() -> ModuleType:
    from insa.security import routes

    return routes


def _yearend_web() -> ModuleType:
    from insa.yearend import routes

    return routes


def _allowance_web() -> ModuleType:
    from insa.allowance import routes

    return routes


def _travel_web() -> ModuleType:
    from insa.travel import routes

    return routes


CORE = (
    _package("people", "인사 기록", people_models, people_service, people_cli, _people_web,
             people_reference.sync),
    _package("security", "보안·계정", security_models, security_service, security_cli,
             _security_web, security_reference.sync_centres),
)  # fmt: skip
DOMAINS = (
    _package("yearend", "연말정산", yearend_models, yearend_service, yearend_cli, _yearend_web),
    _package("allowance", "가족수당 이중수급 검증", allowance_models, allowance_service,
             allowance_cli, _allowance_web),
    _package("travel", "출장 정산", travel_models, travel_service, travel_cli, _travel_web),
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

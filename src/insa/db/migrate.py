"""Alembic, driven from code (no alembic.ini needed): ``insa db upgrade`` / ``downgrade``."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect

from insa.db.engine import get_engine


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("insa.db").joinpath("migrations")))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine or get_engine()), revision)


def downgrade(engine: Engine | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(engine or get_engine()), revision)


def current_revision(engine: Engine | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    eng = engine or get_engine()
    with eng.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine | None = None) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine or get_engine())).get_current_head()


def is_current(engine: Engine | None = None) -> bool:
    eng = engine or get_engine()
    return is_migrated(eng) and current_revision(eng) == head_revision(eng)


def is_migrated(engine: Engine | None = None) -> bool:
    eng = engine or get_engine()
    return inspect(eng).has_table("alembic_version") and current_revision(eng) is not None

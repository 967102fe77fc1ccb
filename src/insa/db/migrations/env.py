"""Alembic environment: the engine comes from ``config.attributes`` (see insa.db.migrate)."""

from __future__ import annotations

from alembic import context

from insa.db.base import Base
from insa.db.engine import get_engine

config = context.config
# the caller's model registry (insa.domains.metadata(), set by insa.db.migrate when given);
# upgrades and downgrades run the version files and do not need it
target_metadata = config.attributes.get("metadata", Base.metadata)


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or get_engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `insa db upgrade`")
run_migrations_online()

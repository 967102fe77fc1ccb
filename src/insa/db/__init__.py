"""Database layer: engine and sessions, declarative base, Alembic migrations, bulk writers."""

"""Alembic environment: migrate the connection geomap hands over (or ``GEOMAP_DB``)."""

from alembic import context

from geomap.backends import create_engine
from geomap.store import db_url


def _run(connection) -> None:
    context.configure(connection=connection, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # the `alembic` command line, for developers
    with create_engine(db_url()).begin() as conn:
        _run(conn)

"""Baseline: the schema of geomap before migrations, plus ``events.region``, on both backends.

Creates what a store lacks and leaves the rest, so it both builds a new store and adopts
one made by ``create_all`` before Alembic (no ``alembic_version``): missing columns are
added, missing indexes built, and the spatial index filled from the stored events.
The tables are a frozen copy of ``geomap.store``'s at this revision (a migration must not
change when the code does).

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SRID = 4326
# ISO dates compare as strings (ranges, "2022-06" + U+FFFF): byte order on every server
Date = sa.String(10).with_variant(sa.String(10, collation="C"), "postgresql")

md = sa.MetaData()
sa.Table(
    "articles",
    md,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("url", sa.Text),
    sa.Column("outlet", sa.Text),
    sa.Column("published", sa.String(32)),
    sa.Column("source", sa.Text),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("ingested_at", sa.String(32), nullable=False),
)
sa.Table(
    "events",
    md,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("place_id", sa.String(64), nullable=False, index=True),
    sa.Column("place_name", sa.Text, nullable=False),
    sa.Column("place_kind", sa.String(32), nullable=False),
    sa.Column("country", sa.String(2)),
    sa.Column("admin1", sa.Text),
    sa.Column("region", sa.String(64), index=True),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("geo_precision", sa.Integer, nullable=False),
    sa.Column("event_type", sa.String(32), nullable=False, index=True),
    sa.Column("date", Date, index=True),
    sa.Column("date_precision", sa.String(8)),
    sa.Column("actors", sa.Text, nullable=False),
    sa.Column("roles", sa.Text, nullable=False, server_default="{}"),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("source_count", sa.Integer, nullable=False),
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False),
    sa.Column("sentence", sa.Text, nullable=False),
    sa.Column("mention", sa.Text, nullable=False),
)
sa.Table(
    "event_actors",
    md,
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), primary_key=True),
    sa.Column("actor", sa.String(16), primary_key=True),
    sa.Index("ix_event_actors_actor", "actor", "event_id"),
)
sa.Table(
    "reports",
    md,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=False, index=True),
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False, index=True),
    sa.Column("sentence", sa.Text, nullable=False),
    sa.Column("sentence_start", sa.Integer, nullable=False),
    sa.Column("sentence_end", sa.Integer, nullable=False),
    sa.Column("mention_start", sa.Integer, nullable=False),
    sa.Column("mention_end", sa.Integer, nullable=False),
    sa.Column("actors", sa.Text, nullable=False),
    sa.Column("date", sa.String(10)),
)
sa.Table(
    "mentions",
    md,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False, index=True),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("place_id", sa.String(64), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("country", sa.String(2)),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("literal", sa.Boolean, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("reason", sa.Text),
)


def upgrade() -> None:
    """Create or complete the tables, then the backend's spatial index."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    inspector = sa.inspect(bind)
    for table in md.sorted_tables:
        if not inspector.has_table(table.name):
            table.create(bind)
            continue
        have = {c["name"] for c in inspector.get_columns(table.name)}
        for col in table.columns:
            if col.name not in have:
                op.add_column(table.name, col._copy())
        for index in table.indexes:
            index.create(bind, checkfirst=True)
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS events_rtree "
            "USING rtree(id, minx, maxx, miny, maxy)"
        )
        op.execute(
            "INSERT INTO events_rtree SELECT id, lon, lon, lat, lat FROM events "
            "WHERE id NOT IN (SELECT id FROM events_rtree)"
        )
    elif "geom" not in {c["name"] for c in inspector.get_columns("events")}:
        # computed by the server from lon/lat, so every insert path feeds the GiST index
        op.add_column(
            "events",
            sa.Column(
                "geom",
                Geometry("POINT", srid=SRID, spatial_index=False),
                sa.Computed(f"ST_SetSRID(ST_MakePoint(lon, lat), {SRID})", persisted=True),
            ),
        )
        op.create_index(
            "ix_events_geom", "events", ["geom"], postgresql_using="gist", if_not_exists=True
        )


def downgrade() -> None:
    """Drop everything: the baseline has nothing to go back to."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS events_rtree")
    for table in reversed(md.sorted_tables):
        op.drop_table(table.name)

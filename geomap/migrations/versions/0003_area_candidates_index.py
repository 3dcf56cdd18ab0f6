"""``ix_events_region_type``: the area candidates of a merge.

A report of a governorate, or of the area around a settlement, is compared with the latest
events of its type in its governorate (``geomap.store._area_candidates``, newest first, a
bounded number): on this index the query walks back from the newest instead of sorting
every event of the governorate.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_events_region_type"


def upgrade() -> None:
    """Build the index (an adopted store may have it already)."""
    op.create_index(INDEX, "events", ["region", "event_type", "id"], if_not_exists=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="events", if_exists=True)

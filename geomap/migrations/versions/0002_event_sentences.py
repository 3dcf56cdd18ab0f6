"""``event_sentences``: the distinct report sentences of each event, for merging.

The wording half of the merge rule compares a new report with every distinct sentence
an event was reported in. Read from ``reports``, that cost one row per report, and an
event may gather thousands of reports of a few sentences; this table holds each once.
It is filled from the stored reports here, and by every article write from now on.

Revision ID: 0002
Revises: 0001
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

md = sa.MetaData()
sa.Table("events", md, sa.Column("id", sa.Integer, primary_key=True))
event_sentences = sa.Table(
    "event_sentences",
    md,
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), primary_key=True),
    sa.Column("digest", sa.String(32), primary_key=True),
    sa.Column("sentence", sa.Text, nullable=False),
)
reports = sa.table("reports", sa.column("event_id"), sa.column("sentence"))


def _digest(sentence: str) -> str:
    # frozen copy of geomap.store.sentence_digest at this revision
    return hashlib.blake2b(sentence.encode(), digest_size=16).hexdigest()


def upgrade() -> None:
    """Create the table and fill it from the stored reports (adding only missing rows: an
    adopted store may have it already)."""
    bind = op.get_bind()
    event_sentences.create(bind, checkfirst=True)
    have = set(bind.execute(sa.select(event_sentences.c.event_id, event_sentences.c.digest)))
    rows = bind.execute(sa.select(reports.c.event_id, reports.c.sentence).distinct())
    batch = []
    for eid, sentence in rows:
        digest = _digest(sentence)
        if (eid, digest) not in have:
            have.add((eid, digest))
            batch.append({"event_id": eid, "digest": digest, "sentence": sentence})
    for i in range(0, len(batch), 5000):
        bind.execute(event_sentences.insert(), batch[i : i + 5000])


def downgrade() -> None:
    op.drop_table("event_sentences")

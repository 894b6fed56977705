"""validation: the lease, the verdict's time and author, and fixity checks on multipart_uploads

Revision ID: c5d1e0a4f7b2
Revises: b3ad435c58ee
Create Date: 2026-12-03 17:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c5d1e0a4f7b2"
down_revision = "b3ad435c58ee"
branch_labels = None
depends_on = None

COLUMNS = (
    ("validation_lease_owner", sa.String(length=255)),
    ("validation_lease_until", sa.DateTime(timezone=True)),
    ("validation_attempts", sa.Integer()),
    ("next_validation_at", sa.DateTime(timezone=True)),
    ("validation_progress", sa.BigInteger()),
    ("validated_at", sa.DateTime(timezone=True)),
    ("validated_by", sa.String(length=255)),
    ("fixity_checked_at", sa.DateTime(timezone=True)),
    ("fixity_failed_at", sa.DateTime(timezone=True)),
    ("fixity_reason", sa.String(length=1024)),
)


def upgrade():
    with op.batch_alter_table("multipart_uploads", schema=None) as batch_op:
        for name, kind in COLUMNS:
            if name == "validation_attempts":
                batch_op.add_column(sa.Column(name, kind, nullable=False, server_default="0"))
            else:
                batch_op.add_column(sa.Column(name, kind, nullable=True))
        batch_op.create_index("ix_multipart_uploads_upload_status", ["upload_status"], unique=False)


def downgrade():
    with op.batch_alter_table("multipart_uploads", schema=None) as batch_op:
        batch_op.drop_index("ix_multipart_uploads_upload_status")
        for name, _kind in reversed(COLUMNS):
            batch_op.drop_column(name)

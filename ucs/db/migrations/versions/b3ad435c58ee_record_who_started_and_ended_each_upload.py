"""record who started and ended each upload

Revision ID: b3ad435c58ee
Revises: 947ea3c7387f
Create Date: 2026-12-01 18:29:44.827639

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b3ad435c58ee"
down_revision = "947ea3c7387f"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("multipart_uploads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_by", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("ended_by", sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table("multipart_uploads", schema=None) as batch_op:
        batch_op.drop_column("ended_by")
        batch_op.drop_column("started_by")

"""reports, timeline and corrective actions

The report and its standards, the append-only timeline, corrective actions and the per-kind,
per-year reference counter (HZ-2026-0042).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 15:28:04.612291
"""
import sqlalchemy as sa
from alembic import op

import storage.models.base

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reference_counter',
    sa.Column('kind', sa.Enum('hazard', 'near_miss', 'incident', 'environmental', 'defect', name='report_kind', native_enum=False, length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'year', name=op.f('pk_reference_counter'))
    )
    op.create_table('report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.Enum('hazard', 'near_miss', 'incident', 'environmental', 'defect', name='report_kind', native_enum=False, length=20), nullable=False),
    sa.Column('status', sa.Enum('new', 'triage', 'action', 'closing', 'closed', 'rejected', name='report_status', native_enum=False, length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('place', sa.String(length=300), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('occurred_at', storage.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('immediate_action', sa.Text(), nullable=True),
    sa.Column('severity_estimate', sa.Enum('low', 'medium', 'high', 'critical', name='risk_level', native_enum=False, length=20), nullable=True),
    sa.Column('injury_class', sa.Enum('first_aid', 'medical_treatment', 'restricted_work', 'lost_time', name='injury_class', native_enum=False, length=20), nullable=True),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('source_link', sa.String(length=500), nullable=True),
    sa.Column('source_key', sa.String(length=200), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('follow_code_hash', sa.String(length=64), nullable=True),
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('likelihood', sa.Integer(), nullable=True),
    sa.Column('severity', sa.Integer(), nullable=True),
    sa.Column('risk_level', sa.Enum('low', 'medium', 'high', 'critical', name='risk_level', native_enum=False, length=20), nullable=True),
    sa.Column('residual_likelihood', sa.Integer(), nullable=True),
    sa.Column('residual_severity', sa.Integer(), nullable=True),
    sa.Column('residual_risk_level', sa.Enum('low', 'medium', 'high', 'critical', name='risk_level', native_enum=False, length=20), nullable=True),
    sa.Column('root_cause_whys', sa.JSON(), nullable=True),
    sa.Column('root_cause', sa.Text(), nullable=True),
    sa.Column('escalated_at', storage.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('rejection', sa.String(length=20), nullable=True),
    sa.Column('duplicate_of', sa.String(length=20), nullable=True),
    sa.Column('created_at', storage.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', storage.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_report_department_id_department')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_report_location_id_location')),
    sa.ForeignKeyConstraint(['reporter_id'], ['person.id'], name=op.f('fk_report_reporter_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report')),
    sa.UniqueConstraint('follow_code_hash', name=op.f('uq_report_follow_code_hash')),
    sa.UniqueConstraint('reference', name=op.f('uq_report_reference')),
    sa.UniqueConstraint('source_key', name=op.f('uq_report_source_key'))
    )
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index('ix_report_status', ['status'], unique=False)

    op.create_table('corrective_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('type', sa.Enum('containment', 'correction', 'corrective', 'preventive', name='action_type', native_enum=False, length=20), nullable=False),
    sa.Column('control_level', sa.Enum('elimination', 'substitution', 'engineering', 'administrative', 'ppe', name='control_level', native_enum=False, length=20), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('verifier_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'done', 'verified', 'declined', name='action_status', native_enum=False, length=20), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('evidence_note', sa.Text(), nullable=True),
    sa.Column('evidence_files', sa.JSON(), nullable=False),
    sa.Column('reminded_on', sa.Date(), nullable=True),
    sa.Column('escalated_on', sa.Date(), nullable=True),
    sa.Column('created_at', storage.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('done_at', storage.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('verified_at', storage.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by'], ['person.id'], name=op.f('fk_corrective_action_assigned_by_person')),
    sa.ForeignKeyConstraint(['owner_id'], ['person.id'], name=op.f('fk_corrective_action_owner_id_person')),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], name=op.f('fk_corrective_action_report_id_report'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['verifier_id'], ['person.id'], name=op.f('fk_corrective_action_verifier_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_corrective_action'))
    )
    with op.batch_alter_table('corrective_action', schema=None) as batch_op:
        batch_op.create_index('ix_corrective_action_owner', ['owner_id', 'status'], unique=False)

    op.create_table('report_standard',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('standard', sa.Enum('iso9001', 'iso14001', 'iso45001', name='standard', native_enum=False, length=20), nullable=False),
    sa.Column('signed_off_by', sa.Integer(), nullable=True),
    sa.Column('signed_off_at', storage.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], name=op.f('fk_report_standard_report_id_report'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['signed_off_by'], ['person.id'], name=op.f('fk_report_standard_signed_off_by_person')),
    sa.PrimaryKeyConstraint('report_id', 'standard', name=op.f('pk_report_standard'))
    )
    op.create_table('report_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=True),
    sa.Column('at', storage.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['corrective_action.id'], name=op.f('fk_report_event_action_id_corrective_action')),
    sa.ForeignKeyConstraint(['actor_id'], ['person.id'], name=op.f('fk_report_event_actor_id_person')),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], name=op.f('fk_report_event_report_id_report'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_event'))
    )
    with op.batch_alter_table('report_event', schema=None) as batch_op:
        batch_op.create_index('ix_report_event_report', ['report_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('report_event', schema=None) as batch_op:
        batch_op.drop_index('ix_report_event_report')

    op.drop_table('report_event')
    op.drop_table('report_standard')
    with op.batch_alter_table('corrective_action', schema=None) as batch_op:
        batch_op.drop_index('ix_corrective_action_owner')

    op.drop_table('corrective_action')
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index('ix_report_status')

    op.drop_table('report')
    op.drop_table('reference_counter')

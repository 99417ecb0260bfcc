"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 17:23:26.636998
"""
from __future__ import annotations

import pgvector.sqlalchemy
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute('CREATE EXTENSION IF NOT EXISTS vector')
    op.create_table('bot_state',
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('value', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('current_act', sa.Integer(), nullable=False),
    sa.Column('current_scene', sa.Integer(), nullable=False),
    sa.Column('plot_flags', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('plot_structure', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('source_file', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('current_act >= 1', name='campaign_act_positive'),
    sa.CheckConstraint('current_scene >= 1', name='campaign_scene_positive'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('dead_letters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Text(), nullable=False),
    sa.Column('task_name', sa.Text(), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('task_id')
    )
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('reply_key', sa.Text(), nullable=False),
    sa.Column('channel_id', sa.BigInteger(), nullable=True),
    sa.Column('dm_user_id', sa.BigInteger(), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('embeds', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('reply_to', sa.Text(), nullable=True),
    sa.Column('edit_key', sa.Text(), nullable=True),
    sa.Column('meta', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('channel_id IS NOT NULL OR dm_user_id IS NOT NULL', name='outbox_has_destination'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reply_key')
    )
    op.create_index('outbox_unpublished', 'outbox', ['created_at'], unique=False, postgresql_where=sa.text('published_at IS NULL'))
    op.create_table('processed_messages',
    sa.Column('message_key', sa.Text(), nullable=False),
    sa.Column('task_name', sa.Text(), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('message_key')
    )
    op.create_table('rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('index_key', sa.Text(), nullable=False),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('type', 'index_key', name='rule_key_per_type')
    )
    op.create_index(op.f('ix_rules_type'), 'rules', ['type'], unique=False)
    op.create_index('rules_lower_name', 'rules', ['type', sa.literal_column('lower(name)')], unique=False)
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('target', sa.Text(), nullable=True),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_audit_log_campaign_id'), 'audit_log', ['campaign_id'], unique=False)
    op.create_table('campaign_chunks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('chunk_text', sa.Text(), nullable=False),
    sa.Column('metadata', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('embedding', pgvector.sqlalchemy.vector.VECTOR(dim=384), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_campaign_chunks_campaign_id'), 'campaign_chunks', ['campaign_id'], unique=False)
    op.create_table('campaign_structures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('structures', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_campaign_structures_campaign_id'), 'campaign_structures', ['campaign_id'], unique=False)
    op.create_table('characters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('player_id', sa.BigInteger(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('class', sa.Text(), nullable=False),
    sa.Column('race', sa.Text(), nullable=False),
    sa.Column('stats', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('inventory', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('wealth', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('feats', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('abilities', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('conditions', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('spell_slots', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('hp', sa.Integer(), nullable=False),
    sa.Column('max_hp', sa.Integer(), nullable=False),
    sa.Column('xp', sa.Integer(), nullable=False),
    sa.Column('sheet', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("COALESCE((wealth->>'cp')::bigint, 0) >= 0 AND COALESCE((wealth->>'sp')::bigint, 0) >= 0 AND COALESCE((wealth->>'ep')::bigint, 0) >= 0 AND COALESCE((wealth->>'gp')::bigint, 0) >= 0 AND COALESCE((wealth->>'pp')::bigint, 0) >= 0", name='character_coins_nonnegative'),
    sa.CheckConstraint("jsonb_typeof(inventory) = 'array'", name='character_inventory_is_list'),
    sa.CheckConstraint('hp >= 0 AND max_hp >= 1', name='character_hp_nonnegative'),
    sa.CheckConstraint('level BETWEEN 1 AND 20', name='character_level_range'),
    sa.CheckConstraint('xp >= 0', name='character_xp_nonnegative'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('player_id', 'campaign_id', name='one_character_per_player_per_campaign')
    )
    op.create_index(op.f('ix_characters_campaign_id'), 'characters', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_characters_player_id'), 'characters', ['player_id'], unique=False)
    op.create_table('combat_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.BigInteger(), nullable=False),
    sa.Column('initiative', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('current_turn', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('log', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('current_turn >= 0 AND round >= 1', name='combat_turn_nonnegative'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_combat_state_campaign_id'), 'combat_state', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_combat_state_channel_id'), 'combat_state', ['channel_id'], unique=False)
    op.create_index('one_active_combat_per_channel', 'combat_state', ['channel_id'], unique=True, postgresql_where=sa.text('active'))
    op.create_table('locations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('encounters', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'name', name='location_name_per_campaign')
    )
    op.create_index(op.f('ix_locations_campaign_id'), 'locations', ['campaign_id'], unique=False)
    op.create_table('message_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('channel_id', sa.BigInteger(), nullable=True),
    sa.Column('player_id', sa.BigInteger(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('timestamp', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_message_history_campaign_id'), 'message_history', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_message_history_channel_id'), 'message_history', ['channel_id'], unique=False)
    op.create_index(op.f('ix_message_history_player_id'), 'message_history', ['player_id'], unique=False)
    op.create_table('npcs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('stats', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('personality', sa.Text(), nullable=False),
    sa.Column('location', sa.Text(), nullable=True),
    sa.Column('attitude', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'name', name='npc_name_per_campaign')
    )
    op.create_index(op.f('ix_npcs_campaign_id'), 'npcs', ['campaign_id'], unique=False)
    op.create_table('plot_threads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('hook', sa.Text(), nullable=False),
    sa.Column('plot_point', sa.Integer(), nullable=False),
    sa.Column('deviation_level', sa.Integer(), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_plot_threads_campaign_id'), 'plot_threads', ['campaign_id'], unique=False)
    op.create_table('sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('step', sa.String(length=64), nullable=False),
    sa.Column('state', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_sessions_campaign_id'), 'sessions', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_sessions_user_id'), 'sessions', ['user_id'], unique=False)
    op.create_index('one_active_session_per_user', 'sessions', ['user_id'], unique=True, postgresql_where=sa.text('active'))
    op.create_table('shops',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('location', sa.Text(), nullable=False),
    sa.Column('items', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('price_modifier', sa.Float(), server_default=sa.text('1.0'), nullable=False),
    sa.Column('restocked_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('price_modifier > 0', name='shop_price_modifier_positive'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'location', name='one_shop_per_location')
    )
    op.create_index(op.f('ix_shops_campaign_id'), 'shops', ['campaign_id'], unique=False)
    op.create_table('trade_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.BigInteger(), nullable=False),
    sa.Column('receiver_id', sa.BigInteger(), nullable=False),
    sa.Column('item', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('timestamp', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_trade_history_campaign_id'), 'trade_history', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_trade_history_receiver_id'), 'trade_history', ['receiver_id'], unique=False)
    op.create_index(op.f('ix_trade_history_sender_id'), 'trade_history', ['sender_id'], unique=False)
    op.create_table('world_state',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('location', sa.Text(), nullable=True),
    sa.Column('time', sa.DateTime(), nullable=True),
    sa.Column('events', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('dropped_items', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('weather', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id')
    )
    op.create_table('ledger',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('character_id', sa.Integer(), nullable=True),
    sa.Column('counterparty', sa.Text(), nullable=False),
    sa.Column('item', sa.Text(), nullable=False),
    sa.Column('quantity_delta', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['character_id'], ['characters.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_ledger_campaign_id'), 'ledger', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_ledger_character_id'), 'ledger', ['character_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_ledger_character_id'), table_name='ledger')
    op.drop_index(op.f('ix_ledger_campaign_id'), table_name='ledger')
    op.drop_table('ledger')
    op.drop_table('world_state')
    op.drop_index(op.f('ix_trade_history_sender_id'), table_name='trade_history')
    op.drop_index(op.f('ix_trade_history_receiver_id'), table_name='trade_history')
    op.drop_index(op.f('ix_trade_history_campaign_id'), table_name='trade_history')
    op.drop_table('trade_history')
    op.drop_index(op.f('ix_shops_campaign_id'), table_name='shops')
    op.drop_table('shops')
    op.drop_index('one_active_session_per_user', table_name='sessions', postgresql_where=sa.text('active'))
    op.drop_index(op.f('ix_sessions_user_id'), table_name='sessions')
    op.drop_index(op.f('ix_sessions_campaign_id'), table_name='sessions')
    op.drop_table('sessions')
    op.drop_index(op.f('ix_plot_threads_campaign_id'), table_name='plot_threads')
    op.drop_table('plot_threads')
    op.drop_index(op.f('ix_npcs_campaign_id'), table_name='npcs')
    op.drop_table('npcs')
    op.drop_index(op.f('ix_message_history_player_id'), table_name='message_history')
    op.drop_index(op.f('ix_message_history_channel_id'), table_name='message_history')
    op.drop_index(op.f('ix_message_history_campaign_id'), table_name='message_history')
    op.drop_table('message_history')
    op.drop_index(op.f('ix_locations_campaign_id'), table_name='locations')
    op.drop_table('locations')
    op.drop_index('one_active_combat_per_channel', table_name='combat_state', postgresql_where=sa.text('active'))
    op.drop_index(op.f('ix_combat_state_channel_id'), table_name='combat_state')
    op.drop_index(op.f('ix_combat_state_campaign_id'), table_name='combat_state')
    op.drop_table('combat_state')
    op.drop_index(op.f('ix_characters_player_id'), table_name='characters')
    op.drop_index(op.f('ix_characters_campaign_id'), table_name='characters')
    op.drop_table('characters')
    op.drop_index(op.f('ix_campaign_structures_campaign_id'), table_name='campaign_structures')
    op.drop_table('campaign_structures')
    op.drop_index(op.f('ix_campaign_chunks_campaign_id'), table_name='campaign_chunks')
    op.drop_table('campaign_chunks')
    op.drop_index(op.f('ix_audit_log_campaign_id'), table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_index('rules_lower_name', table_name='rules')
    op.drop_index(op.f('ix_rules_type'), table_name='rules')
    op.drop_table('rules')
    op.drop_table('processed_messages')
    op.drop_index('outbox_unpublished', table_name='outbox', postgresql_where=sa.text('published_at IS NULL'))
    op.drop_table('outbox')
    op.drop_table('dead_letters')
    op.drop_table('campaigns')
    op.drop_table('bot_state')

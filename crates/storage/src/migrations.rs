//! Versioned migrations of the system tables, then the record tables synchronised with
//! metadata — all in one transaction that holds a lock, so several nodes starting at
//! once on PostgreSQL apply each step exactly once. Re-running is a no-op.

use chrono::Utc;
use guanxi_core::{ColumnKind, ObjectDef};

use crate::Result;
use crate::db::{Database, Dialect, Tx};
use crate::schema::ensure_table;
use crate::sql::{Arg, Sql};

struct Migration {
    version: i64,
    name: &'static str,
    statements: &'static [&'static str],
    /// Statements for one engine only (triggers are written differently).
    sqlite: &'static [&'static str],
    postgres: &'static [&'static str],
}

/// Placeholders: {uuid} {text} {ts} {bool} {int} {seq_pk}.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "system tables: users, api tokens, custom metadata, field history, change feed, settings",
        statements: &[
            "CREATE TABLE gx_users (id {uuid} PRIMARY KEY NOT NULL, email {text} NOT NULL, name {text} NOT NULL, \
         password_hash {text}, locale {text} NOT NULL, time_zone {text} NOT NULL, is_admin {bool} NOT NULL, \
         active {bool} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL)",
            "CREATE UNIQUE INDEX ux_gx_users_email ON gx_users (email)",
            "CREATE TABLE gx_api_tokens (id {uuid} PRIMARY KEY NOT NULL, user_id {uuid} NOT NULL REFERENCES gx_users (id), \
         name {text} NOT NULL, token_hash {text} NOT NULL, prefix {text} NOT NULL, created_at {ts} NOT NULL, \
         expires_at {ts}, revoked_at {ts}, last_used_at {ts})",
            "CREATE UNIQUE INDEX ux_gx_api_tokens_hash ON gx_api_tokens (token_hash)",
            "CREATE TABLE gx_custom_objects (name {text} PRIMARY KEY NOT NULL, definition {text} NOT NULL, \
         created_at {ts} NOT NULL, created_by {uuid})",
            "CREATE TABLE gx_custom_fields (object {text} NOT NULL, name {text} NOT NULL, definition {text} NOT NULL, \
         created_at {ts} NOT NULL, created_by {uuid}, PRIMARY KEY (object, name))",
            "CREATE TABLE gx_field_history (id {uuid} PRIMARY KEY NOT NULL, object {text} NOT NULL, \
         record_id {uuid} NOT NULL, operation {text} NOT NULL, field {text}, old_value {text}, new_value {text}, \
         actor {uuid}, at {ts} NOT NULL)",
            "CREATE INDEX ix_gx_field_history_record ON gx_field_history (object, record_id, at)",
            "CREATE TABLE gx_changes (seq {seq_pk}, id {uuid} NOT NULL, object {text} NOT NULL, \
         record_id {uuid} NOT NULL, operation {text} NOT NULL, actor {uuid}, fields {text} NOT NULL, at {ts} NOT NULL)",
            "CREATE INDEX ix_gx_changes_record ON gx_changes (object, record_id)",
            "CREATE TABLE gx_settings (key {text} PRIMARY KEY NOT NULL, value {text} NOT NULL)",
            "INSERT INTO gx_settings (key, value) VALUES ('meta_version', '1')",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 2,
        name: "token scopes; the audit trail, append-only",
        statements: &[
            "ALTER TABLE gx_api_tokens ADD COLUMN scopes {text} NOT NULL DEFAULT 'read,write,admin'",
            "CREATE TABLE gx_audit (id {uuid} PRIMARY KEY NOT NULL, at {ts} NOT NULL, actor {uuid}, actor_email {text}, \
         ip {text}, action {text} NOT NULL, object {text}, record_id {uuid}, detail {text} NOT NULL)",
            "CREATE INDEX ix_gx_audit_action ON gx_audit (action, id)",
            "CREATE INDEX ix_gx_audit_actor ON gx_audit (actor, id)",
            "CREATE INDEX ix_gx_audit_record ON gx_audit (record_id, id)",
        ],
        sqlite: &[
            "CREATE TRIGGER gx_audit_no_update BEFORE UPDATE ON gx_audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
            "CREATE TRIGGER gx_audit_no_delete BEFORE DELETE ON gx_audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
        ],
        postgres: &[
            "CREATE FUNCTION gx_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
         RAISE EXCEPTION 'the audit trail is append-only'; END $$",
            "CREATE TRIGGER gx_audit_no_change BEFORE UPDATE OR DELETE ON gx_audit FOR EACH ROW EXECUTE FUNCTION gx_audit_append_only()",
        ],
    },
    Migration {
        version: 3,
        name: "browser sessions; sign-in lookups in the audit trail",
        statements: &[
            "CREATE TABLE gx_sessions (id {uuid} PRIMARY KEY NOT NULL, user_id {uuid} NOT NULL REFERENCES gx_users (id), \
             token_hash {text} NOT NULL, csrf {text} NOT NULL, created_at {ts} NOT NULL, expires_at {ts} NOT NULL, \
             revoked_at {ts}, ip {text}, user_agent {text})",
            "CREATE UNIQUE INDEX ux_gx_sessions_hash ON gx_sessions (token_hash)",
            "CREATE INDEX ix_gx_sessions_user ON gx_sessions (user_id)",
            "CREATE INDEX ix_gx_audit_email ON gx_audit (actor_email, action, id)",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 4,
        name: "roles in a hierarchy, sharing per object, object permissions per role",
        statements: &[
            "CREATE TABLE gx_roles (id {uuid} PRIMARY KEY NOT NULL, name {text} NOT NULL, parent_id {uuid} REFERENCES gx_roles (id), \
             created_at {ts} NOT NULL)",
            "CREATE UNIQUE INDEX ux_gx_roles_name ON gx_roles (name)",
            "ALTER TABLE gx_users ADD COLUMN role_id {uuid} REFERENCES gx_roles (id)",
            "CREATE TABLE gx_object_sharing (object {text} PRIMARY KEY NOT NULL, sharing {text} NOT NULL)",
            "CREATE TABLE gx_role_permissions (role_id {uuid} NOT NULL REFERENCES gx_roles (id), object {text} NOT NULL, \
             can_read {bool} NOT NULL, can_create {bool} NOT NULL, can_edit {bool} NOT NULL, can_delete {bool} NOT NULL, \
             view_all {bool} NOT NULL, modify_all {bool} NOT NULL, PRIMARY KEY (role_id, object))",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 5,
        name: "teams, sharing rules, territories, records shared by hand, field-level security, partner and portal users",
        statements: &[
            "ALTER TABLE gx_users ADD COLUMN kind {text} NOT NULL DEFAULT 'internal'",
            "ALTER TABLE gx_users ADD COLUMN partner_account_id {uuid}",
            "CREATE TABLE gx_teams (id {uuid} PRIMARY KEY NOT NULL, name {text} NOT NULL, object {text}, \
             definition {text} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL)",
            "CREATE UNIQUE INDEX ux_gx_teams_name ON gx_teams (name)",
            "CREATE TABLE gx_sharing_rules (id {uuid} PRIMARY KEY NOT NULL, name {text} NOT NULL, object {text}, \
             definition {text} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL)",
            "CREATE TABLE gx_territories (id {uuid} PRIMARY KEY NOT NULL, name {text} NOT NULL, object {text}, \
             definition {text} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL)",
            "CREATE UNIQUE INDEX ux_gx_territories_name ON gx_territories (name)",
            "CREATE TABLE gx_field_permissions (role_id {uuid} NOT NULL REFERENCES gx_roles (id), object {text} NOT NULL, \
             field {text} NOT NULL, level {text} NOT NULL, PRIMARY KEY (role_id, object, field))",
            "CREATE TABLE gx_record_shares (object {text} NOT NULL, record_id {uuid} NOT NULL, grantee_id {uuid} NOT NULL, \
             grantee_kind {text} NOT NULL, level {text} NOT NULL, created_by {uuid}, created_at {ts} NOT NULL, \
             PRIMARY KEY (object, record_id, grantee_id))",
            "CREATE INDEX ix_gx_record_shares_grantee ON gx_record_shares (object, grantee_id, record_id)",
            "INSERT INTO gx_settings (key, value) VALUES ('permission_version', '1')",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 6,
        name: "saved list views (personal and shared) and page layouts",
        statements: &[
            "CREATE TABLE gx_views (id {uuid} PRIMARY KEY NOT NULL, object {text} NOT NULL, owner_id {uuid} NOT NULL \
             REFERENCES gx_users (id), name {text} NOT NULL, shared {bool} NOT NULL, definition {text} NOT NULL, \
             created_at {ts} NOT NULL, updated_at {ts} NOT NULL)",
            "CREATE INDEX ix_gx_views_object ON gx_views (object, owner_id)",
            "CREATE TABLE gx_layouts (object {text} PRIMARY KEY NOT NULL, definition {text} NOT NULL, \
             updated_at {ts} NOT NULL, updated_by {uuid})",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 7,
        name: "each user's currency for new amounts",
        statements: &["ALTER TABLE gx_users ADD COLUMN currency {text} NOT NULL DEFAULT 'CNY'"],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 8,
        name: "administrators' changes to existing fields: labels, picklist values and their order, retired values",
        statements: &[
            "CREATE TABLE gx_field_changes (object {text} NOT NULL, field {text} NOT NULL, definition {text} NOT NULL, \
             updated_at {ts} NOT NULL, updated_by {uuid}, PRIMARY KEY (object, field))",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 9,
        name: "contacts' channel preferences and their consent per channel",
        statements: &[
            "CREATE TABLE gx_channel_preferences (contact_id {uuid} PRIMARY KEY NOT NULL, definition {text} NOT NULL, \
             updated_at {ts} NOT NULL, updated_by {uuid})",
            "CREATE TABLE gx_consents (id {uuid} PRIMARY KEY NOT NULL, contact_id {uuid} NOT NULL, channel {text} NOT NULL, \
             granted {bool} NOT NULL, source {text} NOT NULL, at {ts} NOT NULL, recorded_by {uuid})",
            "CREATE INDEX ix_gx_consents_contact ON gx_consents (contact_id, channel, at)",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 10,
        name: "validation rules administrators add per object",
        statements: &[
            "CREATE TABLE gx_validation_rules (id {uuid} PRIMARY KEY NOT NULL, name {text} NOT NULL, object {text}, \
             definition {text} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL)",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 11,
        name: "coding rules (auto numbers) and the counters behind them",
        statements: &[
            "CREATE TABLE gx_coding_rules (id {uuid} PRIMARY KEY NOT NULL, name {text} NOT NULL, object {text}, \
             definition {text} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL)",
            "CREATE TABLE gx_sequences (counter {text} PRIMARY KEY NOT NULL, value {int} NOT NULL)",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 12,
        name: "duplicate rules per object and the merges of duplicates (for undo)",
        statements: &[
            "CREATE TABLE gx_duplicate_rules (id {uuid} PRIMARY KEY NOT NULL, name {text} NOT NULL, object {text}, \
             definition {text} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL)",
            "CREATE TABLE gx_merges (id {uuid} PRIMARY KEY NOT NULL, object {text} NOT NULL, survivor_id {uuid} NOT NULL, \
             actor {uuid}, at {ts} NOT NULL, definition {text} NOT NULL, undone_at {ts}, undone_by {uuid})",
            "CREATE INDEX ix_gx_merges_survivor ON gx_merges (object, survivor_id, at)",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 14,
        name: "which fields make a record complete, per object (data quality); imports run from the web and API",
        statements: &[
            "CREATE TABLE gx_quality_settings (id {uuid} PRIMARY KEY NOT NULL, name {text} NOT NULL, object {text}, \
             definition {text} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL)",
            "CREATE TABLE gx_imports (id {uuid} PRIMARY KEY NOT NULL, object {text} NOT NULL, file_name {text} NOT NULL, \
             status {text} NOT NULL, detail {text} NOT NULL, created_by {uuid} NOT NULL, created_at {ts} NOT NULL, \
             updated_at {ts} NOT NULL)",
            "CREATE INDEX ix_gx_imports_created ON gx_imports (created_by, created_at)",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 15,
        name: "sales processes: pipelines of opportunity stages with entry and exit criteria",
        statements: &[
            "CREATE TABLE gx_sales_processes (id {uuid} PRIMARY KEY NOT NULL, name {text} NOT NULL, object {text}, \
             definition {text} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL)",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 16,
        name: "assignment rules: who owns new leads, in turn",
        statements: &[
            "CREATE TABLE gx_assignment_rules (id {uuid} PRIMARY KEY NOT NULL, name {text} NOT NULL, object {text}, \
             definition {text} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL)",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 17,
        name: "sales quotas per rep and month or quarter",
        statements: &[
            "CREATE TABLE gx_quotas (id {uuid} PRIMARY KEY NOT NULL, name {text} NOT NULL, object {text}, \
             definition {text} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL)",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 18,
        name: "calendar feeds at secret URLs (only a hash of each secret is kept)",
        statements: &[
            "CREATE TABLE gx_calendar_feeds (id {uuid} PRIMARY KEY NOT NULL, name {text} NOT NULL, object {text}, \
             definition {text} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL)",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 19,
        name: "notifications: what a user is told (an approval to give, a decision, a conflict)",
        statements: &[
            "CREATE TABLE gx_notifications (id {uuid} PRIMARY KEY NOT NULL, user_id {uuid} NOT NULL, \
             kind {text} NOT NULL, object {text}, record_id {uuid}, detail {text} NOT NULL, \
             created_at {ts} NOT NULL, read_at {ts})",
            "CREATE INDEX gx_notifications_user ON gx_notifications (user_id, created_at)",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 20,
        name: "customers to check for channel conflicts, queued by the writes that touched them",
        statements: &[
            "CREATE TABLE gx_conflict_checks (account_id {uuid} PRIMARY KEY NOT NULL, queued_at {ts} NOT NULL)",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 21,
        name: "activity reminders sent: one per activity and reminder moment, however many nodes",
        statements: &[
            "CREATE TABLE gx_reminders_sent (activity_id {uuid} NOT NULL, due_at {ts} NOT NULL, \
             sent_at {ts} NOT NULL, PRIMARY KEY (activity_id, due_at))",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 22,
        name: "definition version: nodes that keep administrator definitions in memory know when to read them again",
        statements: &["INSERT INTO gx_settings (key, value) VALUES ('definition_version', '1')"],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 23,
        name: "service level policies: the business calendar and the targets by tier, case type and priority",
        statements: &[
            "CREATE TABLE gx_sla_policies (id {uuid} PRIMARY KEY NOT NULL, name {text} NOT NULL, object {text}, \
             definition {text} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL)",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 24,
        name: "customer tier rules: tiers by revenue in the last twelve months and service contracts",
        statements: &[
            "CREATE TABLE gx_tier_rules (id {uuid} PRIMARY KEY NOT NULL, name {text} NOT NULL, object {text}, \
             definition {text} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL)",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 25,
        name: "customer portal: the contact each portal user is, and invitations to choose a password",
        statements: &[
            "CREATE TABLE gx_portal_users (user_id {uuid} PRIMARY KEY NOT NULL, contact_id {uuid} NOT NULL UNIQUE, \
             created_at {ts} NOT NULL)",
            "CREATE TABLE gx_portal_invitations (token_hash {text} PRIMARY KEY NOT NULL, user_id {uuid} NOT NULL, \
             created_at {ts} NOT NULL, expires_at {ts} NOT NULL, used_at {ts})",
            "CREATE INDEX gx_portal_invitations_user ON gx_portal_invitations (user_id)",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 26,
        name: "field service: customers' signatures on completed work orders, beside the records",
        statements: &[
            "CREATE TABLE gx_signatures (work_order_id {uuid} PRIMARY KEY NOT NULL, png {text} NOT NULL, \
             signed_by {text} NOT NULL, signed_at {ts} NOT NULL)",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 27,
        name: "case lifecycles: which status a case may move to from each",
        statements: &[
            "CREATE TABLE gx_case_lifecycles (id {uuid} PRIMARY KEY NOT NULL, name {text} NOT NULL, object {text}, \
             definition {text} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL)",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 28,
        name: "customer community: one vote per person and post or reply, and who follows which post",
        statements: &[
            "CREATE TABLE gx_community_votes (target_id {uuid} NOT NULL, user_id {uuid} NOT NULL, \
             created_at {ts} NOT NULL, PRIMARY KEY (target_id, user_id))",
            "CREATE TABLE gx_community_follows (post_id {uuid} NOT NULL, user_id {uuid} NOT NULL, \
             created_at {ts} NOT NULL, PRIMARY KEY (post_id, user_id))",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 29,
        name: "work queues: who works the records each queue holds",
        statements: &[
            "CREATE TABLE gx_queues (id {uuid} PRIMARY KEY NOT NULL, name {text} NOT NULL, object {text}, \
             definition {text} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL)",
            "CREATE UNIQUE INDEX ux_gx_queues_name ON gx_queues (object, name)",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 30,
        name: "files attached to records (a customer's photo on their case)",
        statements: &[
            "CREATE TABLE gx_files (id {uuid} PRIMARY KEY NOT NULL, object {text} NOT NULL, record_id {uuid} NOT NULL, \
             name {text} NOT NULL, content_type {text} NOT NULL, size {int} NOT NULL, uploaded_by {text} NOT NULL, \
             created_at {ts} NOT NULL, data {text} NOT NULL)",
            "CREATE INDEX ix_gx_files_record ON gx_files (object, record_id)",
        ],
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 31,
        name: "outgoing mail: what is to be sent, sent, or failed, and why",
        statements: &[
            "CREATE TABLE gx_outbox (id {uuid} PRIMARY KEY NOT NULL, to_address {text} NOT NULL, subject {text} NOT NULL, \
             body {text} NOT NULL, kind {text} NOT NULL, created_at {ts} NOT NULL, next_attempt_at {ts} NOT NULL, \
             attempts {int} NOT NULL, sent_at {ts}, last_error {text})",
            "CREATE INDEX ix_gx_outbox_due ON gx_outbox (next_attempt_at)",
        ],
        sqlite: &[],
        postgres: &[],
    },
];

pub fn latest_version() -> i64 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

fn expand(dialect: Dialect, statement: &str) -> String {
    let (uuid, text, ts, boolean, int, seq_pk) = match dialect {
        Dialect::Sqlite => (
            "BLOB",
            "TEXT",
            "TEXT",
            "INTEGER",
            "INTEGER",
            "INTEGER PRIMARY KEY AUTOINCREMENT",
        ),
        Dialect::Postgres => (
            "UUID",
            "TEXT COLLATE \"C\"",
            "TIMESTAMPTZ",
            "BOOLEAN",
            "BIGINT",
            "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        ),
    };
    statement
        .replace("{uuid}", uuid)
        .replace("{text}", text)
        .replace("{ts}", ts)
        .replace("{bool}", boolean)
        .replace("{int}", int)
        .replace("{seq_pk}", seq_pk)
}

/// What `migrate` did, for the log and the CLI.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct MigrationReport {
    pub applied: Vec<i64>,
    pub current: i64,
}

/// Applies pending migrations and makes every given object's table match its metadata.
pub async fn migrate(db: &Database, objects: &[ObjectDef]) -> Result<MigrationReport> {
    let dialect = db.dialect();
    let create = expand(
        dialect,
        "CREATE TABLE IF NOT EXISTS gx_migrations (version {int} PRIMARY KEY NOT NULL, name {text} NOT NULL, applied_at {ts} NOT NULL)",
    );
    db.execute(Sql::with(dialect, &create)).await?;
    let mut tx = db.begin().await?;
    if dialect == Dialect::Postgres {
        tx.execute(Sql::with(
            dialect,
            "LOCK TABLE gx_migrations IN ACCESS EXCLUSIVE MODE",
        ))
        .await?;
    }
    let done: Vec<i64> = tx
        .fetch(
            Sql::with(dialect, "SELECT version FROM gx_migrations"),
            &[ColumnKind::Int],
        )
        .await?
        .into_iter()
        .filter_map(|r| r.first().and_then(Arg::as_int))
        .collect();
    let mut report = MigrationReport::default();
    for m in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
        let own = match dialect {
            Dialect::Sqlite => m.sqlite,
            Dialect::Postgres => m.postgres,
        };
        let statements: Vec<String> = m
            .statements
            .iter()
            .chain(own)
            .map(|s| expand(dialect, s))
            .collect();
        tx.execute_plain(&statements).await?;
        let mut s = Sql::with(
            dialect,
            "INSERT INTO gx_migrations (version, name, applied_at) VALUES (",
        );
        s.bind(Arg::Int(m.version))
            .push(", ")
            .bind(Arg::Text(m.name.into()))
            .push(", ");
        s.bind(Arg::DateTime(Utc::now())).push(")");
        tx.execute(s).await?;
        report.applied.push(m.version);
    }
    sync_objects(&mut tx, objects).await?;
    tx.commit().await?;
    report.current = latest_version();
    Ok(report)
}

async fn sync_objects(tx: &mut Tx, objects: &[ObjectDef]) -> Result<()> {
    for object in objects {
        ensure_table(tx, object).await?;
    }
    Ok(())
}

/// Makes the given objects' tables match their metadata (used for custom objects, whose
/// definitions are only readable once the system tables exist).
pub async fn sync(db: &Database, objects: &[ObjectDef]) -> Result<()> {
    let mut tx = db.begin().await?;
    if db.dialect() == Dialect::Postgres {
        tx.execute(Sql::with(
            db.dialect(),
            "LOCK TABLE gx_migrations IN ACCESS EXCLUSIVE MODE",
        ))
        .await?;
    }
    sync_objects(&mut tx, objects).await?;
    tx.commit().await
}

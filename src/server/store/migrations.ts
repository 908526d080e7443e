// Versioned migrations, in code so the bundled server carries them. Each runs once, in order, inside Kysely's
// migration lock; the dialect-specific parts (SQLite's FTS5 trigram index) are marked.
import { trigramSpellingSql } from './trigramText';
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { compareVersions, isValidVersion } from '../../core/version';

export type Dialect = 'sqlite' | 'postgres';

function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_initial': {
      async up(db: Kysely<unknown>) {
        await db.schema.createTable('releases')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('version', 'text', (c) => c.notNull().unique())
          .addColumn('channel', 'text', (c) => c.notNull())
          .addColumn('notes', 'text', (c) => c.notNull())
          .addColumn('mandatory', 'integer', (c) => c.notNull())
          .addColumn('url', 'text')
          .addColumn('size', 'bigint')
          .addColumn('sha256', 'text')
          .addColumn('signature', 'text')
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addColumn('transitions', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createTable('groups')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('name_key', 'text', (c) => c.notNull().unique())
          .addColumn('description', 'text', (c) => c.notNull())
          .addColumn('policy', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createTable('clients')
          .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.unique() : c.primaryKey().autoIncrement()))
          .addColumn('id', 'text', (c) => (dialect === 'postgres' ? c.primaryKey() : c.notNull().unique()))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('computer', 'text', (c) => c.notNull())
          .addColumn('ip', 'text', (c) => c.notNull())
          .addColumn('user_name', 'text', (c) => c.notNull())
          .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id'))
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('target_version', 'text')
          .addColumn('reason', 'text')
          .addColumn('deferred_until', 'text')
          .addColumn('last_seen', 'text', (c) => c.notNull())
          .execute();
        // Paging is keyset on (computer, id); the filters get their own leading column so a sparse filter
        // (state=failed among a million) does not walk the whole table.
        await db.schema.createIndex('clients_computer').on('clients').columns(['computer', 'id']).execute();
        await db.schema.createIndex('clients_group').on('clients').columns(['group_id', 'computer', 'id']).execute();
        await db.schema.createIndex('clients_state').on('clients').columns(['state', 'computer', 'id']).execute();
        await db.schema.createIndex('clients_version').on('clients').columns(['version', 'computer', 'id']).execute();
        await db.schema.createTable('client_history')
          .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('client_id', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('target_version', 'text')
          .addColumn('reason', 'text')
          .execute();
        await db.schema.createIndex('client_history_client').on('client_history').columns(['client_id', 'id']).execute();
        await db.schema.createTable('audit')
          .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('target', 'text', (c) => c.notNull())
          .addColumn('details', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createTable('tokens')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();

        if (dialect === 'sqlite') {
          // Keyword search (seed 001) over name, computer, IP and last user: a trigram index answers a substring
          // query from the index, so it stays fast at a million clients. External content: no second copy.
          await sql`CREATE VIRTUAL TABLE clients_fts USING fts5(name, computer, ip, user_name, content='clients', content_rowid='seq', tokenize='trigram')`.execute(db);
          await sql`CREATE TRIGGER clients_fts_ai AFTER INSERT ON clients BEGIN
            INSERT INTO clients_fts(rowid, name, computer, ip, user_name) VALUES (new.seq, new.name, new.computer, new.ip, new.user_name);
          END`.execute(db);
          await sql`CREATE TRIGGER clients_fts_ad AFTER DELETE ON clients BEGIN
            INSERT INTO clients_fts(clients_fts, rowid, name, computer, ip, user_name) VALUES ('delete', old.seq, old.name, old.computer, old.ip, old.user_name);
          END`.execute(db);
          // Only when a searched column changes: check-ins rewrite state and last_seen thousands of times a second.
          await sql`CREATE TRIGGER clients_fts_au AFTER UPDATE OF name, computer, ip, user_name ON clients BEGIN
            INSERT INTO clients_fts(clients_fts, rowid, name, computer, ip, user_name) VALUES ('delete', old.seq, old.name, old.computer, old.ip, old.user_name);
            INSERT INTO clients_fts(rowid, name, computer, ip, user_name) VALUES (new.seq, new.name, new.computer, new.ip, new.user_name);
          END`.execute(db);
        } else {
          await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
          // One trigram index per searched column: the search ORs a LIKE per column, which a bitmap OR answers.
          for (const col of ['name', 'computer', 'ip', 'user_name']) {
            await sql`CREATE INDEX ${sql.raw(`clients_search_${col}`)} ON clients USING gin ((lower(${sql.ref(col)})) gin_trgm_ops)`.execute(db);
          }
        }
      },
    },
    '0002_client_counts': {
      // Fleet-wide figures without a scan: counts per (group, version, state, target version), kept by triggers
      // in the same transaction as every client write, so rows written by any tool (imports, seeding, a restore)
      // are counted too. The summary, tree counts, release counts and rollout outcomes read only this table.
      async up(db: Kysely<unknown>) {
        await sql`CREATE TABLE client_counts (
          group_id TEXT NOT NULL, version TEXT NOT NULL, state TEXT NOT NULL, target TEXT NOT NULL, n BIGINT NOT NULL,
          PRIMARY KEY (group_id, version, state, target))`.execute(db);
        if (dialect === 'sqlite') {
          // target '' stands for "no target version": a key column cannot be NULL.
          const inc = (r: string) => `INSERT INTO client_counts (group_id, version, state, target, n)
            VALUES (${r}.group_id, ${r}.version, ${r}.state, coalesce(${r}.target_version, ''), 1)
            ON CONFLICT (group_id, version, state, target) DO UPDATE SET n = n + 1;`;
          const dec = (r: string) => `UPDATE client_counts SET n = n - 1 WHERE group_id = ${r}.group_id AND version = ${r}.version
            AND state = ${r}.state AND target = coalesce(${r}.target_version, '');`;
          await sql.raw(`CREATE TRIGGER client_counts_ai AFTER INSERT ON clients BEGIN ${inc('new')} END`).execute(db);
          await sql.raw(`CREATE TRIGGER client_counts_ad AFTER DELETE ON clients BEGIN ${dec('old')} END`).execute(db);
          await sql.raw(`CREATE TRIGGER client_counts_au AFTER UPDATE OF group_id, version, state, target_version ON clients
            WHEN old.group_id IS NOT new.group_id OR old.version IS NOT new.version OR old.state IS NOT new.state
              OR old.target_version IS NOT new.target_version
            BEGIN ${dec('old')} ${inc('new')} END`).execute(db);
        } else {
          // Two rows change per moved client; taking them in key order means two concurrent moves in opposite
          // directions cannot deadlock.
          await sql.raw(`CREATE FUNCTION client_counts_add(g TEXT, v TEXT, s TEXT, t TEXT, d INTEGER) RETURNS void AS $$
            BEGIN
              IF d > 0 THEN
                INSERT INTO client_counts (group_id, version, state, target, n) VALUES (g, v, s, coalesce(t, ''), d)
                ON CONFLICT (group_id, version, state, target) DO UPDATE SET n = client_counts.n + d;
              ELSE
                UPDATE client_counts SET n = n + d WHERE group_id = g AND version = v AND state = s AND target = coalesce(t, '');
              END IF;
            END $$ LANGUAGE plpgsql`).execute(db);
          await sql.raw(`CREATE FUNCTION client_counts_track() RETURNS trigger AS $$
            BEGIN
              IF TG_OP = 'INSERT' THEN
                PERFORM client_counts_add(NEW.group_id, NEW.version, NEW.state, NEW.target_version, 1);
              ELSIF TG_OP = 'DELETE' THEN
                PERFORM client_counts_add(OLD.group_id, OLD.version, OLD.state, OLD.target_version, -1);
              ELSIF ROW(OLD.group_id, OLD.version, OLD.state, coalesce(OLD.target_version, ''))
                  < ROW(NEW.group_id, NEW.version, NEW.state, coalesce(NEW.target_version, '')) THEN
                PERFORM client_counts_add(OLD.group_id, OLD.version, OLD.state, OLD.target_version, -1);
                PERFORM client_counts_add(NEW.group_id, NEW.version, NEW.state, NEW.target_version, 1);
              ELSE
                PERFORM client_counts_add(NEW.group_id, NEW.version, NEW.state, NEW.target_version, 1);
                PERFORM client_counts_add(OLD.group_id, OLD.version, OLD.state, OLD.target_version, -1);
              END IF;
              RETURN NULL;
            END $$ LANGUAGE plpgsql`).execute(db);
          await sql`CREATE TRIGGER client_counts_aid AFTER INSERT OR DELETE ON clients FOR EACH ROW EXECUTE FUNCTION client_counts_track()`.execute(db);
          await sql`CREATE TRIGGER client_counts_au AFTER UPDATE OF group_id, version, state, target_version ON clients FOR EACH ROW
            WHEN (OLD.group_id IS DISTINCT FROM NEW.group_id OR OLD.version IS DISTINCT FROM NEW.version
              OR OLD.state IS DISTINCT FROM NEW.state OR OLD.target_version IS DISTINCT FROM NEW.target_version)
            EXECUTE FUNCTION client_counts_track()`.execute(db);
          // TRUNCATE skips row triggers: keep the counts honest for that too.
          await sql.raw(`CREATE FUNCTION client_counts_truncate() RETURNS trigger AS $$
            BEGIN DELETE FROM client_counts; RETURN NULL; END $$ LANGUAGE plpgsql`).execute(db);
          await sql`CREATE TRIGGER client_counts_truncate AFTER TRUNCATE ON clients FOR EACH STATEMENT EXECUTE FUNCTION client_counts_truncate()`.execute(db);
        }
        // Clients that existed before this migration.
        await sql`INSERT INTO client_counts (group_id, version, state, target, n)
          SELECT group_id, version, state, coalesce(target_version, ''), count(*) FROM clients
          GROUP BY group_id, version, state, coalesce(target_version, '')`.execute(db);
      },
    },
    '0003_pg_client_search': {
      // PostgreSQL writes a new version of a row on every update, and unless the update is HOT (no indexed column
      // changed) every index gets an entry, the four trigram GIN indexes included: a check-in that changes state
      // paid for the search index. The searched text moves to a table of its own, rewritten only when a searched
      // column changes. SQLite's FTS5 index is already such a table.
      async up(db: Kysely<unknown>) {
        if (dialect !== 'postgres') return;
        await sql`CREATE TABLE client_search (seq BIGINT PRIMARY KEY, text TEXT NOT NULL)`.execute(db);
        // \x01 between the fields: a search text never spans two of them (the per-column test rechecks anyway).
        const text = (r: string) => `lower(${r}.name || E'\\x01' || ${r}.computer || E'\\x01' || ${r}.ip || E'\\x01' || ${r}.user_name)`;
        await sql.raw(`CREATE FUNCTION client_search_track() RETURNS trigger AS $$
          BEGIN
            IF TG_OP = 'DELETE' THEN
              DELETE FROM client_search WHERE seq = OLD.seq;
            ELSIF TG_OP = 'INSERT' THEN
              INSERT INTO client_search (seq, text) VALUES (NEW.seq, ${text('NEW')});
            ELSE
              UPDATE client_search SET text = ${text('NEW')} WHERE seq = NEW.seq;
            END IF;
            RETURN NULL;
          END $$ LANGUAGE plpgsql`).execute(db);
        await sql`CREATE TRIGGER client_search_aid AFTER INSERT OR DELETE ON clients FOR EACH ROW EXECUTE FUNCTION client_search_track()`.execute(db);
        await sql`CREATE TRIGGER client_search_au AFTER UPDATE OF name, computer, ip, user_name ON clients FOR EACH ROW
          WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.computer IS DISTINCT FROM NEW.computer OR OLD.ip IS DISTINCT FROM NEW.ip
            OR OLD.user_name IS DISTINCT FROM NEW.user_name)
          EXECUTE FUNCTION client_search_track()`.execute(db);
        await sql.raw(`CREATE FUNCTION client_search_truncate() RETURNS trigger AS $$
          BEGIN DELETE FROM client_search; RETURN NULL; END $$ LANGUAGE plpgsql`).execute(db);
        await sql`CREATE TRIGGER client_search_truncate AFTER TRUNCATE ON clients FOR EACH STATEMENT EXECUTE FUNCTION client_search_truncate()`.execute(db);
        await sql.raw(`INSERT INTO client_search (seq, text) SELECT seq, ${text('clients')} FROM clients`).execute(db);
        await sql`CREATE INDEX client_search_text ON client_search USING gin (text gin_trgm_ops)`.execute(db);
        for (const col of ['name', 'computer', 'ip', 'user_name']) await sql`DROP INDEX IF EXISTS ${sql.raw(`clients_search_${col}`)}`.execute(db);
      },
    },
    '0004_client_credentials': {
      // A credential per client (issue 9). The secret's sha256 only, never the secret. A pending, rejected or
      // decommissioned client lives here and not in clients, so the fleet counts (kept by the 0002 triggers on
      // clients) never see it. clients.address is the connection's address beside the IP the agent reports.
      async up(db: Kysely<unknown>) {
        await db.schema.createTable('client_credentials')
          .addColumn('client_id', 'text', (c) => c.primaryKey())
          // NULL: an id with no secret of its own (a legacy check.ini client, or a client decommissioned before it enrolled).
          .addColumn('secret_hash', 'text')
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('computer', 'text', (c) => c.notNull())
          .addColumn('ip', 'text', (c) => c.notNull())
          .addColumn('user_name', 'text', (c) => c.notNull())
          .addColumn('address', 'text', (c) => c.notNull())
          .addColumn('enrolled_at', 'text', (c) => c.notNull())
          .addColumn('decided_at', 'text')
          .addColumn('decided_by', 'text')
          .execute();
        await db.schema.createIndex('client_credentials_status').on('client_credentials').columns(['status', 'enrolled_at']).execute();
        // Not a counted or searched column: the 0002 and 0003 triggers fire on named columns only.
        await db.schema.alterTable('clients').addColumn('address', 'text').execute();
      },
    },
    '0005_fleet_settings_audit_indexes': {
      // Seed 000's minimum auto-upgrade version is a property of the client's version, fleet-wide: it moves out of
      // the group policies into fleet_settings (the highest any group had, so no client that needed a manual install
      // is now forced), and leaves the policies. The audit log gets an index per filter (who, what, target, when),
      // each ending in id, the log's order and paging key.
      async up(db: Kysely<unknown>) {
        await sql`CREATE TABLE fleet_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`.execute(db);
        const groups = await sql<{ id: string; policy: string }>`SELECT id, policy FROM groups`.execute(db);
        let minimum: string | null = null;
        for (const g of groups.rows) {
          const policy = JSON.parse(g.policy) as Record<string, unknown>;
          if (!('minimumAutoUpgradeVersion' in policy)) continue;
          const v = policy.minimumAutoUpgradeVersion;
          if (typeof v === 'string' && isValidVersion(v) && (minimum === null || compareVersions(v, minimum) > 0)) minimum = v;
          delete policy.minimumAutoUpgradeVersion;
          await sql`UPDATE groups SET policy = ${JSON.stringify(policy)} WHERE id = ${g.id}`.execute(db);
        }
        await sql`INSERT INTO fleet_settings (key, value) VALUES ('minimumAutoUpgradeVersion', ${JSON.stringify(minimum)})`.execute(db);
        await db.schema.createIndex('audit_actor').on('audit').columns(['actor', 'id']).execute();
        // An action prefix (release.) is searched as a byte range; PostgreSQL's default collation is not byte order.
        if (dialect === 'postgres') await sql`CREATE INDEX audit_action ON audit (action COLLATE "C", id)`.execute(db);
        else await db.schema.createIndex('audit_action').on('audit').columns(['action', 'id']).execute();
        await db.schema.createIndex('audit_target').on('audit').columns(['target', 'id']).execute();
        await db.schema.createIndex('audit_at').on('audit').columns(['at']).execute();
      },
    },
    '0006_rollouts': {
      // A rollout's state of its own (halted by the failure rule, paused, resumed with the failure count reset,
      // promoted by a ring), one row per release and group; and the version a rollback sends clients back to.
      async up(db: Kysely<unknown>) {
        await db.schema.createTable('rollouts')
          .addColumn('release_id', 'text', (c) => c.notNull())
          .addColumn('group_id', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('reason', 'text')
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('by', 'text', (c) => c.notNull())
          .addColumn('base_attempted', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('base_failed', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('promoted_at', 'text')
          .addPrimaryKeyConstraint('rollouts_pk', ['release_id', 'group_id'])
          .execute();
        await db.schema.alterTable('releases').addColumn('rollback_to', 'text').execute();
      },
    },
    '0007_cheaper_client_writes': {
      // A check-in that changes a client's version or state at a million clients paid for two more index entries
      // moved (state, version) and for its history twice over (the table, then its client index): most of a
      // write's cost. The state and version filters are answered from the counts and a walk of the (computer, id)
      // order instead (fleet.ts); on PostgreSQL an update that changes no indexed column can then stay on its page
      // (HOT) and write no index at all. On SQLite a client's history is stored by (client, entry), one place per
      // client, with entries numbered per client so the bound is a range delete.
      async up(db: Kysely<unknown>) {
        await sql`DROP INDEX IF EXISTS clients_state`.execute(db);
        await sql`DROP INDEX IF EXISTS clients_version`.execute(db);
        if (dialect === 'postgres') {
          // Room on each page for the new row version of a HOT update.
          await sql`ALTER TABLE clients SET (fillfactor = 85)`.execute(db);
          return;
        }
        await sql`CREATE TABLE client_history_by_client (
          client_id TEXT NOT NULL, id INTEGER NOT NULL, at TEXT NOT NULL, state TEXT NOT NULL, version TEXT NOT NULL,
          target_version TEXT, reason TEXT, PRIMARY KEY (client_id, id)) WITHOUT ROWID`.execute(db);
        await sql`INSERT INTO client_history_by_client (client_id, id, at, state, version, target_version, reason)
          SELECT client_id, row_number() OVER (PARTITION BY client_id ORDER BY id), at, state, version, target_version, reason
          FROM client_history`.execute(db);
        await sql`DROP TABLE client_history`.execute(db);
        await sql`ALTER TABLE client_history_by_client RENAME TO client_history`.execute(db);
      },
    },
    '0008_pg_search_spelling': {
      // PostgreSQL: the searched text with punctuation spelled in letters (trigramText.ts), so that the trigram
      // index narrows a search such as "10.3." instead of handing every row to the per-column test; and the list's
      // order (computer, id) beside it, so a broad term's first page is sorted there, without reading every match's
      // client row.
      async up(db: Kysely<unknown>) {
        if (dialect !== 'postgres') return;
        await sql`ALTER TABLE client_search ADD COLUMN computer TEXT, ADD COLUMN id TEXT`.execute(db);
        const text = (r: string) => trigramSpellingSql(`lower(${r}.name || E'\\x01' || ${r}.computer || E'\\x01' || ${r}.ip || E'\\x01' || ${r}.user_name)`);
        await sql.raw(`CREATE OR REPLACE FUNCTION client_search_track() RETURNS trigger AS $$
          BEGIN
            IF TG_OP = 'DELETE' THEN
              DELETE FROM client_search WHERE seq = OLD.seq;
            ELSIF TG_OP = 'INSERT' THEN
              INSERT INTO client_search (seq, text, computer, id) VALUES (NEW.seq, ${text('NEW')}, NEW.computer, NEW.id);
            ELSE
              UPDATE client_search SET text = ${text('NEW')}, computer = NEW.computer WHERE seq = NEW.seq;
            END IF;
            RETURN NULL;
          END $$ LANGUAGE plpgsql`).execute(db);
        // Written again without the index, which is then built once.
        await sql`DROP INDEX client_search_text`.execute(db);
        await sql`TRUNCATE client_search`.execute(db);
        await sql.raw(`INSERT INTO client_search (seq, text, computer, id) SELECT seq, ${text('clients')}, computer, id FROM clients`).execute(db);
        await sql`CREATE INDEX client_search_text ON client_search USING gin (text gin_trgm_ops)`.execute(db);
        // The planner's figures for a table written anew (until autovacuum comes by, it would guess).
        await sql`ANALYZE client_search`.execute(db);
      },
    },
    '0009_pg_search_literal': {
      // PostgreSQL: the searched fields as they are (lower-cased) beside their spelling, so the literal test of a
      // search runs on the same row as the trigram match. It ran on each candidate's client row: a term with 65,000
      // matches read 10,000 client rows at random to count to the cap, or the planner gave up on the index and
      // scanned the whole table (a second at a million clients). Now the count and the page's candidates are exact
      // in this table, and only the page's own client rows are read.
      async up(db: Kysely<unknown>) {
        if (dialect !== 'postgres') return;
        await sql`ALTER TABLE client_search ADD COLUMN literal TEXT`.execute(db);
        const literal = (r: string) => `lower(${r}.name || E'\\x01' || ${r}.computer || E'\\x01' || ${r}.ip || E'\\x01' || ${r}.user_name)`;
        const text = (r: string) => trigramSpellingSql(literal(r));
        await sql.raw(`CREATE OR REPLACE FUNCTION client_search_track() RETURNS trigger AS $$
          BEGIN
            IF TG_OP = 'DELETE' THEN
              DELETE FROM client_search WHERE seq = OLD.seq;
            ELSIF TG_OP = 'INSERT' THEN
              INSERT INTO client_search (seq, text, computer, id, literal) VALUES (NEW.seq, ${text('NEW')}, NEW.computer, NEW.id, ${literal('NEW')});
            ELSE
              UPDATE client_search SET text = ${text('NEW')}, computer = NEW.computer, literal = ${literal('NEW')} WHERE seq = NEW.seq;
            END IF;
            RETURN NULL;
          END $$ LANGUAGE plpgsql`).execute(db);
        // Written again without the index, which is then built once (an UPDATE of every row would add every row's
        // trigrams to the index a second time).
        await sql`DROP INDEX client_search_text`.execute(db);
        await sql`TRUNCATE client_search`.execute(db);
        await sql.raw(`INSERT INTO client_search (seq, text, computer, id, literal) SELECT seq, ${text('clients')}, computer, id, ${literal('clients')} FROM clients`).execute(db);
        await sql`ALTER TABLE client_search ALTER COLUMN literal SET NOT NULL`.execute(db);
        await sql`CREATE INDEX client_search_text ON client_search USING gin (text gin_trgm_ops)`.execute(db);
        await sql`ANALYZE client_search`.execute(db);
      },
    },
    '0010_pg_counts_compact': {
      // PostgreSQL: the counts are a few hundred rows updated thousands of times a second, and each update leaves a
      // dead version of its row. While a long read (an export's snapshot) keeps those, new versions go to new pages:
      // in the benchmark the table had grown to 1,652 pages (13 MB) for 135 rows, and every summary read all of them
      // (14 ms). Room on each page for the next versions (fillfactor), a vacuum after a thousand dead rows whatever the
      // table's size, and the table written compactly once (CLUSTER: a few hundred rows, in this transaction).
      // The reads go by the primary key too (store.counts.all), which a grown table does not slow.
      async up(db: Kysely<unknown>) {
        if (dialect !== 'postgres') return;
        await sql`ALTER TABLE client_counts SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
          autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000)`.execute(db);
        await sql`CLUSTER client_counts USING client_counts_pkey`.execute(db);
        await sql`ANALYZE client_counts`.execute(db);
      },
    },
    '0011_pg_counts_per_statement': {
      // PostgreSQL: the counts were kept by a row trigger, two statements of PL/pgSQL per changed client: 1.45 ms of
      // a 3.3 ms group commit of 16 check-ins. Now by one trigger per statement that sees all its rows at once
      // (transition tables) and applies each key's net change in one INSERT … ON CONFLICT, in key order, so two
      // statements in two server processes take the count rows in the same order and cannot deadlock. An update
      // counts each key's new rows minus its old ones (the same number of each): no join, whatever a tool changed.
      async up(db: Kysely<unknown>) {
        if (dialect !== 'postgres') return;
        const apply = (rows: string) => `INSERT INTO client_counts AS c (group_id, version, state, target, n) ${rows}
          ON CONFLICT (group_id, version, state, target) DO UPDATE SET n = c.n + excluded.n;`;
        const perKey = (table: string, sign: string) =>
          `SELECT group_id, version, state, coalesce(target_version, ''), ${sign}count(*) FROM ${table} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`;
        await sql.raw(`CREATE FUNCTION client_counts_apply() RETURNS trigger AS $$
          BEGIN
            IF TG_OP = 'INSERT' THEN
              ${apply(perKey('new_rows', ''))}
            ELSIF TG_OP = 'DELETE' THEN
              ${apply(perKey('old_rows', '-'))}
            ELSE
              ${apply(`SELECT g, v, s, t, sum(d) FROM (
                  SELECT group_id AS g, version AS v, state AS s, coalesce(target_version, '') AS t, -1 AS d FROM old_rows
                  UNION ALL SELECT group_id, version, state, coalesce(target_version, ''), 1 FROM new_rows) AS x
                GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4`)}
            END IF;
            RETURN NULL;
          END $$ LANGUAGE plpgsql`).execute(db);
        await sql`DROP TRIGGER client_counts_aid ON clients`.execute(db);
        await sql`DROP TRIGGER client_counts_au ON clients`.execute(db);
        await sql`DROP FUNCTION client_counts_track()`.execute(db);
        await sql`DROP FUNCTION client_counts_add(TEXT, TEXT, TEXT, TEXT, INTEGER)`.execute(db);
        // A trigger with transition tables has one event (and, for UPDATE, no column list).
        await sql`CREATE TRIGGER client_counts_ai AFTER INSERT ON clients REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION client_counts_apply()`.execute(db);
        await sql`CREATE TRIGGER client_counts_ad AFTER DELETE ON clients REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION client_counts_apply()`.execute(db);
        await sql`CREATE TRIGGER client_counts_au AFTER UPDATE ON clients REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION client_counts_apply()`.execute(db);
      },
    },
  };
}

export class InCodeMigrations implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}

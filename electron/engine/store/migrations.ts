// Schema migrations: how a workspace written by an older OpsDeck comes up to date, and why one
// written by a newer OpsDeck is refused rather than half-understood.
//
// Invariants:
// - `meta.schema_version` is the number of the last migration applied; a database without one
//   (a new file) is at 0.
// - Migrations run in order of their numbers, each at most once, all of them in one transaction
//   together with the new `schema_version`: a crash or an error part-way leaves the file as it
//   was, at its old version, and opening it again tries again.
// - A migration never edits one before it: a file at version N has exactly what migrations 1…N
//   made. To change the schema, append a migration with the next number, e.g.
//     { version: 3, name: 'positions', sql: `CREATE TABLE positions(...)` },
// - A file whose version is above the last migration here was written by a newer OpsDeck: opening
//   it throws WorkspaceTooNew, read-only included (its tables may mean something else now).
// - Views are not migrations: they are made again at every writable open (VIEWS_SQL).
import type { DuckDBConnection } from '@duckdb/node-api';
import { FIRST_RELEASE_SQL, META_SQL, VIEWS_SQL } from './schema';

export interface Migration {
  /** 1, 2, 3…: the schema version a file is at once this has run. */
  version: number;
  /** What it changes, for the error message should it fail. */
  name: string;
  /** SQL, or a function for what SQL alone cannot say; runs inside the migration transaction. */
  sql: string | ((connection: DuckDBConnection) => Promise<void>);
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'the first release’s tables', sql: FIRST_RELEASE_SQL },
  {
    // Files made by the first release before `cause` was added have the table without it.
    version: 2,
    name: 'alert_transitions.cause',
    sql: 'ALTER TABLE alert_transitions ADD COLUMN IF NOT EXISTS cause VARCHAR',
  },
  {
    // Where each source is in its input (ingest/stage.ts), written in the same transaction as the
    // rows read up to there, so a restart resumes with no row missing or doubled; `value` is opaque.
    version: 3,
    name: 'positions',
    sql: `CREATE TABLE positions(
      source VARCHAR NOT NULL, "key" VARCHAR NOT NULL, value VARCHAR NOT NULL, updated_at TIMESTAMP NOT NULL,
      PRIMARY KEY (source, "key"))`,
  },
  {
    // Notes people put on the timeline (alerts/annotations.ts): an instant (ts_end NULL) or a
    // range, with its text, author and the channels it is about (a JSON array of names, may be empty).
    version: 4,
    name: 'annotations',
    sql: `CREATE TABLE annotations(
      id VARCHAR PRIMARY KEY, ts TIMESTAMP NOT NULL, ts_end TIMESTAMP, text VARCHAR NOT NULL,
      author VARCHAR NOT NULL, channels JSON NOT NULL, created_at TIMESTAMP NOT NULL)`,
  },
  {
    // Provenance of each record (the file and line it came from; NULL when unknown), the files
    // imported (evidence handling needs each one's SHA-256 and size), and jobs, so one interrupted by
    // a restart resumes (engine/jobs/).
    version: 5,
    name: 'records.origin and records.line, captures, jobs',
    sql: `ALTER TABLE records ADD COLUMN IF NOT EXISTS origin VARCHAR;
      ALTER TABLE records ADD COLUMN IF NOT EXISTS line BIGINT;
      CREATE TABLE IF NOT EXISTS captures(
        sha256 VARCHAR NOT NULL, size BIGINT NOT NULL, path VARCHAR NOT NULL, "key" VARCHAR NOT NULL,
        job VARCHAR NOT NULL, state VARCHAR NOT NULL, format VARCHAR, confidence DOUBLE,
        rows BIGINT NOT NULL DEFAULT 0, quarantined BIGINT NOT NULL DEFAULT 0,
        started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, notes VARCHAR);
      CREATE TABLE IF NOT EXISTS jobs(
        id VARCHAR NOT NULL, kind VARCHAR NOT NULL, spec JSON NOT NULL, state VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, summary JSON);`,
  },
  {
    // Recordings the user starts and stops by name (evidence/recordings.ts): which sources, from
    // when to when (stopped_at NULL while it runs), and who started and stopped it.
    version: 6,
    name: 'named_recordings',
    sql: `CREATE TABLE IF NOT EXISTS named_recordings(
      name VARCHAR PRIMARY KEY, sources JSON NOT NULL, started_at TIMESTAMP NOT NULL,
      stopped_at TIMESTAMP, started_by VARCHAR NOT NULL, stopped_by VARCHAR)`,
  },
  {
    // An imported file's lines counted by minute and severity in its first pass, before its rows
    // (import/scan.ts): the first answers. `key` is the capture's (until its SHA-256 is known, the
    // import's own `scan:<job>:<path>`). minute and severity NULL: lines its decoder refuses.
    version: 7,
    name: 'capture_counts',
    sql: `CREATE TABLE IF NOT EXISTS capture_counts(
      "key" VARCHAR NOT NULL, path VARCHAR NOT NULL, minute TIMESTAMP, severity VARCHAR, lines BIGINT NOT NULL)`,
  },
];

/** The schema version this OpsDeck writes: the last migration's. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export class WorkspaceTooNew extends Error {
  constructor(
    readonly path: string,
    readonly found: number,
  ) {
    super(
      `${path} was written by a newer OpsDeck: its schema version is ${found}, and this OpsDeck knows versions up to ${SCHEMA_VERSION}. ` +
        `Open it with the OpsDeck that wrote it (or a newer one); this one leaves it untouched.`,
    );
    this.name = 'WorkspaceTooNew';
  }
}

/** The file's schema version: 0 for a new file (no `meta`, or no version in it). */
export async function schemaVersion(connection: DuckDBConnection): Promise<number> {
  const hasMeta = (
    await connection.runAndReadAll(
      `SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = 'meta'`,
    )
  ).getRows()[0]![0];
  if (Number(hasMeta) === 0) return 0;
  const row = (
    await connection.runAndReadAll(`SELECT value FROM meta WHERE key = 'schema_version'`)
  ).getRows()[0];
  if (!row) return 0;
  const version = Number(row[0]);
  if (!Number.isInteger(version) || version < 0)
    throw new Error(`meta.schema_version is "${String(row[0])}", not a schema version`);
  return version;
}

/** Refuses a file written by a newer OpsDeck (for read-only opens, which migrate nothing). */
export async function checkSchemaVersion(connection: DuckDBConnection, path: string): Promise<number> {
  const version = await schemaVersion(connection);
  if (version > SCHEMA_VERSION) throw new WorkspaceTooNew(path, version);
  return version;
}

/**
 * Brings the file up to SCHEMA_VERSION in one transaction and makes the views. Returns the
 * versions it went from and to (equal when there was nothing to do).
 */
export async function migrate(
  connection: DuckDBConnection,
  path: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<{ from: number; to: number }> {
  const from = await checkSchemaVersion(connection, path);
  const due = migrations.filter((m) => m.version > from).sort((a, b) => a.version - b.version);
  let to = from;
  if (due.length > 0) {
    await connection.run('BEGIN TRANSACTION');
    try {
      await connection.run(META_SQL);
      for (const m of due) {
        try {
          if (typeof m.sql === 'string') await connection.run(m.sql);
          else await m.sql(connection);
        } catch (error) {
          throw new Error(
            `${path}: migration ${m.version} (${m.name}) from schema version ${from} failed: ${(error as Error).message}`,
            { cause: error },
          );
        }
        to = m.version;
      }
      await connection.run(
        `INSERT OR REPLACE INTO meta VALUES ('schema_version', '${to}'), ('migrated_at', strftime(now(), '%Y-%m-%dT%H:%M:%SZ'))`,
      );
      await connection.run('COMMIT');
    } catch (error) {
      await connection.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
  await connection.run(VIEWS_SQL);
  return { from, to };
}

// Records made in DuckDB itself with range(): millions in a second, for the log view's tests and
// bench, without an import. Two sources (app, db); every 97th record an error naming a database
// host, every 13th a warning; fields host (web-0…3), latency_ms (0…499), user on every third.
import type { Store } from '../../electron/engine/store/store';

export const GENERATED_T0 = Date.UTC(2026, 10, 25, 10, 0, 0);

/**
 * The generated rows as a SELECT (ts, rx, source_id, severity, message, fields): numbers of our
 * own inlined, so the same text serves an INSERT and a COPY of the lines for lnav (bench).
 */
export function generatedRecordsSql(count: number, t0 = GENERATED_T0): string {
  if (!Number.isSafeInteger(count) || !Number.isSafeInteger(t0)) throw new Error('whole numbers only');
  const t0us = t0 * 1000;
  return `SELECT make_timestamp(${t0us} + i * 1000) AS ts, make_timestamp(${t0us} + i * 1000) AS rx,
       CASE WHEN i % 2 = 0 THEN 901 ELSE 902 END AS source_id,
       CASE WHEN i % 97 = 0 THEN 'error' WHEN i % 13 = 0 THEN 'warning' WHEN i % 5 = 0 THEN 'debug' ELSE 'info' END AS severity,
       CASE WHEN i % 97 = 0 THEN 'request ' || i || ' failed: timeout talking to db-' || (i % 7)
            ELSE 'request ' || i || ' served in ' || (i % 500) || ' ms' END AS message,
       CASE WHEN i % 3 = 0
            THEN json_object('host', 'web-' || (i % 4), 'latency_ms', i % 500, 'user', 'user-' || (i % 11))
            ELSE json_object('host', 'web-' || (i % 4), 'latency_ms', i % 500) END AS fields
     FROM range(${count}) t(i)`;
}

/** Appends `count` records one millisecond apart from `t0` (and the two sources, ids 901 and 902). */
export async function generateRecords(store: Store, count: number, t0 = GENERATED_T0): Promise<void> {
  await store.write(
    `INSERT INTO sources VALUES (901, 'app', 'file'), (902, 'db', 'file') ON CONFLICT DO NOTHING`,
    [],
  );
  await store.write(
    `INSERT INTO records (ts, rx, source_id, severity, message, fields) ${generatedRecordsSql(count, t0)}`,
    [],
    'generated records',
  );
}

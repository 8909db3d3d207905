// The database schema (DESIGN.md "Data model"). `opsdeck.json` is the source of truth for
// configuration; `sources` and `channels` here only give data rows their ids and names to join on.
// Times are TIMESTAMP in UTC with microsecond precision. `alert_transitions.mode` is 'live' or
// 'stored' (from evaluating stored data), so re-evaluations never mix with what was paged live.
// `audit` is append-only and hash-chained (alerts/audit.ts); `silences` is operational state, and so is
// `alert_state` (live alert instances, restored at start: alerts/state.ts; `since` is event-time ms).
//
// The schema changes only through numbered migrations (store/migrations.ts): FIRST_RELEASE_SQL is
// migration 1, the tables as the first release made them; a later change is a new migration
// there, never an edit here. The views are made again at every open, after the migrations.

/** `meta` holds `schema_version`: the migrations read it before anything else exists. */
export const META_SQL = `CREATE TABLE IF NOT EXISTS meta(key VARCHAR PRIMARY KEY, value VARCHAR);`;

/** Migration 1: the tables of the first release (schema version 1). */
export const FIRST_RELEASE_SQL = `
CREATE TABLE IF NOT EXISTS sources(id UINTEGER PRIMARY KEY, key VARCHAR NOT NULL UNIQUE, kind VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS channels(
  id UINTEGER PRIMARY KEY, source_id UINTEGER NOT NULL, name VARCHAR NOT NULL UNIQUE, unit VARCHAR NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS samples(ts TIMESTAMP NOT NULL, channel_id UINTEGER NOT NULL, value DOUBLE NOT NULL);
CREATE TABLE IF NOT EXISTS records(
  ts TIMESTAMP NOT NULL, rx TIMESTAMP NOT NULL, source_id UINTEGER NOT NULL,
  severity VARCHAR NOT NULL, message VARCHAR NOT NULL, fields JSON);
CREATE TABLE IF NOT EXISTS quarantine(
  rx TIMESTAMP NOT NULL, source_id UINTEGER NOT NULL, reason VARCHAR NOT NULL, "where" VARCHAR NOT NULL, raw BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS recordings(
  rx TIMESTAMP NOT NULL, source_id UINTEGER NOT NULL, "key" VARCHAR NOT NULL, payload BLOB NOT NULL, meta JSON);
CREATE TABLE IF NOT EXISTS notices(ts TIMESTAMP NOT NULL, level VARCHAR NOT NULL, message VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS alert_transitions(
  ts TIMESTAMP NOT NULL, rule VARCHAR NOT NULL, labels JSON NOT NULL, from_state VARCHAR NOT NULL,
  state VARCHAR NOT NULL, value DOUBLE, severity VARCHAR NOT NULL, annotations JSON NOT NULL,
  mode VARCHAR NOT NULL, evaluated_at TIMESTAMP NOT NULL, cause VARCHAR);
CREATE TABLE IF NOT EXISTS audit(
  seq BIGINT NOT NULL, ts TIMESTAMP NOT NULL, actor VARCHAR NOT NULL, action VARCHAR NOT NULL,
  detail JSON NOT NULL, prev_hash VARCHAR NOT NULL, hash VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS silences(
  id VARCHAR NOT NULL, matchers JSON NOT NULL, starts_at TIMESTAMP NOT NULL, ends_at TIMESTAMP NOT NULL,
  created_by VARCHAR NOT NULL, comment VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL);
CREATE TABLE IF NOT EXISTS alert_state(
  "key" VARCHAR PRIMARY KEY, rule VARCHAR NOT NULL, rule_hash VARCHAR NOT NULL, labels VARCHAR NOT NULL,
  state VARCHAR NOT NULL, since DOUBLE NOT NULL, value DOUBLE, active BOOLEAN NOT NULL, ack VARCHAR);
`;

/** Views users query (SQL console, `opsdeck query`): made again at every open. */
export const VIEWS_SQL = `
CREATE OR REPLACE VIEW samples_v AS
  SELECT s.ts, src.key AS source, c.name AS channel, c.unit, s.value
  FROM samples s JOIN channels c ON c.id = s.channel_id JOIN sources src ON src.id = c.source_id;
CREATE OR REPLACE VIEW records_v AS
  SELECT r.ts, r.rx, src.key AS source, r.severity, r.message, r.fields, r.origin, r.line
  FROM records r JOIN sources src ON src.id = r.source_id;
CREATE OR REPLACE VIEW capture_counts_v AS
  SELECT n.path, c.sha256, n.minute, n.severity, n.lines
  FROM capture_counts n LEFT JOIN captures c ON c."key" = n."key";
`;

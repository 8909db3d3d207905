// The first pass's counts (capture_counts, engine/import/quick-counts.ts) against the stored rows:
// the (minute, severity) groups that differ between them, both ways. 0 when the first answers were
// the rows' answers. Shared by the import tests and bench logs.
export const COUNTS_DIFFER_SQL = `SELECT count(*)::INT FROM (
  (SELECT minute, severity, lines FROM capture_counts WHERE minute IS NOT NULL
   EXCEPT SELECT date_trunc('minute', ts), severity, count(*) FROM records GROUP BY ALL)
  UNION ALL
  (SELECT date_trunc('minute', ts), severity, count(*) FROM records GROUP BY ALL
   EXCEPT SELECT minute, severity, lines FROM capture_counts WHERE minute IS NOT NULL))`;

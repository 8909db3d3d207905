// The investigate views' part of the contract (shared/api.ts lists the methods): the log view's
// pages, histogram, field statistics and surrounding lines, the quarantine browser, and what the
// workspace keeps for them (saved searches, SQL history). Times are epoch ms; a record's key is
// (ts, id), `id` being its row's id in DuckDB, the tiebreak of the keyset order.
import { z } from 'zod';
import { MAX_FILTER_LENGTH } from './log-filter';

const Millis = z.number().finite();

/** What the log view shows: the filter text (shared/log-filter.ts) and the console's time range. */
export const RecordScope = z.object({
  filter: z.string().max(MAX_FILTER_LENGTH).default(''),
  /** [from, to) epoch ms; absent: unbounded. */
  from: Millis.optional(),
  to: Millis.optional(),
});
export type RecordScope = z.input<typeof RecordScope>;

export const RecordRow = z.object({
  /** Event time, epoch ms (with microseconds as the fraction). */
  ts: z.number(),
  /** Row id: the tiebreak of (ts, id) order. */
  id: z.number(),
  rx: z.number(),
  source: z.string(),
  severity: z.string(),
  message: z.string(),
  /** The record's JSON fields as text, or null. */
  fields: z.string().nullable(),
  /** Where it came from (an imported or tailed file's path) and its line there, when known. */
  origin: z.string().nullable(),
  line: z.number().nullable(),
});
export type RecordRow = z.infer<typeof RecordRow>;

/**
 * A page of records in (ts, id) order. `at` is a seek: rows from time `at.ts` on, skipping
 * `at.skip` of them (the histogram's bucket counts turn a row number into a bucket start and a
 * small skip, so a scrollbar dragged anywhere costs one bounded query, never an OFFSET into
 * millions). `after` continues past a row (keyset); `tail` is the last page (G, follow).
 */
export const RecordsRequest = RecordScope.extend({
  at: z.object({ ts: Millis, skip: z.number().int().min(0).max(10_000_000) }).optional(),
  after: z.object({ ts: Millis, id: z.number().int() }).optional(),
  before: z.object({ ts: Millis, id: z.number().int() }).optional(),
  tail: z.boolean().default(false),
  limit: z.number().int().min(1).max(2_000).default(200),
});
export const RecordsPage = z.object({ rows: z.array(RecordRow), elapsedMs: z.number() });
export type RecordsPage = z.infer<typeof RecordsPage>;

/** A record's row number in the scope's (ts, id) order: where `n` (next match) scrolls to. */
export const RecordPositionRequest = RecordScope.extend({ ts: Millis, id: z.number().int() });

export const HistogramRequest = RecordScope.extend({
  buckets: z.number().int().min(1).max(2_000).default(200),
});
/** Counts per bucket and severity: `counts[s][b]` for `severities[s]` in the bucket starting at `starts[b]`. */
export const Histogram = z.object({
  bucketMs: z.number(),
  /** The range the buckets cover (the stored records' extent when the request had none). */
  from: z.number().nullable(),
  to: z.number().nullable(),
  starts: z.array(z.number()),
  severities: z.array(z.string()),
  counts: z.array(z.array(z.number())),
  total: z.number(),
  elapsedMs: z.number(),
});
export type Histogram = z.infer<typeof Histogram>;

export const FieldStatsRequest = RecordScope.extend({
  field: z.string().min(1).max(256),
  limit: z.number().int().min(1).max(100).default(10),
});
export const FieldStats = z.object({
  field: z.string(),
  /** Records in scope, and those where the field is present. */
  total: z.number(),
  present: z.number(),
  values: z.array(z.object({ value: z.string(), count: z.number() })),
});
export type FieldStats = z.infer<typeof FieldStats>;

export const RecordContextRequest = z.object({
  id: z.number().int(),
  before: z.number().int().min(0).max(500).default(20),
  after: z.number().int().min(0).max(500).default(20),
});
/** The record and its neighbours from the same source, in (ts, id) order; `index` is the record's. */
export const RecordContext = z.object({ rows: z.array(RecordRow), index: z.number().int() });
export type RecordContext = z.infer<typeof RecordContext>;

export const QuarantineRequest = z.object({
  source: z.string().max(64).optional(),
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(1_000).default(100),
});
export const QuarantineItem = z.object({
  id: z.number(),
  rx: z.number(),
  source: z.string(),
  reason: z.string(),
  where: z.string(),
  /** Bytes kept, as hex (at most the first 64 KiB); `bytes` is the whole length. */
  rawHex: z.string(),
  bytes: z.number(),
});
export type QuarantineItem = z.infer<typeof QuarantineItem>;
export const QuarantineResult = z.object({
  sources: z.array(z.object({ source: z.string(), count: z.number() })),
  items: z.array(QuarantineItem),
  total: z.number(),
});
export type QuarantineResult = z.infer<typeof QuarantineResult>;

export const ExportQueryRequest = z.object({
  sql: z.string().min(1).max(100_000),
  format: z.enum(['csv']).default('csv'),
  /** Absolute path of the file to write. */
  path: z.string().min(1),
});

/** What the workspace keeps for the investigate views (`investigate` in opsdeck.json). */
export const SavedSearch = z.object({
  name: z.string().trim().min(1).max(120),
  filter: z.string().max(MAX_FILTER_LENGTH),
});
export const InvestigateSettings = z
  .object({
    savedSearches: z.array(SavedSearch).max(500).default([]),
    /** Newest first. */
    sqlHistory: z.array(z.string().max(100_000)).max(200).default([]),
  })
  .strict();
export type InvestigateSettings = z.infer<typeof InvestigateSettings>;

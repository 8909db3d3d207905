// Jobs: long work the engine does on request (imports now; exports, replays and re-decodes later),
// with progress, cancel, a row in the `jobs` table (so one interrupted by a restart resumes) and an
// audit entry when it ends. The console and the CLI see the same `JobInfo`, pushed by the engine.
import { z } from 'zod';
import { maskingOption } from './masking';
import { isTimeZone } from './time-zones';

/** `redecode`: quarantined items; `redecode-recording`: a recording's raw messages. */
export const JobKind = z.enum(['import', 'redecode', 'redecode-recording', 'export', 'bundle']);
export type JobKind = z.infer<typeof JobKind>;

/** `interrupted`: the engine stopped while it ran; it resumes when the workspace is next opened. */
export const JobState = z.enum(['queued', 'running', 'done', 'cancelled', 'failed', 'interrupted']);
export type JobState = z.infer<typeof JobState>;

/** One file of an import, as the job's summary lists it. */
export const ImportedFile = z.object({
  path: z.string(),
  size: z.number(),
  sha256: z.string().nullable(),
  /** The decoder used, and how sure detection was (1 when the user chose it). */
  format: z.string().nullable(),
  confidence: z.number().nullable(),
  state: z.enum(['waiting', 'importing', 'done', 'skipped', 'cancelled', 'failed']),
  rows: z.number(),
  quarantined: z.number(),
  /** Why it was skipped or failed, or what the user should know (read as Latin-1, gzip…). */
  note: z.string().nullable(),
  /**
   * Its lines counted in the first pass, before its rows (engine/import/quick-counts.ts): by
   * severity, quarantined, and a histogram of lines over the file's time span (`from`, `to`: the
   * first and last minute's start, epoch ms; `histogram` in equal buckets). Null for formats not
   * counted so.
   */
  counted: z
    .object({
      lines: z.number(),
      quarantined: z.number(),
      bySeverity: z.record(z.string(), z.number()),
      from: z.number().nullable(),
      to: z.number().nullable(),
      histogram: z.array(z.number()).max(200),
    })
    .nullable()
    .default(null),
});
export type ImportedFile = z.infer<typeof ImportedFile>;

export const JobInfo = z.object({
  id: z.string(),
  kind: JobKind,
  /** What it works on, in a few words ("3 files from /media/usb"). */
  label: z.string(),
  state: JobState,
  createdAt: z.number(),
  finishedAt: z.number().nullable(),
  /** Input bytes read (on disk, compressed as stored) and in all; null total while unknown. */
  bytesDone: z.number(),
  bytesTotal: z.number().nullable(),
  /** Lines (rows) taken in (an export: written), and sent to quarantine. */
  rows: z.number(),
  /** Rows in all when known ahead (an export counts them first); progress goes by bytes otherwise. */
  rowsTotal: z.number().nullable().default(null),
  quarantined: z.number(),
  rowsPerSecond: z.number(),
  secondsLeft: z.number().nullable(),
  /** What it is doing now ("hashing a.log", "importing b.log.gz"). */
  detail: z.string(),
  /** The summary's lines: notices about the data, counts, what was skipped. */
  notes: z.array(z.string()),
  error: z.string().nullable(),
  /** The files of an import (the first 500). */
  files: z.array(ImportedFile),
});
export type JobInfo = z.infer<typeof JobInfo>;

/** `format`: a decoder name to use instead of detection; `again`: import files already imported. */
export const ImportRequest = z.object({
  paths: z.array(z.string().min(1).max(4096)).min(1).max(10_000),
  format: z.string().min(1).max(64).optional(),
  timeZone: z
    .string()
    .refine(isTimeZone, { message: 'not an IANA time zone (e.g. UTC, Europe/Berlin)' })
    .optional(),
  again: z.boolean().default(false),
  /** Masked before storing, as for tail and syslog sources (every built-in rule but addresses). */
  masking: maskingOption,
  /** False: every line through the decoders, even where DuckDB's reader could take it (import/fast.ts). */
  fastPath: z.boolean().default(true),
});
export type ImportRequest = z.output<typeof ImportRequest>;

/** A folder of this machine, as the console's file browser shows it. */
export const DirectoryListing = z.object({
  path: z.string(),
  parent: z.string().nullable(),
  entries: z.array(
    z.object({
      name: z.string(),
      kind: z.enum(['file', 'dir']),
      size: z.number(),
      modified: z.number(),
    }),
  ),
  /** More entries than listed (the first 2,000, folders first). */
  truncated: z.boolean(),
});
export type DirectoryListing = z.infer<typeof DirectoryListing>;

/**
 * Quarantined items of a source decoded again with another decoder (after a fix): the rows go to
 * the derived source `<source>~redecoded`, and the items stay in quarantine until cleared.
 */
export const RedecodeRequest = z.object({
  source: z.string().min(1).max(64),
  /** The items' ids as the quarantine browser lists them. */
  ids: z.array(z.number().int().min(0)).min(1).max(10_000),
  decoder: z.string().min(1).max(64),
});
export type RedecodeRequest = z.output<typeof RedecodeRequest>;

/** The source re-decoded rows of `source` are stored under. */
export function redecodedSource(source: string): string {
  return `${source}~redecoded`;
}

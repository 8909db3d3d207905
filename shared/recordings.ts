// Named recordings: a span of live sources the user started and stopped by name ("run 12",
// "incident 2026-11-30"), stored in `named_recordings` (migration 6). While one runs, its sources
// keep their raw messages (table `recordings`) even when their own `record` option is off, so the
// span can be decoded again later (a recording re-decode job) and handed over (exports, bundles).
import { z } from 'zod';
import { MaskingOptions } from './masking';

const Millis = z.number().finite();
/** A recording's name: what people call the run; also how the CLI and exports name it. */
export const RecordingName = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .refine(
    (n) => !/[/\\]/.test(n) && ![...n].some((c) => c.charCodeAt(0) < 32),
    'no slashes or control characters',
  );

/** A recording as listed (and as the replay timeline shows it): `to` is null while it runs. */
export const NamedRecording = z.object({
  name: z.string(),
  /** Ids of the sources it records. */
  sources: z.array(z.string()),
  from: Millis,
  to: Millis.nullable(),
  startedBy: z.string(),
  stoppedBy: z.string().nullable(),
});
export type NamedRecording = z.infer<typeof NamedRecording>;

export const StartRecordingRequest = z.object({
  name: RecordingName,
  /** Configured sources to record; at least one. */
  sources: z.array(z.string().min(1).max(64)).min(1).max(100),
  actor: z.string().trim().min(1).max(128),
});
export type StartRecordingRequest = z.output<typeof StartRecordingRequest>;

export const StopRecordingRequest = z.object({
  name: RecordingName,
  actor: z.string().trim().min(1).max(128),
});

/** Scale and offset for a channel of the re-decoded source (by its path under the source). */
export const CalibrationOverride = z.object({
  scale: z.number().finite(),
  offset: z.number().finite(),
});

/**
 * Raw recorded messages of one source in [from, to) decoded again — with another decoder,
 * calibration or masking — into a derived source (default `<source>~redecoded`), never over what
 * was stored. Without `decoder` each message gets the decoder the source's configuration chooses
 * for it now; without `masking`, the source's own; channels keep the original channel's
 * calibration unless `calibration` gives one (keyed by the channel's path under the source).
 */
export const RecordingRedecodeRequest = z.object({
  source: z.string().min(1).max(64),
  from: Millis,
  to: Millis,
  decoder: z.string().min(1).max(64).optional(),
  calibration: z.record(z.string().min(1).max(512), CalibrationOverride).optional(),
  masking: MaskingOptions.optional(),
  /** The derived source's id; it must contain "~" (a derived name) and hold nothing yet. */
  target: z
    .string()
    .min(3)
    .max(64)
    .regex(/^[^~]+~[^~]+$/, 'a derived source is named <source>~<name>')
    .optional(),
});
export type RecordingRedecodeRequest = z.output<typeof RecordingRedecodeRequest>;

/** What the console and CLI ask: a named recording's sources (or one of them), or a source and range. */
export const RedecodeRecordingParams = z
  .object({
    recording: RecordingName.optional(),
    source: z.string().min(1).max(64).optional(),
    from: Millis.optional(),
    to: Millis.optional(),
    decoder: z.string().min(1).max(64).optional(),
    calibration: z.record(z.string().min(1).max(512), CalibrationOverride).optional(),
    masking: MaskingOptions.optional(),
    /** The derived source's name after the "~" (default "redecoded"): `<source>~<suffix>`. */
    suffix: z
      .string()
      .min(1)
      .max(32)
      .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash and underscore')
      .optional(),
  })
  .refine((p) => p.recording !== undefined || (p.source && p.from !== undefined && p.to !== undefined), {
    message: 'name a recording, or a source with from and to',
  });
export type RedecodeRecordingParams = z.output<typeof RedecodeRecordingParams>;

// Replay, the timeline and aligned channels: what a console asks of the engine to go back in time.
// A replay is a session of its own (bus, live view, alert evaluation) on a virtual clock that the
// engine moves through stored data at a chosen speed; nothing is stored and nobody is notified.
// Schemas holding alert transitions are completed in api.ts, where AlertTransitionInfo lives.
import { z } from 'zod';
import { AlertRules } from './alerts';

const Millis = z.number().finite();

/** Replay speed: event time per wall time (0.1× to 1000×), or "max": as fast as the data can be read. */
export const ReplaySpeed = z.union([z.number().min(0.1).max(1000), z.literal('max')]);
export type ReplaySpeed = z.infer<typeof ReplaySpeed>;

export const ReplayOpenRequest = z
  .object({
    /** Event-time range to replay, epoch ms [from, to]. */
    from: Millis,
    to: Millis,
    speed: ReplaySpeed.default(1),
    /** Start again at `from` when the cursor reaches `to`. */
    loop: z.boolean().default(false),
    /** Draft rules (the rule editor's); absent: the workspace's rules. */
    rules: AlertRules.optional(),
  })
  .refine((r) => r.to > r.from, { path: ['to'], message: 'to must be after from' });
export type ReplayOpenRequest = z.input<typeof ReplayOpenRequest>;

export const ReplayId = z.string().min(1).max(64);

/** One command to a replay. `step` moves the cursor by `ms` of event time (data in between is played). */
export const ReplayCommand = z.discriminatedUnion('action', [
  z.object({ action: z.literal('play') }),
  z.object({ action: z.literal('pause') }),
  z.object({ action: z.literal('seek'), at: Millis }),
  z.object({
    action: z.literal('step'),
    ms: z
      .number()
      .positive()
      .max(7 * 86_400_000),
  }),
  z.object({ action: z.literal('speed'), speed: ReplaySpeed }),
  z.object({
    action: z.literal('loop'),
    loop: z.boolean(),
    /** A new range to loop over (the timeline's selection); absent: the replay's range. */
    from: Millis.optional(),
    to: Millis.optional(),
  }),
]);
export type ReplayCommand = z.infer<typeof ReplayCommand>;

export const ReplayStatus = z.object({
  id: ReplayId,
  state: z.enum(['paused', 'playing', 'ended', 'closed']),
  from: z.number(),
  to: z.number(),
  /** Event time the replay has reached, epoch ms. */
  cursor: z.number(),
  speed: ReplaySpeed,
  loop: z.boolean(),
  /** Samples and records played through the session since it (re)started. */
  samples: z.number(),
  records: z.number(),
  /** Whether the replay evaluates draft rules (not the workspace's). */
  draftRules: z.boolean(),
  /** Why the replay stopped by itself, when it did (a read failed); null otherwise. */
  error: z.string().nullable(),
});
export type ReplayStatus = z.infer<typeof ReplayStatus>;

/** Each channel's newest value at or before `at` (looking back at most `lookbackMs`). */
export const ReplayFrameRequest = z.object({
  at: Millis,
  /** Channel ids; absent: every channel with a value in the window. */
  channels: z.array(z.number().int().nonnegative()).max(10_000).optional(),
  lookbackMs: z
    .number()
    .positive()
    .max(30 * 86_400_000)
    .default(60_000),
});
export const ReplayFrame = z.object({
  at: z.number(),
  values: z.array(z.object({ channel: z.number(), ts: z.number(), value: z.number() })),
});
export type ReplayFrame = z.infer<typeof ReplayFrame>;

/** What rules (stored or draft) would have fired over a range, evaluated by a replay session. */
export const WouldHaveFiredRequest = z
  .object({
    /** Absent: the workspace's rules. */
    rules: AlertRules.optional(),
    from: Millis.optional(),
    to: Millis.optional(),
    /** Where an absent end falls: the hour before now, or the stored data's own ends. */
    defaultRange: z.enum(['lastHour', 'allStored']).default('allStored'),
  })
  .refine((r) => r.from === undefined || r.to === undefined || r.to > r.from, {
    path: ['to'],
    message: 'to must be after from',
  });
export type WouldHaveFiredRequest = z.input<typeof WouldHaveFiredRequest>;

/** Channels of different sources and rates on one time axis: an as-of join on the first one's times. */
export const AlignRequest = z
  .object({
    /** Channel names; the first one's samples are the rows, the others take their latest value. */
    channels: z.array(z.string().min(1).max(512)).min(2).max(64),
    from: Millis,
    to: Millis,
    /** A value older than this (ms) before the row's time is no match (null). */
    toleranceMs: z.number().nonnegative().max(86_400_000),
    maxRows: z.number().int().min(1).max(1_000_000).default(10_000),
  })
  .refine((r) => r.to > r.from, { path: ['to'], message: 'to must be after from' });
export type AlignRequest = z.input<typeof AlignRequest>;
export const AlignResult = z.object({
  /** "ts", then one per channel, in the order asked. */
  columns: z.array(z.string()),
  /** ts (epoch ms), then each channel's value or null when none within the tolerance. */
  rows: z.array(z.array(z.number().nullable())),
  truncated: z.boolean(),
});
export type AlignResult = z.infer<typeof AlignResult>;

/** Event density over the whole workspace (or a range), for the timeline. */
export const TimelineRequest = z.object({
  from: Millis.optional(),
  to: Millis.optional(),
  buckets: z.number().int().min(1).max(4_000).default(400),
});
export const TimelineDensity = z.object({
  /** The range the buckets cover; both 0 when nothing is stored. */
  from: z.number(),
  to: z.number(),
  bucketMs: z.number(),
  /** Counts per bucket of each source's samples, records or quarantined input. */
  lanes: z.array(
    z.object({
      source: z.string(),
      kind: z.enum(['samples', 'records', 'quarantine']),
      counts: z.array(z.number()),
    }),
  ),
  /** Live alert transitions in the range (firing and resolved), oldest first, at most 2,000. */
  alerts: z.array(z.object({ ts: z.number(), rule: z.string(), state: z.string() })),
});
export type TimelineDensity = z.infer<typeof TimelineDensity>;

/** A source's topics as they were at an instant, from its raw recordings (`record: true`). */
export const RecordedTopicsRequest = z.object({
  source: z.string().min(1).max(128),
  at: Millis,
  /** Only topics starting with this. */
  prefix: z.string().max(1024).default(''),
  limit: z.number().int().min(1).max(10_000).default(500),
});
export const RecordedTopics = z.object({
  /** False when the source keeps no raw recordings: the values of that moment are not known. */
  recorded: z.boolean(),
  topics: z.array(
    z.object({
      topic: z.string(),
      /** Receive time of the newest message at or before `at`, epoch ms. */
      rx: z.number(),
      /** The payload as UTF-8 text (at most 4 KiB of it). */
      text: z.string(),
      bytes: z.number(),
    }),
  ),
  truncated: z.boolean(),
});
export type RecordedTopics = z.infer<typeof RecordedTopics>;

// Configuration schemas: the workspace file and everything in it. Every object that crosses a
// process boundary or is read from disk is parsed with one of these, so a wrong field is reported
// by its path ("sources.0.options.rateMultiplier: Too big") instead of failing later.
import { z } from 'zod';
import { AlertingSettings, AlertRules } from './alerts';
import { SourceConfig } from './sources/index';
import { InvestigateSettings } from './investigate';

// Source kinds live one file each under shared/sources/ (their options, labels and capabilities);
// re-exported here so everything that imports the configuration from one place keeps doing so.
export * from './sources/fields';
export {
  defineSourceKind,
  sourceCommon,
  type SourceCapabilities,
  type SourceKindDescriptor,
} from './sources/descriptor';
export * from './sources/index';
export * from './sources/kafka';
export * from './sources/mqtt';
export * from './sources/mqtt-broker';
export * from './sources/serial';
export * from './sources/sim';
export * from './sources/tail';
export * from './sources/syslog';

export const PANEL_MIN_HEIGHT = 140;
export const PANEL_MAX_HEIGHT = 2_000;
export const PANEL_DEFAULT_HEIGHT = 280;

/** Per-channel presentation and calibration; `value_stored = raw * scale + offset`. */
export const ChannelConfig = z
  .object({
    /** Full channel name, `sourceId/path`, e.g. `demo/temperature`. */
    name: z.string().min(1).max(512),
    unit: z.string().max(32).default(''),
    scale: z.number().finite().default(1),
    offset: z.number().finite().default(0),
    /** What the console calls it; '' shows its name. (Since workspace version 2.) */
    displayName: z.string().trim().max(120).default(''),
    /** Decimals shown; null picks as many as the values' range needs. (Since workspace version 2.) */
    decimals: z.number().int().min(0).max(12).nullable().default(null),
  })
  .strict();
export type ChannelConfig = z.infer<typeof ChannelConfig>;

export const PlotPanel = z
  .object({
    kind: z.literal('plot'),
    id: z.string().min(1).max(64),
    title: z.string().max(120).default(''),
    channels: z.array(z.string()).max(64).default([]),
    /** Visible window of the live plot, milliseconds. */
    windowMs: z.number().int().min(1_000).max(86_400_000).default(60_000),
    /**
     * A line breaks where a channel was quiet for more than this many times its own usual spacing
     * between samples (so a 1 Hz and a 1 kHz channel each break on their own terms); 0 never breaks.
     */
    gapFactor: z.number().min(0).max(1_000).default(5),
    /** Height of the panel in CSS pixels, as the user sized it. */
    height: z.number().int().min(PANEL_MIN_HEIGHT).max(PANEL_MAX_HEIGHT).default(PANEL_DEFAULT_HEIGHT),
  })
  .strict();
export type PlotPanel = z.infer<typeof PlotPanel>;
export const Layout = z
  .object({
    name: z.string().trim().min(1).max(80),
    panels: z.array(PlotPanel).max(32).default([]),
  })
  .strict()
  .superRefine((layout, ctx) => {
    const seen = new Set<string>();
    layout.panels.forEach((p, i) => {
      if (seen.has(p.id))
        ctx.addIssue({ code: 'custom', path: ['panels', i, 'id'], message: `duplicate panel id "${p.id}"` });
      seen.add(p.id);
    });
  });
export type Layout = z.infer<typeof Layout>;

/** Every named layout of a workspace and the one shown; layout names are unique. */
export const Layouts = z
  .array(Layout)
  .max(50)
  .superRefine((layouts, ctx) => {
    const seen = new Set<string>();
    layouts.forEach((l, i) => {
      if (seen.has(l.name))
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate layout name "${l.name}"` });
      seen.add(l.name);
    });
  });

export const Retention = z
  .object({
    /** Drop samples, records and quarantine older than this; 0 keeps everything. */
    maxAgeHours: z
      .number()
      .min(0)
      .default(24 * 7),
    /** Keep the database under this size by dropping the oldest data; 0 means no limit. */
    maxBytes: z
      .number()
      .int()
      .min(0)
      .default(2 * 1024 ** 3),
  })
  .strict();
export type Retention = z.infer<typeof Retention>;

export const StoreSettings = z
  .object({
    /**
     * DuckDB memory_limit: its buffer pool (a cache of table blocks) plus query working memory.
     * Small by default so a recorder's memory stays flat: the OS page cache already caches the
     * database file, and large sorts or aggregations spill to `data.duckdb.tmp`. Raise it for
     * heavy SQL over large stored ranges.
     *
     * Measured (`bench.js checkpoint-memory`): taking 200,000 samples/s while size retention
     * trims and checkpoints needs 10, 12 and 18 MiB on databases of 68, 682 and 1,365 MiB (about
     * 6 MiB more per GiB); opening and checkpointing a 16 MiB log needs 4 MiB. Under the soak
     * (`bench.js soak --mqtt 20000 --prefill-hours 24`: ~1,100 channels, 140 k samples/s, 1–2 GiB)
     * a checkpoint ran out at 64 MiB near 1 GiB, and at 128 MiB at 1.2–1.4 GiB in two runs of two
     * once retention's deletes no longer did (soak11, soak12: DuckDB's block cache held ~105 of
     * the 122 usable MiB and could not give the checkpoint 256 KiB). At 256 MiB, 30 minutes with
     * retention trimming at 2 GiB ran with no reopen and RSS +7% after the warm-up (soak13): the
     * floor. A log holding one large DELETE needs ~9 bytes per row (76 MiB for 8.6 M rows):
     * retention deletes in slices, and the store opens with more memory when replaying needs it.
     */
    memoryLimitMb: z.number().int().min(32).max(1_048_576).default(256),
    /** DuckDB worker threads; 0 picks one less than the machine's cores (at least 1) so ingest keeps a core. */
    threads: z.number().int().min(0).max(256).default(0),
    /** User SQL (console, `opsdeck query`) is interrupted after this long, queueing included. */
    queryTimeoutSeconds: z.number().min(1).max(86_400).default(60),
    /** A user query's result stops at this much JSON (and says so), whatever its row count. */
    queryMaxResultMb: z.number().min(1).max(1_024).default(16),
    /**
     * Channels one source may create. A peer that invents keys (a counter or an id in a JSON key)
     * would otherwise create channels without end; frames that would add more go to quarantine.
     */
    maxChannelsPerSource: z.number().int().min(1).max(1_000_000).default(10_000),
    /**
     * Ingest work not yet durable, over all sources: rows (samples, records, quarantined and
     * recorded messages) handed to the store whose flush has not committed, plus rows decoded and
     * waiting for it. At either bound a source that can pause its peer (serial, MQTT QoS 1/2)
     * stops reading it; one that cannot (MQTT QoS 0) sheds and counts what it drops.
     * Measured at 1 M samples (ingest.slow_store): 22.9 MiB pending, RSS +72–112 MiB; no other compared.
     */
    maxPendingRows: z.number().int().min(1_000).max(10_000_000).default(1_000_000),
    /** The same work in MiB (typed columns, payloads and messages as they sit in memory). */
    // 128: a fast stream's rows gathered to a row group (store.ts, flushIfDue) and those arriving
    // while it commits: bench kafka peaked at 64–80 MiB with no pause; at 64 it paused 0–4 times.
    maxPendingMb: z.number().min(1).max(4_096).default(128),
  })
  .strict();
export type StoreSettings = z.infer<typeof StoreSettings>;

/** Which clock the console shows times on: this machine's zone, or UTC. */
export const DisplayTimeZone = z.enum(['local', 'utc']);
export type DisplayTimeZone = z.infer<typeof DisplayTimeZone>;

/** How the console presents the workspace, the same in every window that opens it. */
export const DisplaySettings = z
  .object({
    timeZone: DisplayTimeZone.default('local'),
  })
  .strict();
export type DisplaySettings = z.infer<typeof DisplaySettings>;

/** 2: channels gained `displayName` and `decimals` (workspace.ts migrates version 1 files). */
export const WORKSPACE_VERSION = 2;

export const WorkspaceConfig = z
  .object({
    /**
     * Files are migrated step by step to this version before they are parsed (workspace.ts); an
     * object built in code may still name an older version whose fields all have defaults here.
     */
    version: z
      .number()
      .int()
      .min(1)
      .max(WORKSPACE_VERSION, `written by a newer OpsDeck (this one reads up to ${WORKSPACE_VERSION})`)
      .transform((): typeof WORKSPACE_VERSION => WORKSPACE_VERSION),
    name: z.string().min(1).max(120).default('OpsDeck workspace'),
    sources: z.array(SourceConfig).default([]),
    channels: z.array(ChannelConfig).default([]),
    layouts: Layouts.default([]),
    /** Name of the layout the console shows; absent or unknown: the first. */
    activeLayout: z.string().optional(),
    retention: Retention.default(Retention.parse({})),
    store: StoreSettings.default(StoreSettings.parse({})),
    /** Alert rules (shared/alerts.ts); absent in older files, so it defaults to none. */
    rules: AlertRules.default([]),
    alerting: AlertingSettings.default(AlertingSettings.parse({})),
    /** Absent in older files: times in the local zone. */
    display: DisplaySettings.default(DisplaySettings.parse({})),
    /** Saved searches and SQL history of the investigate views; absent in older files. */
    investigate: InvestigateSettings.default(InvestigateSettings.parse({})),
  })
  .strict()
  .superRefine((ws, ctx) => {
    const seen = new Set<string>();
    ws.sources.forEach((s, i) => {
      if (seen.has(s.id))
        ctx.addIssue({
          code: 'custom',
          path: ['sources', i, 'id'],
          message: `duplicate source id "${s.id}"`,
        });
      seen.add(s.id);
    });
  });
export type WorkspaceConfig = z.infer<typeof WorkspaceConfig>;

/** "sources.0.options.seed: Expected number, received string; …" */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/** Parse or throw an Error whose message names every wrong field, prefixed by what was parsed. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(`${what}: ${describeZodError(result.error)}`);
  return result.data;
}

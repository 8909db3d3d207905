// Configuration schemas: the workspace file and everything in it. Every object that crosses a
// process boundary or is read from disk is parsed with one of these, so a wrong field is reported
// by its path ("sources.0.options.rateMultiplier: Too big") instead of failing later.
import { z } from 'zod';

/** Identifier used in channel names and file names: no spaces, slashes or dots. */
export const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, "_" or "-"');

export const SimOptions = z
  .object({
    /** Same seed, same data: tests and demos rely on it. */
    seed: z.number().int().default(1),
    /** Speeds the whole rig up (more samples per second of every kind), for load tests. */
    rateMultiplier: z.number().positive().max(1000).default(1),
    /** Base rate of the vibration channel, samples per second. */
    vibrationHz: z.number().positive().max(100_000).default(500),
  })
  .strict();
export type SimOptions = z.infer<typeof SimOptions>;

const sourceCommon = {
  id: Id,
  name: z.string().min(1).max(120),
  enabled: z.boolean().default(true),
};

export const SourceConfig = z.discriminatedUnion('kind', [
  z
    .object({ ...sourceCommon, kind: z.literal('sim'), options: SimOptions.default(SimOptions.parse({})) })
    .strict(),
]);
export type SourceConfig = z.infer<typeof SourceConfig>;
export type SourceKind = SourceConfig['kind'];

/** Per-channel presentation and calibration; `value_stored = raw * scale + offset`. */
export const ChannelConfig = z
  .object({
    /** Full channel name, `sourceId/path`, e.g. `demo/temperature`. */
    name: z.string().min(1).max(512),
    unit: z.string().max(32).default(''),
    scale: z.number().finite().default(1),
    offset: z.number().finite().default(0),
  })
  .strict();
export type ChannelConfig = z.infer<typeof ChannelConfig>;

export const PlotPanel = z
  .object({
    kind: z.literal('plot'),
    id: z.string().min(1),
    title: z.string().default(''),
    channels: z.array(z.string()).default([]),
    /** Visible window of the live plot, milliseconds. */
    windowMs: z.number().int().min(1_000).max(86_400_000).default(60_000),
  })
  .strict();
export const Layout = z
  .object({
    name: z.string().min(1),
    panels: z.array(PlotPanel).default([]),
  })
  .strict();
export type Layout = z.infer<typeof Layout>;

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
     */
    memoryLimitMb: z.number().int().min(32).max(1_048_576).default(64),
    /** DuckDB worker threads; 0 picks one less than the machine's cores (at least 1) so ingest keeps a core. */
    threads: z.number().int().min(0).max(256).default(0),
  })
  .strict();
export type StoreSettings = z.infer<typeof StoreSettings>;

export const WORKSPACE_VERSION = 1;

export const WorkspaceConfig = z
  .object({
    version: z.literal(WORKSPACE_VERSION),
    name: z.string().min(1).max(120).default('OpsDeck workspace'),
    sources: z.array(SourceConfig).default([]),
    channels: z.array(ChannelConfig).default([]),
    layouts: z.array(Layout).default([]),
    retention: Retention.default(Retention.parse({})),
    store: StoreSettings.default(StoreSettings.parse({})),
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

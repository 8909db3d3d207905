// Configuration schemas: the workspace file and everything in it. Every object that crosses a
// process boundary or is read from disk is parsed with one of these, so a wrong field is reported
// by its path ("sources.0.options.rateMultiplier: Too big") instead of failing later.
import { z } from 'zod';
import { isTimeZone } from './time-zones';
import { AlertingSettings, AlertRules } from './alerts';

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

/**
 * A reference to a secret (broker password, key passphrase). The workspace holds only the name;
 * the value lives in the OS key store (desktop), the environment (`OPSDECK_SECRET_<NAME>`, with the
 * name upper-cased and non-alphanumerics as `_`) or the engine's memory for this session.
 */
export const SecretRef = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'a secret name: letters, digits, "_", ".", ":" or "-"');

export const MqttSubscription = z
  .object({
    /** Topic filter with `+` and `#` wildcards. */
    filter: z
      .string()
      .min(1)
      .max(65_535)
      .refine(
        (f) => /^(?:[^#+]*|\+)(?:\/(?:[^#+]*|\+))*(?:\/#|^#)?$/.test(f) || f === '#',
        'wildcards: "+" fills one whole level, "#" only as the last level',
      ),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(0),
  })
  .strict();
export type MqttSubscription = z.infer<typeof MqttSubscription>;

export const DECODER_NAMES = ['auto', 'number', 'json', 'csv', 'kv', 'text', 'sparkplug', 'raw'] as const;
export const DecoderName = z.enum(DECODER_NAMES);
export type DecoderName = z.infer<typeof DecoderName>;

export const TlsOptions = z
  .object({
    /** PEM files on this machine: the site's CA, and the client certificate and key for mutual TLS. */
    caFile: z.string().min(1).optional(),
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    keyPassphrase: SecretRef.optional(),
    /** Accept any server certificate. For lab brokers only; the console labels it loudly. */
    insecureSkipVerify: z.boolean().default(false),
    /** Server name to verify, when it differs from the URL's host. */
    servername: z.string().min(1).optional(),
  })
  .strict();
export type TlsOptions = z.infer<typeof TlsOptions>;

/** An IANA zone name (daylight saving follows it) or UTC, checked against this runtime's zone data. */
export const TimeZoneName = z
  .string()
  .min(1)
  .max(64)
  .refine(
    isTimeZone,
    'not a time zone: use an IANA name such as "Europe/Berlin" or "America/New_York", or "UTC"',
  );

/** How device clocks are read: the zone of times written without one, and how far ahead is believed. */
const deviceClockOptions = {
  /** The zone of device times that carry none (`"2026-11-29T18:10:43"`): UTC unless set. */
  timeZone: TimeZoneName.default('UTC'),
  /**
   * A device time further ahead of receive time than this is not believed: the data is stored at
   * receive time, the device's time kept in the record, and counted. Times before 2000 likewise.
   */
  futureToleranceSeconds: z.number().min(0).max(31_536_000).default(300),
};

/** How MQTT payloads are taken in, alike for a subscribed broker and the built-in one. */
const mqttPayloadOptions = {
  /** Per-topic decoder choice (and zone of its zone-less times), first match wins; others are detected. */
  decoders: z
    .array(
      z
        .object({ filter: z.string().min(1), decoder: DecoderName, timeZone: TimeZoneName.optional() })
        .strict(),
    )
    .default([]),
  ...deviceClockOptions,
  /** A payload field holding the event time, besides ts, timestamp, time and Time. */
  timestampField: z.string().min(1).max(128).optional(),
  /** Larger payloads go to quarantine, not to the decoders. */
  maxPayloadBytes: z
    .number()
    .int()
    .min(1)
    .max(256 * 1024 ** 2)
    .default(1024 ** 2),
  /** Keep every message byte for byte (topic, payload, QoS, retain, properties) for exact replay. */
  record: z.boolean().default(false),
};

/** How an MQTT source acts as a Sparkplug B host application. */
export const SparkplugHostOptions = z
  .object({
    /**
     * Lets OpsDeck publish to the broker as a Sparkplug host: a Rebirth request (NCMD
     * `Node Control/Rebirth`) to an edge node after a `seq` gap or an alias no birth named, and
     * with `hostId` its STATE. Off by default: it writes to the plant's production broker.
     */
    allowPublish: z.boolean().default(false),
    /** Publish `spBv1.0/STATE/<hostId>` as a primary host (retained, with a will); needs allowPublish. */
    hostId: z
      .string()
      .min(1)
      .max(256)
      .regex(/^[^/#+]+$/, 'a host id: no "/", "#" or "+"')
      .optional(),
    /** A node that still needs a rebirth is asked again after this many seconds. */
    rebirthIntervalSeconds: z.number().int().min(1).max(86_400).default(30),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.hostId !== undefined && !o.allowPublish)
      ctx.addIssue({
        code: 'custom',
        path: ['hostId'],
        message: 'publishing STATE as a primary host needs allowPublish',
      });
  });
export type SparkplugHostOptions = z.infer<typeof SparkplugHostOptions>;

export const MqttOptions = z
  .object({
    url: z
      .string()
      .regex(
        /^(mqtts?|wss?):\/\/[^\s/]+(\/\S*)?$/,
        'an mqtt://, mqtts://, ws:// or wss:// address with a host',
      ),
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5),
    /** Empty: a random id per connection (with a persistent session, set one). */
    clientId: z.string().max(256).default(''),
    /** false keeps the session (and QoS 1/2 messages queued while away) on the broker. */
    clean: z.boolean().default(true),
    /** MQTT 5 session expiry in seconds for a persistent session. */
    sessionExpirySeconds: z.number().int().min(0).max(4_294_967_295).default(3600),
    keepaliveSeconds: z.number().int().min(0).max(65_535).default(30),
    username: z.string().max(256).optional(),
    password: SecretRef.optional(),
    tls: TlsOptions.optional(),
    subscriptions: z.array(MqttSubscription).default([{ filter: '#', qos: 0 }]),
    ...mqttPayloadOptions,
    /** Sparkplug B host behaviour; absent: listen only. */
    sparkplug: SparkplugHostOptions.optional(),
    /** Reconnect backoff bounds, with jitter. */
    reconnectMinMs: z.number().int().min(100).max(600_000).default(500),
    reconnectMaxMs: z.number().int().min(100).max(3_600_000).default(30_000),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (!o.clean && o.clientId === '')
      ctx.addIssue({
        code: 'custom',
        path: ['clientId'],
        message: 'a persistent session (clean: false) needs a fixed client id',
      });
    if (o.tls && !/^(mqtts|wss):/.test(o.url))
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message: 'TLS options need an mqtts:// or wss:// address',
      });
    if ((o.tls?.certFile === undefined) !== (o.tls?.keyFile === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['tls', o.tls?.certFile ? 'keyFile' : 'certFile'],
        message: 'a client certificate needs both certFile and keyFile',
      });
  });
export type MqttOptions = z.infer<typeof MqttOptions>;

export const MqttBrokerOptions = z
  .object({
    /** Loopback unless the user names an interface. */
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(1).max(65_535).default(1883),
    /** When set, clients must log in with this username and the secret `password`. */
    username: z.string().min(1).max(256).optional(),
    password: SecretRef.optional(),
    ...mqttPayloadOptions,
  })
  .strict()
  .superRefine((o, ctx) => {
    if ((o.username === undefined) !== (o.password === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [o.username ? 'password' : 'username'],
        message: 'username and password go together',
      });
  });
export type MqttBrokerOptions = z.infer<typeof MqttBrokerOptions>;

/** Hex bytes, e.g. "AA 55" or "aa55". */
const HexBytes = z
  .string()
  .max(64)
  .regex(/^\s*(?:[0-9a-fA-F]{2}\s*)+$/, 'hex bytes, e.g. "AA 55"');

export const BINARY_FIELD_TYPES = [
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'float32',
  'float64',
] as const;

/** Bytes each field type takes in a frame (the engine decodes by it; the form lays out by it). */
export const BINARY_FIELD_BYTES: Record<(typeof BINARY_FIELD_TYPES)[number], number> = {
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  float32: 4,
  float64: 8,
};

/** CRC-8 is CRC-8/SMBUS (poly 0x07); CRC-8/MAXIM is the 1-Wire one (DS18B20); CRC-32 is zlib's. */
export const BINARY_CHECKS = [
  'xor',
  'crc8',
  'crc8-maxim',
  'crc16-modbus',
  'crc16-ccitt-false',
  'crc32',
] as const;

/** Bytes each check takes in a frame. */
export const BINARY_CHECK_BYTES: Record<(typeof BINARY_CHECKS)[number], number> = {
  xor: 1,
  crc8: 1,
  'crc8-maxim': 1,
  'crc16-modbus': 2,
  'crc16-ccitt-false': 2,
  crc32: 4,
};

export const BinaryField = z
  .object({
    /** Channel path under the source (`sourceId/name`). */
    name: z.string().min(1).max(128),
    type: z.enum(BINARY_FIELD_TYPES),
    endian: z.enum(['little', 'big']).default('little'),
    /** Byte position in the frame; default: right after the previous field (the first after the sync bytes). */
    at: z.number().int().min(0).max(65_535).optional(),
    /** The stored value is `raw × scale + offset`. */
    scale: z.number().finite().default(1),
    offset: z.number().finite().default(0),
    unit: z.string().max(32).default(''),
    /**
     * This field is the device's clock. Since the epoch: the frame's event time when plausible, not a
     * channel. Since boot: a channel like any other, never the event time.
     */
    timestamp: z.enum(['epoch-ms', 'epoch-s', 'boot-ms', 'boot-s']).optional(),
  })
  .strict();
export type BinaryField = z.infer<typeof BinaryField>;

export const BinaryLayout = z
  .object({
    /** Fixed-length frames (found by their sync bytes, or by their check), or SLIP-delimited (RFC 1055). */
    framing: z.enum(['fixed', 'slip']),
    /** Whole frame in bytes, sync and check included. Fixed: default sync + fields + check. SLIP: if set, the exact length. */
    length: z.number().int().min(1).max(65_535).optional(),
    /** Bytes that start every fixed-length frame. */
    sync: HexBytes.optional(),
    fields: z.array(BinaryField).min(1).max(256),
    check: z
      .object({
        kind: z.enum(BINARY_CHECKS),
        /** Byte position of the check value; negative counts from the end. Default: the last bytes. */
        at: z.number().int().min(-65_535).max(65_535).optional(),
        /** First byte covered; the check covers everything from here up to itself. */
        from: z.number().int().min(0).max(65_535).default(0),
        /** Byte order of a 16- or 32-bit check. Default: little for MODBUS and CRC-32, big for CCITT. */
        endian: z.enum(['little', 'big']).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.sync !== undefined && o.framing !== 'fixed')
      ctx.addIssue({
        code: 'custom',
        path: ['sync'],
        message: 'sync bytes find fixed-length frames; SLIP frames are found by their delimiters',
      });
    if (o.fields.filter((f) => f.timestamp?.startsWith('epoch')).length > 1)
      ctx.addIssue({ code: 'custom', path: ['fields'], message: 'at most one field is the epoch timestamp' });
  });
export type BinaryLayout = z.infer<typeof BinaryLayout>;

export const SerialOptions = z
  .object({
    /** /dev/ttyUSB0, /dev/serial/by-id/…, COM3. */
    path: z.string().min(1).max(4096),
    /**
     * How to find the device again when it comes back (hot-plug): by USB serial number under any
     * path, or by vendor/product id at the same path (boards without a serial number).
     */
    match: z
      .object({
        serialNumber: z.string().min(1).max(256).optional(),
        vendorId: z
          .string()
          .regex(/^[0-9a-fA-F]{4}$/, '4 hex digits, e.g. 1a86')
          .optional(),
        productId: z
          .string()
          .regex(/^[0-9a-fA-F]{4}$/, '4 hex digits, e.g. 7523')
          .optional(),
      })
      .strict()
      .optional(),
    /** Any rate the adapter can do: 9600, 115200, 250000, 1000000, … */
    baudRate: z.number().int().min(1).max(20_000_000).default(115_200),
    dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).default(8),
    /** mark and space, and 1.5 stop bits, only on Windows (the serial library's limit). */
    parity: z.enum(['none', 'even', 'odd', 'mark', 'space']).default('none'),
    stopBits: z.union([z.literal(1), z.literal(1.5), z.literal(2)]).default(1),
    /** Hardware flow control. */
    rtscts: z.boolean().default(false),
    /** DTR and RTS after opening; unset leaves what the driver does (many boards reset when DTR rises). */
    dtr: z.boolean().optional(),
    rts: z.boolean().optional(),
    /** auto: binary when a layout is given, otherwise lines, each line's format detected. */
    framing: z.enum(['auto', 'lines', 'nmea', 'binary']).default('auto'),
    /** For lines: the Arduino plotter format, CSV (with or without a header), JSON objects or key=value. */
    lineDecoder: z.enum(['auto', 'plotter', 'csv', 'json', 'kv']).default('auto'),
    binary: BinaryLayout.optional(),
    /** Longer lines or frames go to quarantine. */
    maxFrameBytes: z
      .number()
      .int()
      .min(16)
      .max(1024 ** 2)
      .default(4096),
    /** Raw traffic kept for the console, KiB. */
    consoleKiB: z.number().int().min(1).max(16_384).default(64),
    /** Keep every received byte in `recordings` for exact replay. */
    record: z.boolean().default(false),
    ...deviceClockOptions,
    /** Retry bounds while the device is away, with jitter. */
    reconnectMinMs: z.number().int().min(50).max(600_000).default(250),
    reconnectMaxMs: z.number().int().min(50).max(3_600_000).default(2_000),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.framing === 'binary' && !o.binary)
      ctx.addIssue({ code: 'custom', path: ['binary'], message: 'binary framing needs a layout' });
    if (o.rtscts && o.rts !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['rts'],
        message: 'with RTS/CTS flow control the driver drives RTS',
      });
  });
export type SerialOptions = z.infer<typeof SerialOptions>;

/** The environment variable that holds a secret for the CLI and `opsdeck serve`. */
export function secretEnvName(name: string): string {
  return `OPSDECK_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

const sourceCommon = {
  id: Id,
  name: z.string().min(1).max(120),
  enabled: z.boolean().default(true),
};

export const SourceConfig = z.discriminatedUnion('kind', [
  z
    .object({ ...sourceCommon, kind: z.literal('sim'), options: SimOptions.default(SimOptions.parse({})) })
    .strict(),
  z.object({ ...sourceCommon, kind: z.literal('mqtt'), options: MqttOptions }).strict(),
  z.object({ ...sourceCommon, kind: z.literal('mqtt-broker'), options: MqttBrokerOptions }).strict(),
  z.object({ ...sourceCommon, kind: z.literal('serial'), options: SerialOptions }).strict(),
]);
export type SourceConfig = z.infer<typeof SourceConfig>;
export type SourceKind = SourceConfig['kind'];

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
     * 6 MiB more per GiB); opening and checkpointing a 16 MiB log needs 4 MiB. The default keeps
     * 3.5× that (≥ 2.5× at the default 2 GiB retention cap), the floor 1.8×. A log holding one
     * large DELETE needs ~9 bytes per row (76 MiB for 8.6 M rows): retention deletes in slices,
     * and the store opens with more memory when replaying needs it.
     */
    memoryLimitMb: z.number().int().min(32).max(1_048_576).default(64),
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
     */
    maxPendingRows: z.number().int().min(1_000).max(10_000_000).default(1_000_000),
    /** The same work in MiB (typed columns, payloads and messages as they sit in memory). */
    maxPendingMb: z.number().min(1).max(4_096).default(64),
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

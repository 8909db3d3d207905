// The whole engine API in one place: every method with its request and response, every event the
// engine pushes. The renderer, the CLI and the tests call it through `RpcClient` (shared/rpc.ts);
// the engine serves it through `bindApi` (electron/engine/server). Both sides validate what they
// receive against these schemas, and nothing here ever carries payload bytes into a log.
import { z } from 'zod';
import { AlertRules, NotifierConfig } from './alerts';
import { MaskingOptions, ScanFinding } from './masking';
import { isBucketSeries, type BucketSeries } from './frames';
import {
  ChannelConfig,
  DisplaySettings,
  Layouts,
  SourceConfig,
  sourceKindOf,
  WorkspaceConfig,
} from './schemas';
import {
  ExportQueryRequest,
  FieldStats,
  FieldStatsRequest,
  Histogram,
  HistogramRequest,
  InvestigateSettings,
  QuarantineRequest,
  QuarantineResult,
  RecordContext,
  RecordContextRequest,
  RecordPositionRequest,
  RecordsPage,
  RecordsRequest,
} from './investigate';
import { Matcher, SilenceMatchers } from './silences';
import { DirectoryListing, ImportRequest, JobInfo, RedecodeRequest } from './jobs';
import {
  NamedRecording,
  RecordingName,
  RedecodeRecordingParams,
  StartRecordingRequest,
  StopRecordingRequest,
} from './recordings';
import {
  AlignRequest,
  AlignResult,
  RecordedTopics,
  RecordedTopicsRequest,
  ReplayCommand,
  ReplayFrame,
  ReplayFrameRequest,
  ReplayId,
  ReplayOpenRequest,
  ReplayStatus,
  TimelineDensity,
  TimelineRequest,
  WouldHaveFiredRequest,
} from './replay';

// 2: subscriptions and pushes; `series` answered as a binary frame.
export const PROTOCOL_VERSION = 2;

/** Rates (`messageRate`, a topic's `rate`) average this many whole seconds. */
export const RATE_WINDOW_SECONDS = 5;

export const SourceState = z.enum([
  'starting',
  'connected',
  'reconnecting',
  'disconnected',
  'error',
  'stopped',
]);
export type SourceState = z.infer<typeof SourceState>;

export const SourceStatus = z.object({
  id: z.string(),
  kind: z.string(),
  name: z.string(),
  state: SourceState,
  /**
   * Messages received per second: those that arrived in the last 5 whole seconds, divided by 5 —
   * counted as the topic tree counts them, so its top levels add up to this.
   */
  messageRate: z.number(),
  /** Numeric values decoded per second (a message can carry many, or none). */
  sampleRate: z.number(),
  messages: z.number(),
  quarantined: z.number(),
  /** Dropped because a consumer lagged on a source that cannot be slowed down. */
  shed: z.number(),
  lastError: z.string().nullable(),
  lastErrorAt: z.number().nullable(),
  /** What the library said when `lastError` puts it in plain words (the console's "details"). */
  lastErrorDetail: z.string().nullable().default(null),
  /** Where it connects, in words ("mqtts://broker:8883, MQTT 5"). */
  endpoint: z.string().nullable().default(null),
  /** Conditions the user must see, e.g. "certificate verification is OFF". */
  warnings: z.array(z.string()).default([]),
  /** Values masked before storage, per rule (shared/masking.ts), since the source started. */
  masked: z.record(z.string(), z.number()).default({}),
});
export type SourceStatus = z.infer<typeof SourceStatus>;

export const EngineStatus = z.object({
  ts: z.number(),
  sources: z.array(SourceStatus),
  samplesPerSecond: z.number(),
  recordsPerSecond: z.number(),
  storedSamples: z.number(),
  storedRecords: z.number(),
  quarantined: z.number(),
  shed: z.number(),
  databaseBytes: z.number(),
  /** Rows dropped by retention since the engine started. */
  retentionDropped: z.number(),
  /** Rows waiting for the next DuckDB flush. */
  pendingRows: z.number(),
  /** Rows that could not be stored because the database failed (it is reopened automatically). */
  lostRows: z.number().default(0),
  /** Writes to the database that failed (a flush, an alert transition, an audit entry); notices say why. */
  failedWrites: z.number().default(0),
  /** Ingest work not yet durable (rows and bytes), and its bound (store.maxPendingRows/maxPendingMb). */
  pendingWork: z
    .object({ rows: z.number(), bytes: z.number(), maxRows: z.number(), maxBytes: z.number() })
    .default({ rows: 0, bytes: 0, maxRows: 0, maxBytes: 0 }),
  /** User SQL queries running or waiting for a slot (at most two run at once). */
  userQueries: z.number().default(0),
});
export type EngineStatus = z.infer<typeof EngineStatus>;

export const ChannelInfo = z.object({
  id: z.number().int(),
  name: z.string(),
  source: z.string(),
  /** As configured in the workspace when it is, else as the source reported it. */
  unit: z.string(),
  /** What the console calls it ('' : its name). */
  displayName: z.string().default(''),
  /** Decimals shown; null: as many as the values' range needs. */
  decimals: z.number().int().nullable().default(null),
});
export type ChannelInfo = z.infer<typeof ChannelInfo>;

/** A row of the channel browser: a source, a level of its topics or paths, or a channel. */
export const ChannelNode = z.object({
  kind: z.enum(['source', 'folder', 'channel']),
  /** Full path: the source id, `source/level/…`, or the channel's name. */
  key: z.string(),
  /** Its last level. */
  name: z.string(),
  /** Channels at and below it. */
  channels: z.number().int(),
  /** For a channel: what it is, and its newest value this session. */
  channel: ChannelInfo.extend({ last: z.number().nullable(), lastTs: z.number().nullable() }).optional(),
});
export type ChannelNode = z.infer<typeof ChannelNode>;

export const BrowseChannelsRequest = z.object({
  /** List this source's level `prefix`; absent: the sources. */
  source: z.string().max(64).optional(),
  /** Path under the source, without the source id ('' for its top level). */
  prefix: z.string().max(4_096).default(''),
  /** Instead of a level: channels anywhere (in `source` when given) whose name or display name has every word. */
  search: z.string().max(256).optional(),
  /** Every channel (of `source` when given) as one flat list, searched or not. */
  flat: z.boolean().default(false),
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(500).default(100),
});
export const BrowseChannelsResult = z.object({
  nodes: z.array(ChannelNode),
  /** Rows in the whole answer; `offset` + `nodes.length` < `total` means there are more pages. */
  total: z.number().int(),
  offset: z.number().int(),
  /** Channels in the workspace. */
  totalChannels: z.number().int(),
});
export type BrowseChannelsResult = z.infer<typeof BrowseChannelsResult>;

export const Notice = z.object({
  ts: z.number(),
  level: z.enum(['info', 'warn', 'error']),
  message: z.string(),
});
export type Notice = z.infer<typeof Notice>;

export const QueryResult = z.object({
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  /** Row-major values made JSON-safe: BIGINTs beyond 2^53 and exotic types become strings. */
  rows: z.array(z.array(z.unknown())),
  truncated: z.boolean(),
  /** What cut the result short: `maxRows`, or the byte cap (`store.queryMaxResultMb`). */
  truncatedBy: z.enum(['rows', 'bytes']).nullable().default(null),
  elapsedMs: z.number(),
});
export type QueryResult = z.infer<typeof QueryResult>;

const Millis = z.number().finite();

export const SeriesRequest = z.object({
  channels: z.array(z.number().int().nonnegative()).min(1).max(64),
  from: Millis,
  to: Millis,
  /** Buckets per channel; the answer never has more, whatever the range. */
  maxPoints: z.number().int().min(1).max(10_000).default(2_000),
});
/**
 * Buckets as typed arrays. They travel as one binary message in the layout of live frames
 * (shared/frames.ts) with the call's id in its header, and are decoded by the same code.
 */
export const SeriesResult = z.custom<BucketSeries>(
  isBucketSeries,
  'expected buckets (bucketMs, and per channel id, t, min and max as Float64Arrays of one length)',
);
export type SeriesResult = BucketSeries;

export const LiveSubscription = z.object({
  channels: z.array(z.number().int().nonnegative()).max(64),
  /** Width of the visible window, ms, and the number of pixel columns it is drawn into. */
  windowMs: z.number().int().min(100).max(86_400_000),
  columns: z.number().int().min(10).max(8_000),
});
export type LiveSubscription = z.infer<typeof LiveSubscription>;

/** A key's name in the desktop's vault (the OS key store): where `opsdeck keygen --vault` put it. */
export const VaultKeyName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash and underscore');

export const BundleRequest = z
  .object({
    from: Millis,
    to: Millis,
    /** Channel names of the samples; empty or absent means every channel. */
    channels: z.array(z.string()).optional(),
    /** The user's Ed25519 private key (PEM file, e.g. from `opsdeck keygen`), outside the workspace. */
    keyFile: z.string().min(1).optional(),
    /** Or the key kept in the desktop's vault under this name (`opsdeck keygen --vault NAME`). */
    keyVault: VaultKeyName.optional(),
    /** A new or empty folder for the bundle. */
    out: z.string().min(1),
  })
  .refine((r) => (r.keyFile === undefined) !== (r.keyVault === undefined), {
    message: 'give the signing key as keyFile or keyVault (one of them)',
    path: ['keyFile'],
  });
export type BundleRequest = z.infer<typeof BundleRequest>;

export const BundleResult = z.object({
  path: z.string(),
  fingerprint: z.string(),
  manifestSha256: z.string(),
  files: z.array(z.object({ path: z.string(), sha256: z.string(), bytes: z.number() })),
  rows: z.record(z.string(), z.number()),
  /** Whether the bundle's making is in the audit log (not when the workspace was open read-only). */
  audited: z.boolean(),
  /** Where the workspace's audit chain is broken (the bundle carries it as it is), or null. */
  auditBroken: z.string().nullable(),
  /** The job that wrote it (absent when the workspace was open read-only: no jobs there). */
  job: z.string().optional(),
});

export const ClearQuarantineRequest = z.object({
  /** Only this source's entries (its id); all sources when absent. */
  source: z.string().min(1).optional(),
  /** Only entries received before this instant. */
  before: Millis.optional(),
  actor: z.string().trim().min(1).max(128),
});

/** A note on an instant (`tsEnd` null) or a range of the timeline. */
export const Annotation = z.object({
  id: z.string(),
  ts: Millis,
  tsEnd: Millis.nullable(),
  text: z.string(),
  author: z.string(),
  /** Channel names it is about; empty: the whole workspace. */
  channels: z.array(z.string()),
  createdAt: Millis,
});
export type Annotation = z.infer<typeof Annotation>;

export const AddAnnotationRequest = z.object({
  ts: Millis,
  tsEnd: Millis.nullable().optional(),
  text: z.string().trim().min(1).max(4_000),
  author: z.string().trim().min(1).max(128),
  channels: z.array(z.string().min(1)).max(100).optional(),
});
export type AddAnnotationRequest = z.infer<typeof AddAnnotationRequest>;

/** What an export holds: stored samples, records, alert transitions, annotations or raw recorded messages. */
export const ExportTable = z.enum(['samples', 'records', 'transitions', 'annotations', 'recordings']);
export type ExportTable = z.infer<typeof ExportTable>;

export const ExportRequest = z.object({
  from: Millis,
  to: Millis,
  /** Channel names (samples only); empty or absent means every channel. */
  channels: z.array(z.string()).optional(),
  /** Source ids (samples, records, recordings), e.g. a named recording's; absent means every source. */
  sources: z.array(z.string().min(1).max(64)).max(100).optional(),
  table: ExportTable.default('samples'),
  /** `jsonl`: JSON Lines, one object a row. */
  format: z.enum(['csv', 'jsonl', 'parquet']),
  /**
   * Hive partitioning (`day=2026-11-30/source=rig/…`): `path` is then a new or empty folder.
   * `day` is the row's UTC day; `source` exists for samples and records.
   */
  partitionBy: z
    .array(z.enum(['day', 'source']))
    .max(2)
    .refine((keys) => new Set(keys).size === keys.length, 'names a partition key twice')
    .optional(),
  /** Absolute path of the file (or, partitioned, the folder) to write. */
  path: z.string().min(1),
});
export type ExportRequest = z.input<typeof ExportRequest>;

export const WorkspaceInfo = z.object({
  dir: z.string(),
  name: z.string(),
  readOnly: z.boolean(),
  engineVersion: z.string(),
  protocol: z.number(),
  /** This connection's name in `workspaceChanged` events, so a console can tell its own saves. */
  connection: z.string().default(''),
});
export type WorkspaceInfo = z.infer<typeof WorkspaceInfo>;

export const TopicNode = z.object({
  /** Full topic of this node (a prefix when it only has children). */
  topic: z.string(),
  /** Its last level. */
  name: z.string(),
  /** Direct children. */
  children: z.number(),
  /** Messages in this node and below, and their rate: msg/s over the last 5 whole seconds, as the source's. */
  messages: z.number(),
  rate: z.number(),
  /** This exact topic has received messages (not only its children). */
  hasMessage: z.boolean(),
  retained: z.boolean(),
  lastSeen: z.number().nullable(),
  decoder: z.string().nullable(),
  /** The last payload, shortened to one line. */
  preview: z.string().nullable(),
});
export type TopicNode = z.infer<typeof TopicNode>;

export const TopicsRequest = z.object({
  source: z.string(),
  /** List the children of this topic ('' for the top level). */
  prefix: z.string().default(''),
  /** Instead of children, topics anywhere whose name contains this text (case-insensitive). */
  search: z.string().max(256).optional(),
  limit: z.number().int().min(1).max(5_000).default(500),
});
export const TopicsResult = z.object({
  totalTopics: z.number(),
  nodes: z.array(TopicNode),
  truncated: z.boolean(),
});
export type TopicsResult = z.infer<typeof TopicsResult>;

export const TopicField = z.object({
  /** Path inside the payload ('' when the payload is the number). */
  path: z.string(),
  /** The channel it feeds, and its id for plotting. */
  channel: z.string(),
  channelId: z.number().int(),
  value: z.number(),
});

export const TopicDetail = z.object({
  topic: z.string(),
  messages: z.number(),
  rate: z.number(),
  retained: z.boolean(),
  qos: z.number(),
  lastSeen: z.number().nullable(),
  decoder: z.string().nullable(),
  bytes: z.number(),
  /** Pretty-printed JSON or text; null for binary. */
  text: z.string().nullable(),
  /** Hex dump for binary payloads (first 4 KiB). */
  hex: z.string().nullable(),
  truncated: z.boolean(),
  fields: z.array(TopicField),
  properties: z.record(z.string(), z.unknown()).nullable(),
  /** What is off about this topic's device clock ("timestamps … run 5 h ahead …"), if anything. */
  clock: z.string().nullable().default(null),
});
export type TopicDetail = z.infer<typeof TopicDetail>;

export const SparkplugDevice = z.object({
  device: z.string(),
  /** From DBIRTH/DDEATH (and the node's NDEATH); null before either was seen. */
  online: z.boolean().nullable(),
  /** Event times, epoch ms. */
  lastBirth: z.number().nullable(),
  lastDeath: z.number().nullable(),
});

/** An edge node as a Sparkplug host application sees it. */
export const SparkplugNode = z.object({
  group: z.string(),
  node: z.string(),
  /** From NBIRTH/NDEATH (an NDEATH of an earlier `bdSeq` is ignored); null before either was seen. */
  online: z.boolean().nullable(),
  bdSeq: z.number().nullable(),
  /** Messages whose `seq` (0–255, wrapping) was not the one expected. */
  seqGaps: z.number(),
  lastBirth: z.number().nullable(),
  lastDeath: z.number().nullable(),
  /** Why the node should publish its births again, until it does; null when it need not. */
  rebirthWanted: z.string().nullable(),
  /** Rebirth requests (NCMD) this source sent it, and when the last went. */
  rebirthsRequested: z.number(),
  lastRebirthRequest: z.number().nullable(),
  devices: z.array(SparkplugDevice),
});
export type SparkplugNode = z.infer<typeof SparkplugNode>;

export const SparkplugNodesResult = z.object({
  /** The source may publish Rebirth requests and STATE to its broker (options.sparkplug.allowPublish). */
  allowPublish: z.boolean(),
  /** Its primary host id, when it publishes STATE. */
  hostId: z.string().nullable(),
  nodes: z.array(SparkplugNode),
});
export type SparkplugNodesResult = z.infer<typeof SparkplugNodesResult>;

export const SparkplugRebirthRequest = z.object({
  source: z.string(),
  group: z.string().min(1).max(1_024),
  node: z.string().min(1).max(1_024),
});

export const PublishRequest = z.object({
  source: z.string(),
  topic: z
    .string()
    .min(1)
    .max(65_535)
    .refine((t) => !/[#+]/.test(t), 'a topic to publish to has no wildcards'),
  payload: z.string().max(16 * 1024 ** 2),
  encoding: z.enum(['utf8', 'hex', 'base64']).default('utf8'),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(0),
  retain: z.boolean().default(false),
});
export type PublishRequest = z.infer<typeof PublishRequest>;

/** What a Kafka source's cluster holds, read with its connection (no consumer group joined). */
export const KafkaClusterRequest = z.object({
  source: z.string(),
  /** A topic whose most recent messages to read (a few per partition), without joining a group. */
  recentTopic: z.string().min(1).max(249).optional(),
  /** At most this many recent messages per partition. */
  recentPerPartition: z.number().int().min(1).max(100).default(10),
});
export type KafkaClusterRequest = z.infer<typeof KafkaClusterRequest>;

export const KafkaRecentMessage = z.object({
  partition: z.number().int(),
  offset: z.number(),
  /** Epoch ms, as Kafka stamped it. */
  timestamp: z.number(),
  key: z.string().nullable(),
  headers: z.record(z.string(), z.string().nullable()),
  /** The value as text (UTF-8), or hex when it is not text; cut at 4 KiB. */
  value: z.string(),
  valueEncoding: z.enum(['utf8', 'hex']),
  /** What the source's decoder makes of it: numeric fields by path, or why it cannot. */
  decoded: z.union([z.record(z.string(), z.number()), z.object({ error: z.string() })]),
});
export type KafkaRecentMessage = z.infer<typeof KafkaRecentMessage>;

export const KafkaClusterResult = z.object({
  brokers: z.array(z.object({ nodeId: z.number(), host: z.string(), port: z.number() })),
  topics: z.array(
    z.object({
      name: z.string(),
      partitions: z.array(
        z.object({
          partition: z.number().int(),
          leader: z.number().int(),
          earliest: z.number(),
          latest: z.number(),
          /** latest − earliest: what the partition holds (less where compacted or transactional). */
          messages: z.number(),
        }),
      ),
      messages: z.number(),
      /** Messages per second produced to the topic since the previous look, or null on the first. */
      rate: z.number().nullable(),
    }),
  ),
  groups: z.array(
    z.object({
      groupId: z.string(),
      state: z.string(),
      members: z.array(z.object({ memberId: z.string(), clientId: z.string(), host: z.string() })),
      /** Per partition the group has committed: the committed offset and how far behind latest it is. */
      lag: z.array(
        z.object({ topic: z.string(), partition: z.number().int(), committed: z.number(), lag: z.number() }),
      ),
    }),
  ),
  recent: z.array(KafkaRecentMessage),
});
export type KafkaClusterResult = z.infer<typeof KafkaClusterResult>;

/** A message to send with a Kafka source: to a topic, with a key and headers (the test-message dialog, notifiers). */
export const KafkaProduceRequest = z.object({
  source: z.string(),
  topic: z
    .string()
    .min(1)
    .max(249)
    .regex(/^[A-Za-z0-9._-]+$/, 'a Kafka topic name'),
  key: z.string().max(65_536).optional(),
  headers: z.record(z.string().min(1).max(256), z.string().max(65_536)).default({}),
  payload: z.string().max(16 * 1024 ** 2),
  encoding: z.enum(['utf8', 'hex', 'base64']).default('utf8'),
  /** Send to this partition; absent: Kafka's partitioner (by key). */
  partition: z.number().int().min(0).optional(),
});
export type KafkaProduceRequest = z.infer<typeof KafkaProduceRequest>;

/** A serial port as the OS lists it, with what users recognise a device by. USB ids are lower-case hex. */
export const SerialPortInfo = z.object({
  path: z.string(),
  manufacturer: z.string().nullable(),
  serialNumber: z.string().nullable(),
  vendorId: z.string().nullable(),
  productId: z.string().nullable(),
  /** Windows PnP id, or the /dev/serial/by-id name on Linux. */
  pnpId: z.string().nullable(),
  locationId: z.string().nullable(),
});
export type SerialPortInfo = z.infer<typeof SerialPortInfo>;

/** Raw traffic of a source, as received (`rx`) or sent (`tx`): text when printable, hex otherwise. */
export const ConsoleChunk = z.object({
  seq: z.number().int(),
  ts: z.number(),
  dir: z.enum(['rx', 'tx']),
  bytes: z.number().int(),
  text: z.string().nullable(),
  hex: z.string().nullable(),
});
export type ConsoleChunk = z.infer<typeof ConsoleChunk>;

export const SourceConsoleRequest = z.object({
  source: z.string(),
  /** Only chunks after this seq (the `next` of the previous answer); absent: everything kept. */
  after: z.number().int().min(0).optional(),
  limit: z.number().int().min(1).max(10_000).default(1_000),
});
export const SourceConsoleResult = z.object({
  chunks: z.array(ConsoleChunk),
  /** Pass as `after` to get what comes next. */
  next: z.number().int(),
  /** Chunks after `after` were already dropped from the ring (or `limit` cut the answer). */
  truncated: z.boolean(),
});
export type SourceConsoleResult = z.infer<typeof SourceConsoleResult>;

export const SendToSourceRequest = z.object({
  source: z.string(),
  data: z.string().max(64 * 1024),
  encoding: z.enum(['utf8', 'hex']).default('utf8'),
  lineEnding: z.enum(['none', 'lf', 'cr', 'crlf']).default('lf'),
});
export type SendToSourceRequest = z.infer<typeof SendToSourceRequest>;

export const AlertStateName = z.enum([
  'normal',
  'pending',
  'firing',
  'recovering',
  'resolved',
  'nodata',
  'error',
]);

export const AlertTransitionInfo = z.object({
  /** Event time, epoch ms. */
  ts: z.number(),
  rule: z.string(),
  labels: z.record(z.string(), z.string()),
  from: AlertStateName,
  state: AlertStateName,
  /** The value that caused it; null when there is none (no data). */
  value: z.number().nullable(),
  severity: z.enum(['info', 'warning', 'critical']),
  annotations: z.record(z.string(), z.string()),
  /** Why the instance ended other than by its condition ("rule edited"); null otherwise. */
  cause: z.string().nullable().default(null),
});
export type AlertTransitionInfo = z.infer<typeof AlertTransitionInfo>;

export const AlertInstanceInfo = z.object({
  rule: z.string(),
  labels: z.record(z.string(), z.string()),
  state: AlertStateName,
  value: z.number().nullable(),
  /** Event time (epoch ms) the state began; 0 before the first transition. */
  since: z.number().default(0),
  /** Acknowledged by someone until the instance resolves. */
  acknowledged: z.boolean().default(false),
  acknowledgedBy: z.string().nullable().default(null),
  /** Epoch ms. */
  acknowledgedAt: z.number().nullable().default(null),
  ackComment: z.string().default(''),
  /** Ids of the active silences matching the instance: its notifications are suppressed. */
  silencedBy: z.array(z.string()).default([]),
});
export type AlertInstanceInfo = z.infer<typeof AlertInstanceInfo>;

export const NotifierStatusInfo = z.object({
  id: z.string(),
  kind: z.string(),
  /** Outcome of the last finished delivery; null before the first. */
  ok: z.boolean().nullable(),
  at: z.number().nullable(),
  attempts: z.number(),
  error: z.string().nullable(),
  delivered: z.number(),
  failed: z.number(),
  queued: z.number(),
});
export type NotifierStatusInfo = z.infer<typeof NotifierStatusInfo>;

export const SilenceInfo = z.object({
  id: z.string(),
  matchers: z.array(Matcher),
  /** Epoch ms. */
  startsAt: z.number(),
  endsAt: z.number(),
  createdBy: z.string(),
  comment: z.string(),
  createdAt: z.number(),
  status: z.enum(['pending', 'active', 'expired']),
});
export type SilenceInfo = z.infer<typeof SilenceInfo>;

/** Who did it, as typed in the console (remembered there); it goes into the audit log. */
const Actor = z.string().trim().min(1).max(128);
const AlertInstanceRef = { rule: z.string().min(1), labels: z.record(z.string(), z.string()) };

export const CreateSilenceRequest = z
  .object({
    matchers: SilenceMatchers,
    /** Epoch ms; default now. */
    startsAt: z.number().optional(),
    endsAt: z.number(),
    createdBy: Actor,
    comment: z.string().max(2_000).default(''),
  })
  .refine((r) => r.startsAt === undefined || r.endsAt > r.startsAt, {
    path: ['endsAt'],
    message: 'endsAt must be after startsAt',
  });

/** Rules evaluated over stored data, nothing written; the range defaults to the last hour. */
export const PreviewRulesRequest = z
  .object({
    rules: AlertRules,
    from: Millis.optional(),
    to: Millis.optional(),
    /** Where an absent from/to falls: the hour before now (the console), or the stored data's ends. */
    defaultRange: z.enum(['lastHour', 'allStored']).default('lastHour'),
  })
  .refine((r) => r.from === undefined || r.to === undefined || r.to > r.from, {
    path: ['to'],
    message: 'to must be after from',
  });
export const PreviewRulesResult = z.object({
  /** Event-time range evaluated, epoch ms. */
  from: z.number(),
  to: z.number(),
  /** Every transition in the range, oldest first (at most 5,000; `truncated` says when cut). */
  transitions: z.array(AlertTransitionInfo),
  /** All transitions found, and how many went to firing. */
  total: z.number(),
  firings: z.number(),
  truncated: z.boolean(),
  samples: z.number(),
  records: z.number(),
  /** Channels the rules name that the store has never seen. */
  unknownChannels: z.array(z.string()),
  /** Per rule: data beyond its lateness, not evaluated (as live evaluation would have dropped it). */
  late: z.record(z.string(), z.number()).default({}),
});
export type PreviewRulesResult = z.infer<typeof PreviewRulesResult>;

/** What a test notification did: delivered (the receiver took it), or why not. */
export const NotifierTestResult = z.object({
  ok: z.boolean(),
  /** Why it was not delivered, in the receiver's or the system's words; null when delivered. */
  error: z.string().nullable(),
  elapsedMs: z.number(),
});
export type NotifierTestResult = z.infer<typeof NotifierTestResult>;

const Empty = z.object({}).strict();
const Ok = z.object({ ok: z.literal(true) });

const ChannelsByNameRequest = z.object({ names: z.array(z.string().max(512)).max(1_000) });
const AlertsRequest = z.object({ limit: z.number().int().min(1).max(10_000).default(200) });
const AlertsResult = z.object({
  instances: z.array(AlertInstanceInfo),
  transitions: z.array(AlertTransitionInfo),
});
const SerialPortsResult = z.object({ ts: z.number(), ports: z.array(SerialPortInfo) });

/** A replay's status and the transitions its rules produced (newest last). */
export const ReplayState = ReplayStatus.extend({ transitions: z.array(AlertTransitionInfo) });
export type ReplayState = z.infer<typeof ReplayState>;
const ReplayStateRequest = z.object({
  id: ReplayId,
  limit: z.number().int().min(1).max(5_000).default(500),
});
/** What rules would have fired (as previewRules answers), beside what live evaluation stored. */
export const WouldHaveFiredResult = PreviewRulesResult.extend({ live: z.array(AlertTransitionInfo) });
export type WouldHaveFiredResult = z.infer<typeof WouldHaveFiredResult>;

/**
 * What a console can subscribe to instead of asking again and again. The engine pushes `data`
 * when the subscription starts and then whenever it changes, at most a few times a second and
 * never while the previous push of that subscription waits for its acknowledgement (an `ack`
 * message): a slow console gets fewer, newer pushes, never a queue. Every push is the whole
 * current value, except `sourceConsole`'s, which carries the chunks after those pushed before.
 */
export const Subscriptions = {
  /** The channels of these names that exist (a panel's); pushed again when one appears or its settings change. */
  channels: { params: ChannelsByNameRequest, data: z.array(ChannelInfo) },
  /** A page of the channel browser (a level, a search, a flat list), with last values. */
  browseChannels: { params: BrowseChannelsRequest, data: BrowseChannelsResult },
  /** One level of a source's topic tree (or a search of it), with counts and rates. */
  topics: { params: TopicsRequest, data: TopicsResult },
  topicDetail: { params: z.object({ source: z.string(), topic: z.string() }), data: TopicDetail },
  sparkplugNodes: { params: z.object({ source: z.string() }), data: SparkplugNodesResult },
  /** A source's raw traffic: first what is kept after `after` (everything when absent), then what is new. */
  sourceConsole: {
    params: SourceConsoleRequest,
    data: SourceConsoleResult,
  },
  /** Serial ports present; pushed when a device comes or goes. */
  serialPorts: { params: Empty, data: SerialPortsResult },
  /** Live alert instances (state, acknowledgement, silences) and the newest live transitions. */
  alerts: { params: AlertsRequest, data: AlertsResult },
  silences: { params: Empty, data: z.array(SilenceInfo) },
  notifiers: { params: Empty, data: z.array(NotifierStatusInfo) },
  /** Jobs (imports…), newest first: progress while they run, their summaries once they end. */
  jobs: { params: Empty, data: z.array(JobInfo) },
  /** Named recordings, newest first; pushed when one starts or stops. */
  recordings: { params: Empty, data: z.array(NamedRecording) },
  /** One replay: cursor, state and its transitions, pushed as it plays (at most a few times a second). */
  replay: { params: ReplayStateRequest, data: ReplayState },
} as const;
export type SubscriptionKind = keyof typeof Subscriptions;
export const SubscriptionKind = z.enum(
  Object.keys(Subscriptions) as [SubscriptionKind, ...SubscriptionKind[]],
);
export type SubscriptionParams<K extends SubscriptionKind> = z.input<(typeof Subscriptions)[K]['params']>;
/** Params as the engine sees them: validated, defaults filled in. */
export type ParsedSubscriptionParams<K extends SubscriptionKind> = z.output<
  (typeof Subscriptions)[K]['params']
>;
export type SubscriptionData<K extends SubscriptionKind> = z.output<(typeof Subscriptions)[K]['data']>;

/** Chosen by the client, unique among its connection's subscriptions. */
const SubscriptionId = z.string().min(1).max(64);
export const SubscribeRequest = z.object({
  id: SubscriptionId,
  kind: SubscriptionKind,
  /** Validated against `Subscriptions[kind].params` by the engine. */
  params: z.unknown().optional(),
});

/** Every method: `params` validated by the engine, `result` validated by the caller. */
export const Methods = {
  hello: { params: Empty, result: WorkspaceInfo },
  status: { params: Empty, result: EngineStatus },
  channels: { params: Empty, result: z.array(ChannelInfo) },
  workspace: { params: Empty, result: WorkspaceConfig },
  /** The channel browser: one level of the tree, or search results, a page at a time. */
  browseChannels: { params: BrowseChannelsRequest, result: BrowseChannelsResult },
  /** The channels of these names that exist (a panel's), with ids to subscribe to; unknown names are left out. */
  channelsByName: { params: ChannelsByNameRequest, result: z.array(ChannelInfo) },
  /** Live frames for these channels arrive as binary messages (shared/frames.ts); replaces any earlier subscription of this connection. */
  subscribeLive: { params: LiveSubscription, result: Ok },
  unsubscribeLive: { params: Empty, result: Ok },
  /** Stored history as buckets; answered with a binary message (shared/frames.ts), not JSON. */
  series: { params: SeriesRequest, result: SeriesResult, binary: true },
  /** Read-only SQL with a timeout (`store.queryTimeoutSeconds`); `id` lets `cancelQuery` stop it. */
  query: {
    params: z.object({
      sql: z.string().min(1).max(100_000),
      maxRows: z.number().int().min(1).max(100_000).default(1_000),
      id: z.string().min(1).max(128).optional(),
    }),
    result: QueryResult,
  },
  /** Interrupts the caller's query with this id; `cancelled` is false when none runs or waits. */
  cancelQuery: {
    params: z.object({ id: z.string().min(1).max(128) }),
    result: z.object({ cancelled: z.boolean() }),
  },
  /** Log view: a page of records in (ts, id) order under a filter (shared/log-filter.ts). */
  records: { params: RecordsRequest, result: RecordsPage },
  /** Log view: a record's row number under a filter (to scroll to a search match). */
  recordPosition: { params: RecordPositionRequest, result: z.object({ index: z.number() }) },
  /** Log view: counts by time bucket and severity (DuckDB time_bucket). */
  recordHistogram: { params: HistogramRequest, result: Histogram },
  /** Log view: the most frequent values of a field under the filter. */
  fieldStats: { params: FieldStatsRequest, result: FieldStats },
  /** Keys of records' `fields` (from the newest records): the column chooser's list. */
  recordFields: { params: Empty, result: z.array(z.string()) },
  /** A record and its neighbours ("show surrounding lines"): by line in its file when known, else by time in its source. */
  recordContext: { params: RecordContextRequest, result: RecordContext },
  /** Quarantined items (newest first) of a source or all, with counts per source. */
  quarantine: { params: QuarantineRequest, result: QuarantineResult },
  /** Writes a read-only query's whole result to a CSV file (the SQL console's export). */
  exportQuery: {
    params: ExportQueryRequest.extend({ id: z.string().min(1).max(128).optional() }),
    result: z.object({ path: z.string(), rows: z.number() }),
  },
  /** Replaces the saved searches and SQL history (`investigate` in opsdeck.json). */
  saveInvestigate: { params: z.object({ investigate: InvestigateSettings }), result: Ok },
  setSourceEnabled: { params: z.object({ id: z.string(), enabled: z.boolean() }), result: Ok },
  upsertSource: { params: z.object({ source: SourceConfig }), result: Ok },
  removeSource: { params: z.object({ id: z.string() }), result: Ok },
  /** Topic tree of an MQTT source (or the built-in broker), one level at a time. */
  topics: { params: TopicsRequest, result: TopicsResult },
  topicDetail: { params: z.object({ source: z.string(), topic: z.string() }), result: TopicDetail },
  publish: { params: PublishRequest, result: Ok },
  /** Edge nodes and devices of an MQTT source's Sparkplug B traffic: online, bdSeq, seq gaps, rebirths. */
  sparkplugNodes: { params: z.object({ source: z.string() }), result: SparkplugNodesResult },
  /** Asks an edge node to publish its births again (NCMD Node Control/Rebirth); refused unless the source allows publishing. */
  sparkplugRebirth: { params: SparkplugRebirthRequest, result: Ok },
  /** A Kafka source's cluster: topics with offsets and rates, groups with members and lag, a topic's recent messages. */
  kafkaCluster: { params: KafkaClusterRequest, result: KafkaClusterResult },
  /** Sends one message with a Kafka source, with key and headers; resolves once the cluster has it. */
  kafkaProduce: {
    params: KafkaProduceRequest,
    result: z.object({ ok: z.literal(true), partition: z.number(), offset: z.number() }),
  },
  /** Gives the engine a secret for this session; it is never written to the workspace or logged. */
  setSecret: {
    params: z.object({ name: z.string().min(1).max(128), value: z.string().max(4096) }),
    result: Ok,
  },
  /** Runs as a job (progress, cancel: nothing written) once it has ended; read-only workspaces export directly. */
  export: {
    params: ExportRequest,
    result: z.object({ path: z.string(), rows: z.number(), job: z.string().optional() }),
  },
  /**
   * The sensitive-data scan of files on the engine's machine (`opsdeck scan`): where the masking
   * rules match, with masked excerpts; nothing is imported. Default rules: masking's defaults.
   */
  scanFiles: {
    params: z.object({
      paths: z.array(z.string().min(1).max(4096)).min(1).max(1000),
      masking: MaskingOptions.optional(),
      maxFindings: z.number().int().min(1).max(100_000).default(10_000),
    }),
    result: z.object({
      findings: z.array(ScanFinding),
      files: z.number(),
      lines: z.number(),
      truncated: z.boolean(),
      errors: z.array(z.string()),
    }),
  },
  /** Writes a signed evidence bundle of a range (electron/engine/evidence/bundle.ts); an audit entry. */
  bundle: { params: BundleRequest, result: BundleResult },
  /** Removes quarantined input (all, one source's, or received before a time); an audit entry. */
  clearQuarantine: { params: ClearQuarantineRequest, result: z.object({ removed: z.number() }) },
  /** Adds an annotation (an audit entry). */
  addAnnotation: { params: AddAnnotationRequest, result: Annotation },
  /** Annotations overlapping [from, to) (all when absent), oldest first. */
  annotations: {
    params: z.object({ from: Millis.optional(), to: Millis.optional() }),
    result: z.array(Annotation),
  },
  /** Deletes an annotation; the audit entry keeps what it said and who deleted it. */
  deleteAnnotation: {
    params: z.object({ id: z.string().min(1), actor: z.string().trim().min(1).max(128) }),
    result: Ok,
  },
  notices: { params: Empty, result: z.array(Notice) },
  /** Delivery status of every alert notifier. */
  notifiers: { params: Empty, result: z.array(NotifierStatusInfo) },
  /** Every live alert instance now, and the newest live transitions (newest first). */
  alerts: { params: AlertsRequest, result: AlertsResult },
  /** Acknowledges a live alert instance until it resolves (recorded in the audit log). */
  ackAlert: {
    params: z.object({ ...AlertInstanceRef, actor: Actor, comment: z.string().max(2_000).default('') }),
    result: Ok,
  },
  unackAlert: { params: z.object({ ...AlertInstanceRef, actor: Actor }), result: Ok },
  /** Evaluates rules over stored data (default the last hour) without writing anything. */
  previewRules: { params: PreviewRulesRequest, result: PreviewRulesResult },
  /** Replaces the workspace's rules (`rules` in opsdeck.json); the live evaluator takes them at once. */
  saveRules: { params: z.object({ rules: AlertRules }), result: Ok },
  /** Replaces the workspace's display preferences (`display` in opsdeck.json), e.g. UTC or local times. */
  saveDisplay: { params: z.object({ display: DisplaySettings }), result: Ok },
  /**
   * Replaces the workspace's plot layouts and names the one shown (`layouts`, `activeLayout` in
   * opsdeck.json). The console saves as the user arranges panels; this is not an audit entry.
   */
  saveLayouts: {
    params: z.object({ layouts: Layouts, activeLayout: z.string().min(1) }),
    result: Ok,
  },
  /**
   * Sets one channel's unit, scale, offset, display name and decimals (`channels` in opsdeck.json,
   * by name). Scale and offset apply to values from now on; what is stored stays as it was.
   */
  saveChannel: { params: z.object({ channel: ChannelConfig }), result: Ok },
  /**
   * Adds a notifier to `alerting.notifiers`, or replaces the one with its id (or with `previousId`:
   * a rename, which rules' notify lists follow).
   */
  saveNotifier: {
    params: z.object({ notifier: NotifierConfig, previousId: z.string().min(1).max(64).optional() }),
    result: Ok,
  },
  /** Removes a notifier; rules stop naming it. */
  removeNotifier: { params: z.object({ id: z.string().min(1).max(64) }), result: Ok },
  /** Sends one test notification (not an alert) through this configuration, saved or not, once. */
  testNotifier: { params: z.object({ notifier: NotifierConfig }), result: NotifierTestResult },
  /** Silences: notifications of matching instances are suppressed while active. */
  silences: { params: Empty, result: z.array(SilenceInfo) },
  createSilence: { params: CreateSilenceRequest, result: SilenceInfo },
  /** Ends a silence now. */
  expireSilence: { params: z.object({ id: z.string().min(1), actor: Actor }), result: Ok },
  /** Checks the audit log's hash chain; names the first broken seq. */
  verifyAudit: {
    params: Empty,
    result: z.object({
      ok: z.boolean(),
      count: z.number(),
      brokenSeq: z.number().nullable(),
      reason: z.string().nullable(),
    }),
  },
  /** Serial ports present now; call again to see devices come and go. */
  serialPorts: { params: Empty, result: SerialPortsResult },
  /** The recent raw traffic of a source with a console (serial). */
  sourceConsole: { params: SourceConsoleRequest, result: SourceConsoleResult },
  /** Sends bytes to a device (serial), resolving once they are written. */
  sendToSource: {
    params: SendToSourceRequest,
    result: z.object({ ok: z.literal(true), bytes: z.number().int() }),
  },
  /**
   * Starts (or, with an id already in use, replaces) a subscription of this connection: the
   * engine pushes its data now and whenever it changes (`Subscriptions` below). The answer is the
   * acknowledgement that it is in place.
   */
  subscribe: { params: SubscribeRequest, result: Ok },
  /** Ends one subscription of this connection; an unknown id is not an error (it may have just closed). */
  unsubscribe: { params: z.object({ id: SubscriptionId }), result: Ok },
  /** Starts a job importing files and folders (recursively) of the engine's machine; answers its id. */
  importFiles: { params: ImportRequest, result: z.object({ job: z.string() }) },
  /** Decodes quarantined items again with another decoder, into `<source>~redecoded` (a job; the items stay). */
  redecodeQuarantine: { params: RedecodeRequest, result: z.object({ job: z.string() }) },
  /** Jobs, newest first (the `jobs` subscription pushes the same). */
  jobs: { params: Empty, result: z.array(JobInfo) },
  /** Stops a job; what it finished stays (an import's rows up to where it stopped, with its position). */
  cancelJob: { params: z.object({ id: z.string().min(1).max(128) }), result: Ok },
  /** A folder of the engine's machine (default: the user's home), for the console's file browser. */
  listDirectory: {
    params: z.object({ path: z.string().max(4096).optional() }),
    result: DirectoryListing,
  },
  /** Starts a named recording of live sources: their raw messages are kept while it runs; an audit entry. */
  startRecording: { params: StartRecordingRequest, result: NamedRecording },
  /** Stops a named recording; an audit entry. */
  stopRecording: { params: StopRecordingRequest, result: NamedRecording },
  /** Named recordings as {name, sources, from, to}, newest first (`to` null while one runs). */
  namedRecordings: { params: Empty, result: z.array(NamedRecording) },
  /** One named recording. */
  namedRecording: { params: z.object({ name: RecordingName }), result: NamedRecording },
  /**
   * Decodes a recording's raw messages again into `<source>~<suffix>` (a job per source; the
   * stored rows are never touched): with another decoder, calibration or masking.
   */
  redecodeRecording: { params: RedecodeRecordingParams, result: z.object({ jobs: z.array(z.string()) }) },
  /** Makes an Ed25519 signing key in the desktop's vault (never in a workspace); answers its public half. */
  keygenVault: {
    params: z.object({ name: VaultKeyName }),
    result: z.object({ name: z.string(), publicKey: z.string(), fingerprint: z.string() }),
  },
  /** Opens a replay of stored data on a session of its own (paused at `from`); nothing stored or notified. */
  replayOpen: { params: ReplayOpenRequest, result: ReplayStatus },
  /** Play, pause, seek, step, speed, loop. */
  replayControl: { params: z.object({ id: ReplayId, command: ReplayCommand }), result: ReplayStatus },
  /** A replay's status and transitions (the `replay` subscription pushes the same). */
  replayState: { params: ReplayStateRequest, result: ReplayState },
  /** Ends a replay and its session; an unknown id is not an error. */
  replayClose: { params: z.object({ id: ReplayId }), result: Ok },
  /** Each channel's newest value at or before an instant: the first frame after a seek. */
  replayFrame: { params: ReplayFrameRequest, result: ReplayFrame },
  /** Rules (the workspace's, or drafts) replayed over a range, beside what was paged live there. */
  wouldHaveFired: { params: WouldHaveFiredRequest, result: WouldHaveFiredResult },
  /** Channels on the first one's time axis (as-of join within a tolerance), and the SQL to export them. */
  alignChannels: { params: AlignRequest, result: AlignResult.extend({ sql: z.string() }) },
  /** Event density per source and kind over the workspace (or a range), and live alert transitions. */
  timeline: { params: TimelineRequest, result: TimelineDensity },
  /** A source's topics with their last payload at an instant (the replay cursor), from raw recordings. */
  recordedTopics: { params: RecordedTopicsRequest, result: RecordedTopics },
} as const;

export type MethodName = keyof typeof Methods;
/** Whether a method is answered with a binary frame (its id in the header) rather than a JSON result. */
export function answersInBinary(method: MethodName): boolean {
  return 'binary' in Methods[method];
}
export type Params<M extends MethodName> = z.input<(typeof Methods)[M]['params']>;
export type Result<M extends MethodName> = z.output<(typeof Methods)[M]['result']>;
/** Params as the engine sees them: validated, defaults filled in. */
export type ParsedParams<M extends MethodName> = z.output<(typeof Methods)[M]['params']>;

/**
 * What a call can reach on the machine, declared for every method (a new method must choose).
 * `workspace`: the engine, its database, and the sources and notifiers configured in it.
 * `{ host }`: it runs a program, or reads, writes or opens a path of this machine that the caller
 * names; `host` says what, in words for the refusal. On loopback a token holder is the user; a
 * server bound beyond loopback refuses these calls unless the user opted in at launch
 * (`opsdeck serve --allow-remote-files-and-commands`). A function decides from the params.
 */
export type Capability = 'workspace' | { host: string };

/** A source that reads files (TLS material) or opens a device path of this machine: its kind says. */
function sourceCapability(source: SourceConfig): Capability {
  const host = sourceKindOf(source.kind)?.hostAccess(source.options as never) ?? null;
  return host === null ? 'workspace' : { host };
}

/** A `command` notifier runs a program of this machine: saving or testing one is a host call. */
function notifierCapability(notifier: NotifierConfig, what: string): Capability {
  return notifier.kind === 'command'
    ? { host: `${what} a command notifier, which runs a program (${notifier.argv[0]}) on this machine` }
    : 'workspace';
}

export const MethodCapabilities: {
  [M in MethodName]: Capability | ((params: ParsedParams<M>) => Capability);
} = {
  hello: 'workspace',
  status: 'workspace',
  channels: 'workspace',
  workspace: 'workspace',
  browseChannels: 'workspace',
  channelsByName: 'workspace',
  subscribeLive: 'workspace',
  unsubscribeLive: 'workspace',
  series: 'workspace',
  // Read-only, with DuckDB's file access switched off and locked (store/duckdb.ts).
  query: 'workspace',
  cancelQuery: 'workspace',
  records: 'workspace',
  recordHistogram: 'workspace',
  recordPosition: 'workspace',
  fieldStats: 'workspace',
  recordFields: 'workspace',
  recordContext: 'workspace',
  quarantine: 'workspace',
  exportQuery: { host: 'writes a file at a path the caller names' },
  saveInvestigate: 'workspace',
  setSourceEnabled: 'workspace',
  upsertSource: (p) => sourceCapability(p.source),
  removeSource: 'workspace',
  topics: 'workspace',
  topicDetail: 'workspace',
  publish: 'workspace',
  sparkplugNodes: 'workspace',
  // Writes to the plant's broker only when the source's own options allow it (sparkplug.allowPublish).
  sparkplugRebirth: 'workspace',
  // Reads the cluster the source is configured for; writes to it only when asked to produce.
  kafkaCluster: 'workspace',
  kafkaProduce: 'workspace',
  setSecret: 'workspace',
  export: { host: 'writes a file at a path the caller names' },
  scanFiles: { host: 'reads files at paths the caller names' },
  bundle: {
    host: 'reads a signing key (a file or the key store) and writes a folder at paths the caller names',
  },
  clearQuarantine: 'workspace',
  addAnnotation: 'workspace',
  annotations: 'workspace',
  deleteAnnotation: 'workspace',
  notices: 'workspace',
  notifiers: 'workspace',
  alerts: 'workspace',
  ackAlert: 'workspace',
  unackAlert: 'workspace',
  previewRules: 'workspace',
  // Rules name notifiers by id; defining a notifier is saveNotifier's.
  saveRules: 'workspace',
  saveNotifier: (p) => notifierCapability(p.notifier, 'saves'),
  removeNotifier: 'workspace',
  testNotifier: (p) => notifierCapability(p.notifier, 'tests'),
  silences: 'workspace',
  createSilence: 'workspace',
  expireSilence: 'workspace',
  verifyAudit: 'workspace',
  serialPorts: 'workspace',
  sourceConsole: 'workspace',
  // Only to a source already configured (opening its device was decided then).
  sendToSource: 'workspace',
  saveDisplay: 'workspace',
  saveLayouts: 'workspace',
  saveChannel: 'workspace',
  subscribe: 'workspace',
  unsubscribe: 'workspace',
  importFiles: { host: 'reads files and folders at paths the caller names' },
  redecodeQuarantine: 'workspace',
  jobs: 'workspace',
  cancelJob: 'workspace',
  listDirectory: { host: 'lists a folder of this machine' },
  startRecording: 'workspace',
  stopRecording: 'workspace',
  namedRecordings: 'workspace',
  namedRecording: 'workspace',
  redecodeRecording: 'workspace',
  keygenVault: { host: "makes a signing key in this machine's key store" },
  replayOpen: 'workspace',
  replayControl: 'workspace',
  replayState: 'workspace',
  replayClose: 'workspace',
  replayFrame: 'workspace',
  wouldHaveFired: 'workspace',
  alignChannels: 'workspace',
  timeline: 'workspace',
  recordedTopics: 'workspace',
};

export function capabilityOf<M extends MethodName>(method: M, params: ParsedParams<M>): Capability {
  const declared = MethodCapabilities[method] as Capability | ((params: ParsedParams<M>) => Capability);
  return typeof declared === 'function' ? declared(params) : declared;
}

export const JobProgress = z.object({
  job: z.string(),
  kind: z.enum(['export']),
  done: z.number(),
  total: z.number().nullable(),
  ratePerSecond: z.number(),
  etaSeconds: z.number().nullable(),
  finished: z.boolean(),
});
export type JobProgress = z.infer<typeof JobProgress>;

/** Parts of opsdeck.json a change can touch, as named in `workspaceChanged`. */
export const WorkspaceSection = z.enum([
  'name',
  'sources',
  'channels',
  'layouts',
  'rules',
  'alerting',
  'display',
  'investigate',
  'retention',
  'store',
]);
export type WorkspaceSection = z.infer<typeof WorkspaceSection>;

/** The workspace configuration changed: saved by a console (which one), or edited in the file. */
export const WorkspaceChanged = z.object({
  sections: z.array(WorkspaceSection),
  origin: z.enum(['console', 'file']),
  /** The connection that saved it (its `hello().connection`); null for a file edit. */
  connection: z.string().nullable(),
});
export type WorkspaceChanged = z.infer<typeof WorkspaceChanged>;

/** Events the engine pushes to every connection. */
export const Events = {
  status: EngineStatus,
  notice: Notice,
  progress: JobProgress,
  /** A live alert transition, as it happens. */
  alert: AlertTransitionInfo,
  workspaceChanged: WorkspaceChanged,
} as const;
export type EventName = keyof typeof Events;
export type EventData<E extends EventName> = z.output<(typeof Events)[E]>;

// Envelopes. Text messages are JSON envelopes; binary messages are live frames.
export const CallMessage = z.object({
  t: z.literal('call'),
  id: z.number().int().nonnegative(),
  method: z.string(),
  /** Absent means no params (`{}`). */
  params: z.unknown().optional(),
});
export const ResultMessage = z.union([
  z.object({ t: z.literal('result'), id: z.number().int(), ok: z.literal(true), value: z.unknown() }),
  /** `id` is null when the message had no usable id: not JSON, a string id, not a call at all. */
  z.object({
    t: z.literal('result'),
    id: z.number().int().nullable(),
    ok: z.literal(false),
    error: z.string(),
  }),
]);
export const EventMessage = z.object({ t: z.literal('event'), name: z.string(), data: z.unknown() });
/** A subscription's data (validated by the client against `Subscriptions[kind].data`), or why it has none now. */
export const PushMessage = z.union([
  z.object({ t: z.literal('push'), id: z.string(), ok: z.literal(true), data: z.unknown() }),
  z.object({ t: z.literal('push'), id: z.string(), ok: z.literal(false), error: z.string() }),
]);
export const ServerMessage = z.union([ResultMessage, EventMessage, PushMessage]);
/** The client took a push of subscription `id` and is ready for the next: not a call, nothing answers it. */
export const AckMessage = z.object({ t: z.literal('ack'), id: z.string() });
export const ClientMessage = z.discriminatedUnion('t', [CallMessage, AckMessage]);
export type CallMessage = z.infer<typeof CallMessage>;
export type AckMessage = z.infer<typeof AckMessage>;
export type PushMessage = z.infer<typeof PushMessage>;
export type ServerMessage = z.infer<typeof ServerMessage>;

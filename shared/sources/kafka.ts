// Kafka consumer: bootstrap brokers, TLS and SASL, a set of topics read in one of two modes —
// `group` (a named consumer group; exactly once into the workspace) or `inspect` (no group, commits
// nothing, leaves no trace on the cluster) — decoded by the same decoders as MQTT payloads.
import { z } from 'zod';
import { optInMaskingOption } from '../masking';
import { defineSourceKind } from './descriptor';
import { DecoderName, deviceClockOptions, networkReconnectOptions, SecretRef, TimeZoneName } from './fields';
import { checkClientCertificate, tlsFilesRead, TlsOptions } from './mqtt';

/** `host:port`, a bracketed IPv6 address allowed. */
const BrokerAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):\d{1,5}$/, 'host:port, e.g. kafka1.plant.local:9092');

/** A Kafka topic name: what the broker accepts (letters, digits, ".", "_", "-"; at most 249). */
export const KafkaTopicName = z
  .string()
  .min(1)
  .max(249)
  .regex(/^[A-Za-z0-9._-]+$/, 'a Kafka topic name: letters, digits, ".", "_" or "-"');

export const KafkaSasl = z
  .object({
    mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).meta({
      label: 'Mechanism',
      choiceLabels: { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' },
    }),
    username: z.string().min(1).max(256).meta({ label: 'Username' }),
    password: SecretRef.meta({ label: 'Password' }),
  })
  .strict();
export type KafkaSasl = z.infer<typeof KafkaSasl>;

/** Where reading begins on a partition the workspace (and, in group mode, the group) has no position for. */
export const KafkaStart = z
  .object({
    from: z
      .enum(['earliest', 'latest', 'timestamp', 'offsets'])
      .default('latest')
      .meta({
        label: 'Start from',
        choiceLabels: {
          earliest: 'earliest (everything kept)',
          latest: 'latest (new messages only)',
          timestamp: 'a time',
          offsets: 'an offset per partition',
        },
      }),
    /** `timestamp`: the first message at or after this time (ISO 8601 with a zone). */
    timestamp: z
      .string()
      .regex(
        /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/,
        'an ISO 8601 time with its zone, e.g. 2026-11-29T18:00:00Z',
      )
      .optional()
      .meta({ label: 'Time', placeholder: '2026-11-29T18:00:00Z' }),
    /** `offsets`: per partition; a partition not listed starts at its latest offset. */
    offsets: z
      .array(
        z
          .object({
            topic: KafkaTopicName.meta({ label: 'Topic' }),
            partition: z.number().int().min(0).meta({ label: 'Partition' }),
            offset: z.number().int().min(0).meta({ label: 'Offset' }),
          })
          .strict(),
      )
      .default([])
      .meta({ label: 'Offsets', newItem: { topic: '', partition: 0, offset: 0 }, addLabel: '+ Offset' }),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.from === 'timestamp' && s.timestamp === undefined)
      ctx.addIssue({ code: 'custom', path: ['timestamp'], message: 'starting from a time needs the time' });
    if (s.from === 'offsets' && s.offsets.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['offsets'],
        message: 'starting from offsets needs at least one',
      });
  });
export type KafkaStart = z.infer<typeof KafkaStart>;

const DECODER_LABELS = {
  auto: 'auto (detect)',
  number: 'number',
  json: 'JSON',
  csv: 'CSV',
  kv: 'key=value',
  text: 'text',
  sparkplug: 'Sparkplug B',
  raw: 'raw (keep bytes only)',
};

export const KafkaOptions = z
  .object({
    brokers: z
      .array(BrokerAddress)
      .min(1, 'at least one bootstrap broker')
      .meta({ label: 'Bootstrap brokers', newItem: '', addLabel: '+ Broker' }),
    clientId: z.string().min(1).max(256).default('opsdeck').meta({ label: 'Client id', advanced: true }),
    /** Present: the connection uses TLS (with the system's CAs unless caFile is set). */
    tls: TlsOptions.optional().meta({
      label: 'TLS',
      help: 'Files are paths on the engine’s machine. Without a CA file the system’s CAs are used.',
    }),
    sasl: KafkaSasl.optional().meta({
      label: 'SASL',
      help: 'PLAIN sends the password as is: use it with TLS.',
    }),
    topics: z
      .array(KafkaTopicName)
      .min(1, 'at least one topic')
      .meta({ label: 'Topics', newItem: '', addLabel: '+ Topic' }),
    mode: z
      .enum(['group', 'inspect'])
      .default('inspect')
      .meta({
        label: 'Mode',
        choiceLabels: {
          group: 'group: a consumer group, exactly once into this workspace',
          inspect: 'inspect: no group, commits nothing, leaves no trace',
        },
      }),
    /** Group mode: the consumer group; its offsets are kept in the workspace and committed after. */
    groupId: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .meta({ label: 'Consumer group', placeholder: 'opsdeck-console' }),
    start: KafkaStart.default({ from: 'latest', offsets: [] }).meta({ label: 'Start' }),
    /** Per-topic decoder choice (exact topic name, or a prefix ending in `*`); others are detected. */
    decoders: z
      .array(
        z
          .object({
            topic: z
              .string()
              .min(1)
              .regex(/^[A-Za-z0-9._-]*\*?$/, 'a topic name, or a prefix ending in "*"')
              .meta({ label: 'Topic', placeholder: 'falco.* or scanner.events' }),
            decoder: DecoderName.meta({ label: 'Decoder', choiceLabels: DECODER_LABELS }),
            timeZone: TimeZoneName.optional().meta({
              label: 'Time zone',
              placeholder: 'the source’s (below)',
            }),
          })
          .strict(),
      )
      .default([])
      .meta({
        label: 'Decoder overrides',
        help: 'First match wins; other topics are detected from their first messages.',
        newItem: { topic: '', decoder: 'json' },
        addLabel: '+ Decoder override',
        empty: 'None: every topic is detected automatically.',
      }),
    timeZone: deviceClockOptions.timeZone.meta({ label: 'Device time zone', placeholder: 'UTC' }),
    futureToleranceSeconds: deviceClockOptions.futureToleranceSeconds.meta({
      label: 'Future tolerance (s)',
      advanced: true,
    }),
    timestampField: z.string().min(1).max(128).optional().meta({
      label: 'Timestamp field',
      placeholder: 'besides ts, timestamp, time, Time',
      advanced: true,
    }),
    maxPayloadBytes: z
      .number()
      .int()
      .min(1)
      .max(256 * 1024 ** 2)
      .default(1024 ** 2)
      .meta({ label: 'Max message (bytes)', help: 'Larger messages go to quarantine.', advanced: true }),
    /** How much one fetch may bring per partition: bounds memory, and so the batches in flight. */
    maxBytesPerPartition: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 ** 2)
      .default(1024 ** 2)
      .meta({ label: 'Fetch size per partition (bytes)', advanced: true }),
    /** Group mode: how long the broker waits for a silent member before giving its partitions away. */
    sessionTimeoutMs: z
      .number()
      .int()
      .min(1000)
      .max(3_600_000)
      .default(30_000)
      .meta({ label: 'Session timeout (ms)', advanced: true }),
    masking: optInMaskingOption,
    ...networkReconnectOptions,
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.mode === 'group' && o.groupId === undefined)
      ctx.addIssue({ code: 'custom', path: ['groupId'], message: 'group mode needs a consumer group' });
    if (o.mode === 'inspect' && o.groupId !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['groupId'],
        message: 'inspect mode joins no group: leave the consumer group empty, or choose group mode',
      });
    checkClientCertificate(o.tls, ctx);
  });
export type KafkaOptions = z.infer<typeof KafkaOptions>;

export const kafkaKind = defineSourceKind({
  kind: 'kafka',
  label: 'Kafka (consume topics from a cluster)',
  options: KafkaOptions,
  capabilities: { topics: true, publish: true, cluster: true },
  hostAccess(options) {
    return tlsFilesRead(options.tls);
  },
});

// MQTT client: subscribes to a broker, decodes payloads, may publish and act as a Sparkplug host.
import { z } from 'zod';
import { optInMaskingOption } from '../masking';
import { defineSourceKind } from './descriptor';
import { DecoderName, deviceClockOptions, networkReconnectOptions, SecretRef, TimeZoneName } from './fields';

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
      )
      .meta({ label: 'Topic filter', placeholder: 'site/+/temperature or #' }),
    qos: z
      .union([z.literal(0), z.literal(1), z.literal(2)])
      .default(0)
      .meta({ label: 'QoS' }),
  })
  .strict();
export type MqttSubscription = z.infer<typeof MqttSubscription>;

export const TlsOptions = z
  .object({
    /** PEM files on this machine: the site's CA, and the client certificate and key for mutual TLS. */
    caFile: z
      .string()
      .min(1)
      .optional()
      .meta({ label: 'CA certificate file (PEM)', placeholder: '/etc/opsdeck/site-ca.pem' }),
    certFile: z
      .string()
      .min(1)
      .optional()
      .meta({ label: 'Client certificate file (PEM)', placeholder: 'for mutual TLS' }),
    keyFile: z
      .string()
      .min(1)
      .optional()
      .meta({ label: 'Client key file (PEM)', placeholder: 'for mutual TLS' }),
    keyPassphrase: SecretRef.optional().meta({ label: 'Key passphrase' }),
    /** Accept any server certificate. For lab brokers only; the console labels it loudly. */
    insecureSkipVerify: z.boolean().default(false).meta({
      label: 'Skip certificate verification (lab brokers only — anyone can impersonate the broker)',
      danger: true,
    }),
    /** Server name to verify, when it differs from the URL's host. */
    servername: z.string().min(1).optional().meta({
      label: 'Server name to verify',
      placeholder: 'when it differs from the URL’s host',
      advanced: true,
    }),
  })
  .strict();
export type TlsOptions = z.infer<typeof TlsOptions>;

/** A client certificate comes as a pair: certFile and keyFile both, or neither. */
export function checkClientCertificate(tls: TlsOptions | undefined, ctx: z.RefinementCtx): void {
  if ((tls?.certFile === undefined) !== (tls?.keyFile === undefined))
    ctx.addIssue({
      code: 'custom',
      path: ['tls', tls?.certFile ? 'keyFile' : 'certFile'],
      message: 'a client certificate needs both certFile and keyFile',
    });
}

/** What a source's TLS options make the engine read on its machine (its `hostAccess`), or null. */
export function tlsFilesRead(tls: TlsOptions | undefined): string | null {
  const files = (['caFile', 'certFile', 'keyFile'] as const).filter((f) => tls?.[f]);
  return files.length ? `reads files named in options.tls (${files.join(', ')})` : null;
}

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

/** How MQTT payloads are taken in, alike for a subscribed broker and the built-in one. */
export const mqttPayloadOptions = {
  /** Per-topic decoder choice (and zone of its zone-less times), first match wins; others are detected. */
  decoders: z
    .array(
      z
        .object({
          filter: z.string().min(1).meta({ label: 'Topic filter', placeholder: 'plc/#' }),
          decoder: DecoderName.meta({ label: 'Decoder', choiceLabels: DECODER_LABELS }),
          timeZone: TimeZoneName.optional().meta({
            label: 'Time zone',
            placeholder: 'the source’s (below)',
            help: 'For these topics’ device times written without a zone.',
          }),
        })
        .strict(),
    )
    .default([])
    .meta({
      label: 'Decoder overrides',
      help: 'First match wins; other topics are detected from their first messages.',
      newItem: { filter: '', decoder: 'json' },
      addLabel: '+ Decoder override',
      empty: 'None: every topic is detected automatically.',
    }),
  timeZone: deviceClockOptions.timeZone.meta({
    label: 'Device time zone',
    placeholder: 'UTC',
    help: 'Device times written without a zone ("2026-11-29T18:10:43", as Tasmota does) are read in this zone: UTC unless set. An IANA name such as Europe/Berlin follows daylight saving.',
  }),
  futureToleranceSeconds: deviceClockOptions.futureToleranceSeconds.meta({
    label: 'Future tolerance (s)',
    help: 'A device time further ahead of receive time is not believed: the data is stored at receive time and the device’s time kept in the record.',
    advanced: true,
  }),
  /** A payload field holding the event time, besides ts, timestamp, time and Time. */
  timestampField: z.string().min(1).max(128).optional().meta({
    label: 'Timestamp field',
    placeholder: 'besides ts, timestamp, time, Time',
    advanced: true,
  }),
  /** Larger payloads go to quarantine, not to the decoders. */
  maxPayloadBytes: z
    .number()
    .int()
    .min(1)
    .max(256 * 1024 ** 2)
    .default(1024 ** 2)
    .meta({ label: 'Max payload (bytes)', help: 'Larger payloads go to quarantine.', advanced: true }),
  /** Keep every message byte for byte (topic, payload, QoS, retain, properties) for exact replay. */
  record: z.boolean().default(false).meta({
    label: 'Record every message exactly',
    help: 'Keeps topic, payload bytes, QoS, retain and properties for exact replay. Uses more disk.',
  }),
  masking: optInMaskingOption,
};

/** How an MQTT source acts as a Sparkplug B host application. */
export const SparkplugHostOptions = z
  .object({
    /**
     * Lets OpsDeck publish to the broker as a Sparkplug host: a Rebirth request (NCMD
     * `Node Control/Rebirth`) to an edge node after a `seq` gap or an alias no birth named, and
     * with `hostId` its STATE. Off by default: it writes to the plant's production broker.
     */
    allowPublish: z.boolean().default(false).meta({
      label:
        'Publish to the plant’s broker: Rebirth requests (NCMD) after a seq gap or an unknown alias, and STATE',
      help: 'Writes to production: leave off unless this console may command edge nodes.',
      danger: true,
    }),
    /** Publish `spBv1.0/STATE/<hostId>` as a primary host (retained, with a will); needs allowPublish. */
    hostId: z
      .string()
      .min(1)
      .max(256)
      .regex(/^[^/#+]+$/, 'a host id: no "/", "#" or "+"')
      .optional()
      .meta({ label: 'Primary host id', placeholder: 'publishes spBv1.0/STATE/<id>', advanced: true }),
    /** A node that still needs a rebirth is asked again after this many seconds. */
    rebirthIntervalSeconds: z
      .number()
      .int()
      .min(1)
      .max(86_400)
      .default(30)
      .meta({ label: 'Ask again for a rebirth after (s)', advanced: true }),
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
      )
      .meta({
        label: 'Broker URL',
        placeholder: 'mqtt://broker.local:1883',
        help: 'mqtt://, mqtts:// (TLS), ws:// or wss://',
      }),
    protocolVersion: z
      .union([z.literal(4), z.literal(5)])
      .default(5)
      .meta({ label: 'MQTT version', choiceLabels: { '4': '3.1.1', '5': '5.0' } }),
    /** Empty: a random id per connection (with a persistent session, set one). */
    clientId: z
      .string()
      .max(256)
      .default('')
      .meta({ label: 'Client id', placeholder: 'random for each connection' }),
    /** false keeps the session (and QoS 1/2 messages queued while away) on the broker. */
    clean: z.boolean().default(true).meta({
      label: 'Clean session',
      help: 'Off keeps the session and queued QoS 1/2 messages on the broker while away (needs a client id).',
    }),
    /** MQTT 5 session expiry in seconds for a persistent session. */
    sessionExpirySeconds: z
      .number()
      .int()
      .min(0)
      .max(4_294_967_295)
      .default(3600)
      .meta({ label: 'Session expiry (s)', help: 'MQTT 5, persistent session only.', advanced: true }),
    keepaliveSeconds: z.number().int().min(0).max(65_535).default(30).meta({ label: 'Keepalive (s)' }),
    username: z.string().max(256).optional().meta({ label: 'Username' }),
    password: SecretRef.optional().meta({ label: 'Password' }),
    tls: TlsOptions.optional().meta({
      label: 'TLS',
      help: 'Needs an mqtts:// or wss:// address. Files are paths on the engine’s machine.',
    }),
    subscriptions: z
      .array(MqttSubscription)
      .default([{ filter: '#', qos: 0 }])
      .meta({
        label: 'Subscriptions',
        newItem: { filter: '', qos: 0 },
        addLabel: '+ Subscription',
        empty: 'No subscriptions: nothing will arrive.',
      }),
    ...mqttPayloadOptions,
    /** Sparkplug B host behaviour; absent: listen only. */
    sparkplug: SparkplugHostOptions.optional().meta({
      label: 'Sparkplug B host',
      help: 'How OpsDeck acts as a Sparkplug host application. Off: it only listens.',
    }),
    /** Reconnect backoff bounds, with jitter. */
    ...networkReconnectOptions,
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
    checkClientCertificate(o.tls, ctx);
  });
export type MqttOptions = z.infer<typeof MqttOptions>;

export const mqttKind = defineSourceKind({
  kind: 'mqtt',
  label: 'MQTT client (connect to a broker)',
  options: MqttOptions,
  capabilities: { topics: true, publish: true, sparkplug: true },
  hostAccess(options) {
    return tlsFilesRead(options.tls);
  },
});

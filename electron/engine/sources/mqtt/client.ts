// An MQTT broker as a source (mqtt.js v5): mqtt://, mqtts://, ws://, wss://; MQTT 3.1.1 and 5;
// username/password and TLS/mutual TLS with secrets from the engine's store; reconnects with
// exponential backoff and jitter and resubscribes; state and last error visible in the status.
import fs from 'node:fs';
import crypto from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { MqttOptions as MqttOptionsSchema, type MqttOptions } from '../../../../shared/schemas';
import { backoffDelay, type Backoff } from '../../../../shared/backoff';
import { secretEnvName } from '../../secrets';
import type { Source, SourceContext, SourceFactory } from '../source';
import { checkClientKey, ConnectError, ConnectErrorReporter, explainConnectError } from './connect-errors';
import { topicDetail } from './detail';
import type { IngestStage } from '../../ingest/stage';
import { MqttIngest } from './ingest';
import { SparkplugHost, type PlantPublisher } from './sparkplug-host';

/** Reconnects wait from reconnectMinMs doubling to reconnectMaxMs, ±50% so a fleet does not retry in step. */
export const reconnectBackoff = (options: { reconnectMinMs: number; reconnectMaxMs: number }): Backoff => ({
  firstMs: options.reconnectMinMs,
  maxMs: options.reconnectMaxMs,
  jitter: 0.5,
});

export function readPem(path: string, what: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (error) {
    throw new Error(`${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      cause: error,
    });
  }
}

export function needSecret(ctx: SourceContext, name: string, what: string): string {
  const value = ctx.secret(name);
  if (value === undefined) {
    throw new Error(
      `${what} secret "${name}" is not set: enter it in the source form, or set ${secretEnvName(name)} before starting OpsDeck`,
    );
  }
  return value;
}

/**
 * mqtt.js writes each QoS 1 acknowledgement with its own system call (300,000 writes to drain
 * 300,000 messages). Corking the socket for the rest of the tick that read them sends all of a
 * read's acknowledgements in one write (measured in bench/mqtt.ts: writev time 1168 → 48 ms).
 */
function batchAcknowledgements(client: MqttClient): void {
  const stream = client.stream as unknown as {
    on(e: 'data', f: () => void): void;
    cork?(): void;
    uncork?(): void;
  };
  if (typeof stream?.cork !== 'function') return;
  let corked = false;
  stream.on('data', () => {
    if (corked) return;
    corked = true;
    stream.cork!();
    setImmediate(() => {
      corked = false;
      stream.uncork!();
    });
  });
}

/**
 * A broker flooding us answers PINGREQ behind everything it has queued for us, so mqtt.js (which
 * counts only PINGRESP and acknowledgements as signs of life, not PUBLISH) timed out and reconnected
 * mid-flood, losing what QoS 0 had in flight (bench soak at 20,000 msg/s, 2026-11-30). Here a
 * PUBLISH received after a ping went out counts as life too: the next ping is sent as usual (the
 * broker still hears from us), and only a peer that sends nothing at all times out.
 */
function publishesKeepAlive(client: MqttClient): void {
  client.on('packetreceive', (packet) => {
    if (packet.cmd !== 'publish') return;
    // KeepaliveManager's `counter` counts half-intervals since the last sign of life: 2 sends the
    // ping, 3 times out. Back to 1: the ping still goes out, the timeout waits for silence.
    const manager = (client as unknown as { keepaliveManager?: { counter: number } | null }).keepaliveManager;
    if (manager && manager.counter > 1) manager.counter = 1;
  });
}

/** mqtt.js options from ours; throws with the field at fault (a file that cannot be read, a missing secret). */
export function clientOptions(o: MqttOptions, ctx: SourceContext): IClientOptions {
  const options: IClientOptions = {
    protocolVersion: o.protocolVersion,
    clientId: o.clientId || `opsdeck-${crypto.randomBytes(6).toString('hex')}`,
    clean: o.clean,
    keepalive: o.keepaliveSeconds,
    reconnectPeriod: 0, // we reconnect ourselves, with backoff and jitter
    connectTimeout: 10_000,
    resubscribe: false, // we resubscribe ourselves after every connect
    log: () => undefined, // mqtt.js formats its debug lines even when nobody reads them
  };
  if (o.protocolVersion === 5 && !o.clean)
    options.properties = { sessionExpiryInterval: o.sessionExpirySeconds };
  if (o.username !== undefined) options.username = o.username;
  if (o.password !== undefined) options.password = needSecret(ctx, o.password, 'password');
  if (o.tls) {
    if (o.tls.caFile) options.ca = readPem(o.tls.caFile, 'tls.caFile');
    if (o.tls.certFile) options.cert = readPem(o.tls.certFile, 'tls.certFile');
    if (o.tls.keyFile) options.key = readPem(o.tls.keyFile, 'tls.keyFile');
    if (o.tls.keyPassphrase)
      (options as { passphrase?: string }).passphrase = needSecret(
        ctx,
        o.tls.keyPassphrase,
        'tls.keyPassphrase',
      );
    if (options.key)
      checkClientKey(o, options.key as Buffer, options.cert as Buffer | undefined, passphrase(options));
    if (o.tls.servername) options.servername = o.tls.servername;
    options.rejectUnauthorized = !o.tls.insecureSkipVerify;
  }
  return options;
}

const passphrase = (options: IClientOptions) => (options as { passphrase?: string }).passphrase;

export function describeEndpoint(o: MqttOptions): { endpoint: string; warnings: string[] } {
  const secure = /^(mqtts|wss):/.test(o.url);
  const endpoint = `${o.url}, MQTT ${o.protocolVersion === 5 ? '5' : '3.1.1'}${secure ? ', TLS' : ''}${o.tls?.certFile ? ' with client certificate' : ''}${o.clean ? '' : ', persistent session'}`;
  const warnings: string[] = [];
  if (o.tls?.insecureSkipVerify)
    warnings.push('certificate verification is OFF: anyone on the network can impersonate this broker');
  if (!secure && o.password !== undefined)
    warnings.push('the password travels unencrypted (mqtt:// or ws://)');
  return { endpoint, warnings };
}

function errorText(error: Error & { code?: string | number }): string {
  const code = typeof error.code === 'string' ? ` (${error.code})` : '';
  return `${error.message || 'connection failed'}${code}`;
}

/**
 * QoS 1: the broker hears PUBACK only once the message is durable in DuckDB. mqtt.js acknowledges
 * as soon as the 'message' handlers return and offers no manual acknowledgement, so its packet
 * writer is wrapped: a PUBACK waits for the stage's ticket of the batch holding the message (mqtt.js
 * reads on meanwhile). Tickets settle in order, so acknowledgements keep the order of the messages.
 * A connection that closed before its acknowledgement could go is left unacknowledged: a persistent
 * session delivers those messages again. A batch that could not be stored is not acknowledged
 * either, and the connection is dropped so that the broker delivers it again.
 */
function acknowledgeWhenDurable(client: MqttClient, stage: IngestStage): void {
  type Send = (packet: { cmd: string }, cb?: () => void, ...rest: unknown[]) => void;
  const internals = client as unknown as { _sendPacket: Send };
  const send = internals._sendPacket.bind(client);
  let corked = false;
  internals._sendPacket = (packet, cb, ...rest) => {
    if (packet.cmd !== 'puback') return send(packet, cb, ...rest);
    const stream = client.stream as typeof client.stream & { cork?(): void; uncork?(): void };
    cb?.();
    stage.onDurable((error) => {
      if (client.stream !== stream || stream.destroyed) return;
      if (error) return void stream.destroy();
      if (!corked && typeof stream.cork === 'function') {
        corked = true; // one write for every acknowledgement a ticket releases
        stream.cork();
        setImmediate(() => {
          corked = false;
          stream.uncork!();
        });
      }
      send(packet);
    });
  };
}

/** How long a stop waits for the broker to take our last acknowledgements and close. */
const GRACEFUL_CLOSE_MS = 10_000;

/**
 * Ends a connection without losing or duplicating a QoS 1/2 message. The caller has stopped
 * accepting: messages arriving from then on are neither taken nor acknowledged, so a persistent
 * session delivers them again. The acknowledgements already written reach the broker ahead of
 * DISCONNECT; once that is written, whatever the broker still sends is discarded unparsed so that
 * its close comes soon (parsing a deep in-flight queue only to refuse it took seconds). A forced
 * end would drop acknowledgements still queued on the socket, and the broker would deliver those
 * messages a second time (measured: hundreds of duplicates per stop at 3,000 msg/s).
 */
async function closeGracefully(c: MqttClient): Promise<void> {
  const stream = c.stream as (typeof c.stream & NodeJS.ReadableStream) | undefined;
  if (!c.connected || !stream || stream.destroyed) {
    await c.endAsync(true).catch(() => undefined);
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const closed = new Promise<void>((resolve) => {
    stream.once('close', () => resolve());
    timer = setTimeout(() => {
      stream.destroy();
      resolve();
    }, GRACEFUL_CLOSE_MS);
  });
  c.on('packetsend', (packet) => {
    if (packet.cmd !== 'disconnect') return;
    stream.unpipe();
    stream.on('data', () => undefined);
    stream.resume();
  });
  c.end(false);
  await closed;
  clearTimeout(timer);
}

export const mqttSource: SourceFactory<MqttOptions> = {
  kind: 'mqtt',
  options: MqttOptionsSchema,
  create(initial, ctx): Source {
    let options = initial;
    const ingest = new MqttIngest(ctx, options);
    let client: MqttClient | null = null;
    let stopping = false;
    /** False from the moment a stop begins: nothing more is taken in, or acknowledged. */
    let accepting = false;
    let attempt = 0;
    let retry: NodeJS.Timeout | undefined;
    const { endpoint, warnings } = describeEndpoint(options);
    ctx.describe(endpoint, warnings);
    const errors = new ConnectErrorReporter(ctx, () => options);
    const publishBytes: PlantPublisher = async (topic, bytes, o) => {
      if (!client?.connected) throw new Error(`publish: not connected to ${options.url}`);
      await client.publishAsync(topic, Buffer.from(bytes), o);
    };
    const sparkplug = new SparkplugHost(ctx, ingest.frames, options.sparkplug, publishBytes);

    const subscribe = async (c: MqttClient) => {
      if (options.subscriptions.length === 0) return;
      const granted = await c.subscribeAsync(
        options.subscriptions
          .map((s) => ({ topic: s.filter, qos: s.qos }))
          .reduce<Record<string, { qos: 0 | 1 | 2 }>>((all, s) => ((all[s.topic] = { qos: s.qos }), all), {}),
      );
      const refused = granted.filter((g) => g.qos === 128 || (typeof g.qos === 'number' && g.qos > 2));
      if (refused.length)
        ctx.setState(
          'connected',
          `the broker refused subscription ${refused.map((g) => `"${g.topic}"`).join(', ')}`,
        );
    };

    const scheduleReconnect = () => {
      if (stopping || retry) return;
      const delay = backoffDelay(attempt++, reconnectBackoff(options));
      retry = setTimeout(() => {
        retry = undefined;
        if (!stopping && client) client.reconnect();
      }, delay);
    };

    return {
      async start() {
        stopping = false;
        accepting = true;
        ctx.setState('starting');
        const clientOpts = clientOptions(options, ctx); // throws for a missing file or secret: the engine shows it
        clientOpts.will = sparkplug.will();
        let c: MqttClient;
        try {
          c = mqtt.connect(options.url, {
            ...clientOpts,
            // Runs before mqtt.js takes a QoS 1/2 message: once stopping, refuse it (it is not
            // acknowledged, so the broker keeps it). While the pending work is at its bound, wait
            // for room: mqtt.js reads nothing more meanwhile, so the broker holds back.
            customHandleAcks: (_topic, _payload, _packet, done) => {
              const take = () =>
                accepting ? done(0) : done(new Error('stopping: not taking more messages'));
              if (accepting && ingest.stage.full) void ingest.stage.pauseUntilRoom().then(take);
              else take();
            },
          });
        } catch (error) {
          const { message, detail } = explainConnectError(error, options); // e.g. a TLS context refused
          throw new ConnectError(message, detail);
        }
        client = c;
        acknowledgeWhenDurable(c, ingest.stage);
        publishesKeepAlive(c);
        sparkplug.attach(c);
        c.on('connect', () => {
          batchAcknowledgements(c); // a reconnect brings a new socket
          errors.connected();
          attempt = 0;
          ctx.setState('connected');
          subscribe(c).catch((error: Error) => ctx.setState('error', `subscribe: ${errorText(error)}`));
        });
        c.on('message', (topic, payload, packet) => {
          if (!accepting) return;
          ingest.accept({
            topic,
            payload,
            qos: packet.qos,
            retain: packet.retain,
            properties:
              packet.properties && Object.keys(packet.properties).length
                ? (packet.properties as Record<string, unknown>)
                : null,
          });
        });
        c.on('error', (error) => {
          if (!stopping) errors.report(c.connected ? 'connected' : 'reconnecting', error);
        });
        c.on('close', () => {
          if (stopping) return;
          ctx.setState('reconnecting');
          scheduleReconnect();
        });
        c.on('offline', () => {
          if (!stopping) ctx.setState('reconnecting');
        });
        sparkplug.start();
      },
      async stop() {
        stopping = true;
        accepting = false;
        clearTimeout(retry);
        sparkplug.stop();
        await sparkplug.goodbye();
        // Everything accepted goes to the store, and its acknowledgements to the broker, before
        // the connection closes.
        await ingest.stop();
        const c = client;
        client = null;
        if (c) await closeGracefully(c);
        ctx.setState('stopped');
      },
      publish: (request) =>
        publishBytes(request.topic, request.bytes, { qos: request.qos, retain: request.retain }),
      sparkplugNodes: () => sparkplug.nodes(),
      sparkplugRebirth: (group, node) => sparkplug.requestRebirth(group, node),
      topics: (request) => ingest.tree.list(request.prefix, request.search, request.limit),
      topicDetail: (topic) => topicDetail(ingest.tree, ingest.frames, topic, ctx),
      async reconfigure(raw) {
        const next = raw as MqttOptions;
        const { subscriptions: _old, ...restOld } = options;
        const { subscriptions: _new, ...restNew } = next;
        // Only subscription edits are applied live; anything else reconnects.
        if (JSON.stringify(restOld) !== JSON.stringify(restNew)) return false;
        const key = (s: { filter: string; qos: number }) => `${s.qos} ${s.filter}`;
        const before = new Set(options.subscriptions.map(key));
        const after = new Set(next.subscriptions.map(key));
        const removed = options.subscriptions.filter(
          (s) => !after.has(key(s)) && !next.subscriptions.some((n) => n.filter === s.filter),
        );
        const added = next.subscriptions.filter((s) => !before.has(key(s)));
        options = next;
        const c = client;
        if (c?.connected) {
          if (removed.length) await c.unsubscribeAsync(removed.map((s) => s.filter));
          if (added.length)
            await c.subscribeAsync(Object.fromEntries(added.map((s) => [s.filter, { qos: s.qos }])));
        }
        return true;
      },
    };
  },
};

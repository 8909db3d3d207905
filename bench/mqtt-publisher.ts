// The MQTT benchmarks' publisher, run as a child process (`node out/main/bench.js mqtt-publisher
// <json spec>`) so it never shares an event loop with the receiver being measured. It prints one
// JSON line with what it did and exits; it also exits when its parent goes away (stdin closes).
import type { Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';

export interface PublisherSpec {
  url: string;
  /**
   * burst: `count` messages at QoS `qos` as fast as the broker takes them, at most `window` unacknowledged.
   * paced: `rate` messages/s for `seconds`, at QoS `qos`.
   */
  mode: 'burst' | 'paced';
  qos: 0 | 1;
  count?: number;
  window?: number;
  rate?: number;
  seconds?: number;
  /**
   * env: `{"t":…,"h":…,"p":…,"i":N}` (4 numeric fields) over `topics` topics `bench/dev<k>/env`.
   * sent: `{"sent":<epoch ms, sub-ms>}` on `bench/lat`, the send time on the performance.timeOrigin clock.
   */
  payload: 'env' | 'sent';
  topics?: number;
}

export interface PublisherResult {
  /** Messages published; in paced mode fewer than rate × seconds when the publisher fell behind. */
  sent: number;
  /** From the first publish call to the last. */
  publishSeconds: number;
  /** From the first publish call until mqtt.js had nothing left to write (and, at QoS 1, every ack was in). */
  drainedSeconds: number;
}

export const ENV_FIELDS = 4;

export function envTopic(i: number, topics: number): string {
  return `bench/dev${i % topics}/env`;
}

export function envPayload(i: number): string {
  const k = i % 1000;
  return `{"t":${(20 + k / 100).toFixed(2)},"h":${(40 + k / 50).toFixed(2)},"p":${(1013 + k / 1000).toFixed(3)},"i":${i}}`;
}

/** Wall-clock milliseconds with sub-millisecond resolution, consistent across processes on one machine. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitWritten(client: MqttClient): Promise<void> {
  const stream = client.stream as Socket;
  while (stream.writableLength > 0) await sleep(1);
}

async function burst(client: MqttClient, spec: PublisherSpec): Promise<PublisherResult> {
  const count = spec.count ?? 0;
  const window = spec.window ?? 10_000;
  const topics = spec.topics ?? 100;
  const started = performance.now();
  let next = 0;
  let acked = 0;
  let lastPublish = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (next < count && next - acked < window) {
        const i = next++;
        client.publish(envTopic(i, topics), envPayload(i), { qos: spec.qos }, (error) => {
          if (error) return reject(error);
          if (++acked === count) resolve();
          else if (next - acked <= window / 2) pump();
        });
      }
      if (next === count && lastPublish === 0) lastPublish = performance.now();
    };
    pump();
    if (count === 0) resolve();
  });
  if (spec.qos === 0) await waitWritten(client);
  return {
    sent: count,
    publishSeconds: (lastPublish - started) / 1000,
    drainedSeconds: (performance.now() - started) / 1000,
  };
}

/** Bytes mqtt.js may leave queued on the socket before the paced publisher counts itself behind. */
const MAX_BUFFERED = 4 * 1024 * 1024;

async function paced(client: MqttClient, spec: PublisherSpec): Promise<PublisherResult> {
  const rate = spec.rate ?? 1000;
  const seconds = spec.seconds ?? 1;
  const total = Math.round(rate * seconds);
  const topics = spec.topics ?? 100;
  const perTick = Math.max(1, Math.ceil(rate / 100)); // at most 10 ms worth per tick: the loop keeps turning
  const stream = client.stream as Socket;
  const started = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = (performance.now() - started) / 1000;
      const due = Math.min(total, Math.floor(elapsed * rate), sent + perTick);
      // Behind the socket (the broker is not reading fast enough): that is falling behind, not buffering.
      while (sent < due && stream.writableLength < MAX_BUFFERED) {
        if (spec.payload === 'sent') {
          client.publish('bench/lat', `{"sent":${preciseNow().toFixed(3)}}`, { qos: spec.qos });
        } else {
          client.publish(envTopic(sent, topics), envPayload(sent), { qos: spec.qos });
        }
        sent++;
      }
      // A publisher that cannot hold the rate stops at the deadline with fewer sent; it never runs long.
      if (sent >= total || elapsed >= seconds * 1.05) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const publishSeconds = (performance.now() - started) / 1000;
  await waitWritten(client);
  return { sent, publishSeconds, drainedSeconds: (performance.now() - started) / 1000 };
}

export async function mqttPublisherMain(args: string[]): Promise<void> {
  const spec = JSON.parse(args[0] ?? '{}') as PublisherSpec;
  process.stdin.on('end', () => process.exit(2)); // the parent is gone
  process.stdin.resume();
  const client = mqtt.connect(spec.url, {
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    clientId: `bench-pub-${process.pid}`,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  // A lost connection must fail the run, not pass for messages sent (mqtt.js would queue them).
  const lost = () => {
    process.stderr.write(`mqtt publisher: connection to ${spec.url} lost\n`);
    process.exit(3);
  };
  client.on('close', lost);
  const result = spec.mode === 'burst' ? await burst(client, spec) : await paced(client, spec);
  client.off('close', lost);
  await client.endAsync();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

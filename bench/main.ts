// Benchmarks: figures and ratios against baselines measured in the same run, one per line as
// `name: value unit`. Never pass/fail. Usage (after `npm run build`):
//   node out/main/bench.js                     ingest, decimation, startup, mqtt, serial, alerts, channels, records, syslog, masking
//   node out/main/bench.js ingest|decimation|startup|mqtt|serial|alerts|channels|records|syslog|masking
//   node out/main/bench.js mqtt [--only drain,live,latency]   one or more parts of the MQTT benchmark
//   node out/main/bench.js investigate [--records 10000000]   log view pages, histogram, search vs lnav
//   node out/main/bench.js kafka [--messages 1000000] [--only kcat,kafkajs,group,inspect]
//                                                     a real Kafka (jars via mvn): kcat, kafkajs, engine
//   node out/main/bench.js soak [--minutes 10] demo rig at 100× for N minutes, RSS every minute
//          [--mqtt 20000] [--prefill-hours 24] [--prefill-rate 1000]
//                                            … plus a QoS 0 MQTT flood, on a workspace holding a day
//   node out/main/bench.js logs [--size MB] [--only syslog|jsonl|csv|zeek]  import of 1 GB syslog, JSONL (beside lnav), CSV, Zeek
//   node out/main/bench.js replay [--hours 24] [--seeks 100] [--replay-hours 4] [--memory-mb N]
//                                            seek latency and replay throughput on a generated capture
//   node out/main/bench.js checkpoint-memory [--rates 100,1000,2000] [--hours 24] [--only scenario,…]
//                                            smallest memory_limit to open and checkpoint a workspace
// (`bench.js mqtt-publisher <spec>`, `checkpoint-memory-attempt` and `checkpoint-memory-log` are
// internal: child processes of the benchmarks.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBDataChunk, DOUBLE, TIMESTAMP, UINTEGER } from '@duckdb/node-api';
import bindings from '@duckdb/node-bindings';
import type { SampleBatch } from '../electron/engine/batch';
import { Engine } from '../electron/engine/engine';
import { decimateMinMax, RingBuffer, type Buckets } from '../electron/engine/live/ring';
import { LiveHub } from '../electron/engine/live/hub';
import { openDuckDB, writeMicros } from '../electron/engine/store/duckdb';
import { migrate } from '../electron/engine/store/migrations';
import { StoreSettings } from '../shared/schemas';
import { CHROMIUM, launchChromium } from '../test/helpers/browser';
import { startServe } from '../test/helpers/cli';
import { TestBroker } from '../test/helpers/mosquitto';
import { benchAlerts } from './alerts';
import {
  buildWorkspace,
  benchCheckpointMemory,
  checkpointMemoryAttemptMain,
  checkpointMemoryLogMain,
} from './checkpoint-memory';
import { benchChannels } from './channels';
import { benchKafka } from './kafka';
import { benchMqtt, runPublisher } from './mqtt';
import { mqttPublisherMain } from './mqtt-publisher';
import { benchInvestigate } from './investigate';
import { benchMasking, benchSyslog } from './livelogs';
import { benchLogs } from './logs';
import { benchRecords } from './records';
import { benchReplay } from './replay';
import { figure, note } from './report';
import { benchSerial } from './serial';

function tempWorkspace(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'opsdeck-bench-'));
}

const CHANNELS = 8;
const BATCH = 8192;

/** Pre-built batches: `total` samples over CHANNELS channels, 1 kHz each, like a busy rig. */
function makeBatches(total: number, firstChannelId: number): SampleBatch[] {
  const batches: SampleBatch[] = [];
  const start = Date.now() - 3_600_000;
  for (let done = 0; done < total; done += BATCH) {
    const n = Math.min(BATCH, total - done);
    const ts = new Float64Array(n);
    const channel = new Uint32Array(n);
    const value = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const k = done + i;
      ts[i] = start + Math.floor(k / CHANNELS);
      channel[i] = firstChannelId + (k % CHANNELS);
      value[i] = Math.sin(k / 100) * 10 + (k % 7);
    }
    batches.push({ n, ts, channel, value });
  }
  return batches;
}

/** Raw DuckDB Appender: the same rows as pre-built data chunks into the same schema, no engine. */
async function rawAppenderRate(batches: SampleBatch[]): Promise<number> {
  const dir = tempWorkspace();
  try {
    const instance = await openDuckDB(path.join(dir, 'raw.duckdb'), StoreSettings.parse({}));
    const conn = await instance.connect();
    await migrate(conn, 'bench');
    const appender = await conn.createAppender('samples');
    // Build every chunk before the clock starts: the baseline measures DuckDB alone.
    const chunks: DuckDBDataChunk[] = [];
    for (const b of batches) {
      for (let off = 0; off < b.n; off += 2048) {
        const k = Math.min(2048, b.n - off);
        const chunk = DuckDBDataChunk.create([TIMESTAMP, UINTEGER, DOUBLE], k);
        const micros = new BigInt64Array(k);
        writeMicros(micros, b.ts, off, k);
        const cols = [micros, b.channel.subarray(off, off + k), b.value.subarray(off, off + k)];
        cols.forEach((col, c) =>
          bindings.copy_data_to_vector(
            bindings.data_chunk_get_vector(chunk.chunk, c),
            0,
            col.buffer as ArrayBuffer,
            col.byteOffset,
            k * col.BYTES_PER_ELEMENT,
          ),
        );
        chunks.push(chunk);
      }
    }
    const rows = batches.reduce((s, b) => s + b.n, 0);
    const started = performance.now();
    for (const chunk of chunks) appender.appendDataChunk(chunk);
    appender.flushSync();
    const seconds = (performance.now() - started) / 1000;
    appender.closeSync();
    conn.closeSync();
    instance.closeSync();
    return rows / seconds;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The engine path: ingest context → calibration → bus → store (DuckDB appender) and live rings. */
async function engineIngestRate(batchesFor: (firstId: number) => SampleBatch[]): Promise<number> {
  const dir = tempWorkspace();
  try {
    const engine = await Engine.open(dir, { startSources: false, retentionIntervalMs: 3_600_000 });
    const ctx = engine.ingestContext('bench', 'bench');
    const firstId = ctx.channel('ch0');
    for (let c = 1; c < CHANNELS; c++) ctx.channel(`ch${c}`);
    const batches = batchesFor(firstId);
    const rows = batches.reduce((s, b) => s + b.n, 0);
    await engine.store.flush();
    const started = performance.now();
    for (const b of batches) await ctx.emitSamples(b);
    await engine.store.flush();
    const seconds = (performance.now() - started) / 1000;
    const stored = await engine.query('SELECT count(*) FROM samples');
    if (Number(stored.rows[0]![0]) !== rows)
      throw new Error(`engine stored ${String(stored.rows[0]![0])} of ${rows} rows`);
    await engine.close();
    return rows / seconds;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function benchIngest(): Promise<void> {
  const total = 4_000_000;
  // Warm both paths once (JIT, DuckDB allocations), then measure each twice, alternating, and keep the best.
  await rawAppenderRate(makeBatches(200_000, 1));
  await engineIngestRate((id) => makeBatches(200_000, id));
  let raw = 0;
  let engine = 0;
  for (let round = 0; round < 2; round++) {
    raw = Math.max(raw, await rawAppenderRate(makeBatches(total, 1)));
    engine = Math.max(engine, await engineIngestRate((id) => makeBatches(total, id)));
  }
  figure('ingest.engine', engine, 'samples/s');
  figure('ingest.baseline.raw_appender', raw, 'samples/s');
  figure('ingest.ratio', engine / raw, '(target ≥ 0.8)');
  await benchSlowStore();
}

/**
 * Under a slow store (each flush waits SLOW_FLUSH_MS before committing: a slow disk) a feed emits as
 * fast as the ingest stage lets it. The engine's pending work stops at its bound, and so does its
 * memory: the process's peak RSS growth is printed beside the configured bound (store.maxPendingMb,
 * and store.maxPendingRows × 24 bytes a sample, whichever binds first).
 */
async function benchSlowStore(): Promise<void> {
  const SLOW_FLUSH_MS = 300;
  const SECONDS = 6;
  const dir = tempWorkspace();
  try {
    const engine = await Engine.open(dir, { startSources: false, retentionIntervalMs: 3_600_000 });
    const ctx = engine.ingestContext('slow', 'bench');
    const stage = ctx.ingest({ policy: 'pause' });
    const firstId = ctx.channel('ch0');
    for (let c = 1; c < CHANNELS; c++) ctx.channel(`ch${c}`);
    const batches = makeBatches(200_000, firstId);
    global.gc?.();
    const js = () => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const before = process.memoryUsage().rss;
    const jsBefore = js();
    let peak = before;
    let jsPeak = jsBefore;
    const sample = () => {
      peak = Math.max(peak, process.memoryUsage().rss);
      jsPeak = Math.max(jsPeak, js());
    };
    const sampler = setInterval(sample, 20);
    engine.store.flushDelayMsForTests = SLOW_FLUSH_MS;
    let emitted = 0;
    const until = performance.now() + SECONDS * 1000;
    for (let i = 0; performance.now() < until; i++) {
      // Fresh arrays each time, as a decoder hands them out: the store may hold on to them.
      const b = batches[i % batches.length]!;
      const wait = stage.emit(
        { n: b.n, ts: b.ts.slice(0, b.n), channel: b.channel.slice(0, b.n), value: b.value.slice(0, b.n) },
        null,
      );
      emitted += b.n;
      if (wait) await wait;
    }
    clearInterval(sampler);
    sample();
    const bound = Math.min(engine.pending.maxBytes, engine.pending.maxRows * 24);
    engine.store.flushDelayMsForTests = 0;
    await stage.stop();
    note(
      `slow store: ${emitted} samples in ${SECONDS} s with each flush ${SLOW_FLUSH_MS} ms slow; ${engine.pending.peerPauses} waits for room`,
    );
    // RSS holds DuckDB's buffer pool too (up to store.memoryLimitMb); the JS figure is heap and
    // typed arrays, where the pending work lives (with copies a flush's commit holds, and garbage).
    figure('ingest.slow_store.peak_rss_growth', (peak - before) / 1024 ** 2, 'MiB');
    figure('ingest.slow_store.peak_js_growth', (jsPeak - jsBefore) / 1024 ** 2, 'MiB');
    figure('ingest.slow_store.duckdb_memory_limit', engine.store.memoryLimitMb, 'MiB');
    figure('ingest.slow_store.pending_bound', bound / 1024 ** 2, 'MiB');
    figure('ingest.slow_store.peak_pending', engine.pending.peakBytes / 1024 ** 2, 'MiB');
    figure(
      'ingest.slow_store.peak_pending_rows',
      engine.pending.peakRows,
      `rows (bound ${engine.pending.maxRows})`,
    );
    await engine.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function benchDecimation(): void {
  const points = 1_000_000;
  const ring = new RingBuffer(1 << 20);
  const start = Date.now();
  for (let i = 0; i < points; i++) ring.push(start + i * 0.06, Math.sin(i / 50)); // 1M points over 60 s
  const columns = 1000;
  const bucketMs = 60_000 / columns;
  const runs = 50;
  let count = 0;
  const started = performance.now();
  for (let r = 0; r < runs; r++) {
    const out: Buckets = { t: [], min: [], max: [] };
    count = decimateMinMax(ring, ring.seqAtOrAfter(start), ring.written, bucketMs, out);
  }
  const perFrame = (performance.now() - started) / runs;
  figure('decimation.full_window_1M_points', perFrame, 'ms/frame');
  figure('decimation.buckets', count, 'buckets');

  // Steady state: a subscriber's frames at 30/s while 50,000 samples/s arrive; cost per frame.
  const hub = new LiveHub(1 << 20, 30);
  const t0 = Date.now();
  const feed = (fromIndex: number, n: number) => {
    const ts = new Float64Array(n);
    const value = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      ts[i] = t0 + (fromIndex + i) * 0.02;
      value[i] = Math.sin((fromIndex + i) / 30);
    }
    hub.onSamples({ n, ts, channel: new Uint32Array(n), value });
  };
  feed(0, 1_000_000);
  let bytes = 0;
  hub.subscribe(
    { channels: [0], windowMs: 60_000, columns },
    { send: (f) => ((bytes += f.byteLength), true) },
  );
  const frames = 300;
  let spent = 0;
  for (let f = 0; f < frames; f++) {
    feed(1_000_000 + f * 1667, 1667);
    const s = performance.now();
    hub.tick();
    spent += performance.now() - s;
  }
  figure('live.frame_cost_at_50k_samples_per_s', spent / frames, 'ms/frame');
  figure('live.bytes_per_frame', bytes / (frames + 1), 'bytes');
}

async function benchStartup(): Promise<void> {
  if (!fs.existsSync(CHROMIUM)) {
    process.stdout.write(`startup.first_frame: skipped (no ${CHROMIUM})\n`);
    return;
  }
  const dir = tempWorkspace();
  const started = performance.now();
  const served = await startServe(['serve', '--workspace', dir, '--port', '0']);
  try {
    const ready = performance.now();
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(served.url);
      await page.waitForFunction(
        () =>
          Array.from(document.querySelectorAll('[data-points]')).some(
            (e) => Number(e.getAttribute('data-points')) > 0,
          ),
        undefined,
        { timeout: 60_000 },
      );
      const plotted = performance.now();
      figure('startup.serve_ready', ready - started, 'ms');
      figure(
        'startup.first_frame',
        plotted - started,
        'ms (command to first plotted frame, browser launch included)',
      );
    } finally {
      await browser.close();
    }
  } finally {
    await served.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface SoakOptions {
  minutes: number;
  /** Also an MQTT source fed this many messages/s (4 numeric fields each, QoS 0) through Mosquitto. */
  mqttRate: number;
  /** Hours of samples in the workspace before it starts (the last hours before now). */
  prefillHours: number;
  prefillRate: number;
  trace: boolean;
}

/**
 * The demo rig at 100× for N minutes (and, with --mqtt, a QoS 0 MQTT flood through Mosquitto, on
 * a workspace pre-filled with --prefill-hours of data so retention and checkpoints work on a
 * long-used database): RSS, rates, the store's reopen count and lost rows every minute.
 */
const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)}M`;

async function benchSoak(options: SoakOptions): Promise<void> {
  const dir = tempWorkspace();
  const broker = options.mqttRate > 0 ? await TestBroker.start({ maxQueuedMessages: 0 }) : null;
  const sources: unknown[] = [
    { id: 'demo', kind: 'sim', name: 'Demo rig ×100', options: { seed: 1, rateMultiplier: 100 } },
  ];
  if (broker)
    sources.push({
      id: 'flood',
      kind: 'mqtt',
      name: 'MQTT flood',
      options: { url: broker.url, subscriptions: [{ filter: 'bench/#', qos: 0 }] },
    });
  fs.writeFileSync(path.join(dir, 'opsdeck.json'), JSON.stringify({ version: 1, sources }));
  if (options.prefillHours > 0) {
    const started = performance.now();
    const rows = await buildWorkspace(
      dir,
      options.prefillRate,
      options.prefillHours,
      (Date.now() - options.prefillHours * 3_600_000) * 1000,
    );
    figure('soak.prefill.rows', rows, 'rows');
    figure('soak.prefill.seconds', (performance.now() - started) / 1000, 's');
  }
  const engine = await Engine.open(dir);
  // Causes belong beside the figures: a reopen or a loss says why as it happens.
  engine.onNotice((n) => {
    if (n.level !== 'info') note(`${n.level} notice: ${n.message}`);
  });
  let publisher: ReturnType<typeof runPublisher> | null = null;
  // A live subscriber as the console would have, so ring buffers and frames are part of the figure.
  const channels = (await engine.channels()).filter((c) => c.source === 'demo').map((c) => c.id);
  engine.subscribeLive({ channels, windowMs: 60_000, columns: 1200 }, { send: () => true });
  const rss = () => process.memoryUsage().rss / 1024 ** 2;
  let first = 0;
  // Warm-up: DuckDB's cache of table blocks fills to its memory_limit over the first minutes
  // (4–5 at 20,000 msg/s), which is RSS it keeps, not growth.
  const warmupMinutes = Math.min(5, Math.ceil(options.minutes / 3));
  let afterWarmup = 0;
  // --trace: every 10 s, where DuckDB's memory is and how long the log is, to find what a
  // failing checkpoint was short of (the per-minute figures miss the seconds before it).
  const trace = options.trace
    ? setInterval(() => {
        void engine.store
          .read(
            `SELECT tag, memory_usage_bytes, temporary_storage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0 OR temporary_storage_bytes > 0 ORDER BY 2 DESC`,
          )
          .then((rows) => {
            const wal = fs.existsSync(`${engine.store.path}.wal`)
              ? fs.statSync(`${engine.store.path}.wal`).size
              : 0;
            const tags = rows
              .map(
                ([tag, used, temp]) =>
                  `${String(tag).toLowerCase()}=${mib(Number(used))}${Number(temp) ? `+tmp${mib(Number(temp))}` : ''}`,
              )
              .join(' ');
            note(`trace wal=${mib(wal)} ${tags}`);
          })
          .catch((error: Error) => note(`trace failed: ${error.message.split('\n')[0]}`));
      }, 10_000)
    : null;
  try {
    if (broker) {
      const state = () => engine.status().sources.find((s) => s.id === 'flood')?.state;
      for (let i = 0; i < 200 && state() !== 'connected'; i++) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 500)); // the subscription follows the connect
      publisher = runPublisher({
        url: broker.url,
        mode: 'paced',
        qos: 0,
        rate: options.mqttRate,
        seconds: options.minutes * 60 + 30,
        payload: 'env',
        topics: 100,
      });
    }
    // Stored over the whole minute (retention's drops added back): the status's rate covers only
    // its last few seconds, and read 0 whenever a minute ended inside a slow commit.
    let storedBefore = engine.store.storedSamples + engine.store.retentionDropped;
    for (let minute = 1; minute <= options.minutes; minute++) {
      await new Promise((r) => setTimeout(r, 60_000));
      const storedNow = engine.store.storedSamples + engine.store.retentionDropped;
      const perSecond = (storedNow - storedBefore) / 60;
      storedBefore = storedNow;
      const now = rss();
      if (minute === 1) first = now;
      if (minute === warmupMinutes) afterWarmup = now;
      const s = engine.status();
      const flood = s.sources.find((x) => x.id === 'flood');
      figure(`soak.minute_${minute}.rss`, now, 'MiB');
      figure(`soak.minute_${minute}.samples_per_s`, perSecond, 'samples/s');
      if (flood) figure(`soak.minute_${minute}.mqtt_msgs_per_s`, flood.messageRate, 'msg/s');
      figure(`soak.minute_${minute}.stored_samples`, s.storedSamples, 'rows');
      figure(`soak.minute_${minute}.database`, s.databaseBytes / 1024 ** 2, 'MiB');
      figure(`soak.minute_${minute}.store_reopens`, engine.store.reopens, '');
      figure(`soak.minute_${minute}.checkpoints`, engine.store.checkpoints, '');
      figure(`soak.minute_${minute}.lost_rows`, s.lostRows, 'rows');
      figure(`soak.minute_${minute}.shed`, s.shed, 'messages');
      figure(`soak.minute_${minute}.live_ring`, engine.live.allocatedBytes() / 1024 ** 2, 'MiB');
      // What DuckDB's memory_limit is spent on, so a limit that runs out shows where it went.
      const tags = await engine.store
        .read(`SELECT tag, memory_usage_bytes FROM duckdb_memory() ORDER BY 2 DESC LIMIT 4`)
        .catch(() => []);
      for (const [tag, bytes] of tags)
        figure(`soak.minute_${minute}.duckdb.${String(tag).toLowerCase()}`, Number(bytes) / 1024 ** 2, 'MiB');
    }
    figure('soak.rss_growth_after_minute_1', (rss() - first) / first, '');
    figure(
      `soak.rss_growth_after_minute_${warmupMinutes}`,
      (rss() - afterWarmup) / afterWarmup,
      '(warm-up over; target ≤ 0.10)',
    );
    figure('soak.store_memory_limit', engine.store.memoryLimitMb, 'MiB');
    figure('soak.error_notices', engine.notices().filter((n) => n.level === 'error').length, '');
  } finally {
    if (trace) clearInterval(trace);
    publisher?.kill();
    await engine.close();
    await broker?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const [which = 'all', ...rest] = process.argv.slice(2);
  if (which === 'mqtt-publisher') return mqttPublisherMain(rest);
  if (which === 'checkpoint-memory-attempt') return checkpointMemoryAttemptMain(rest);
  if (which === 'checkpoint-memory-log') return checkpointMemoryLogMain(rest);
  const flag = (name: string) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const minutesFlag = rest.indexOf('--minutes');
  const minutes = minutesFlag >= 0 ? Number(rest[minutesFlag + 1]) : 10;
  const onlyFlag = rest.indexOf('--only');
  const mqttParts = onlyFlag >= 0 ? (rest[onlyFlag + 1] ?? '').split(',') : undefined;
  if (which === 'ingest' || which === 'all') await benchIngest();
  if (which === 'decimation' || which === 'all') benchDecimation();
  if (which === 'startup' || which === 'all') await benchStartup();
  if (which === 'mqtt' || which === 'all') await benchMqtt(mqttParts);
  if (which === 'serial' || which === 'all') await benchSerial();
  if (which === 'alerts' || which === 'all') benchAlerts();
  if (which === 'channels' || which === 'all') await benchChannels();
  if (which === 'records' || which === 'all') await benchRecords();
  if (which === 'investigate') await benchInvestigate(Number(flag('--records') ?? 10_000_000));
  if (which === 'syslog' || which === 'all') await benchSyslog();
  if (which === 'masking' || which === 'all') await benchMasking();
  if (which === 'kafka')
    await benchKafka(Number(flag('--messages') ?? 1_000_000), flag('--only')?.split(','));
  if (which === 'logs') await benchLogs(Number(flag('--size') ?? 1024), flag('--only'));
  if (which === 'replay')
    await benchReplay({
      hours: Number(flag('--hours') ?? 24),
      seeks: Number(flag('--seeks') ?? 100),
      replayHours: Number(flag('--replay-hours') ?? 4),
      memoryMb: flag('--memory-mb') === undefined ? undefined : Number(flag('--memory-mb')),
    });
  if (which === 'soak')
    await benchSoak({
      minutes,
      mqttRate: Number(flag('--mqtt') ?? 0),
      prefillHours: Number(flag('--prefill-hours') ?? 0),
      prefillRate: Number(flag('--prefill-rate') ?? 1000),
      trace: rest.includes('--trace'),
    });
  if (which === 'checkpoint-memory')
    await benchCheckpointMemory(
      (flag('--rates') ?? '100,1000,2000').split(',').map(Number),
      Number(flag('--hours') ?? 24),
      flag('--only')?.split(','),
    );
}

main().catch((error: Error) => {
  process.stderr.write(`bench: ${error.stack ?? error.message}\n`);
  process.exit(1);
});

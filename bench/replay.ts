// Replay: a generated 24-hour, 100-channel, 10 Hz capture (86.4 M samples) in a workspace.
// Seek latency to the first frame (each channel's value at the cursor, and the plot's window of
// min/max buckets ending there) over random seeks; replay throughput at "max" (samples/s through
// the replay session: read, bus, live view, one alert rule) beside a bare DuckDB read of the same
// range in the same run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../electron/engine/engine';
import { readSamples } from '../electron/engine/replay/read';
import { figure, note } from './report';

const CHANNELS = 100;
const PERIOD_MS = 100;
const HOUR = 3_600_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function benchReplay(options: {
  hours: number;
  seeks: number;
  replayHours: number;
  /** DuckDB's memory_limit for the workspace (store.memoryLimitMb); absent: the workspace default. */
  memoryMb?: number | undefined;
}): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsdeck-bench-replay-'));
  fs.writeFileSync(
    path.join(dir, 'opsdeck.json'),
    JSON.stringify({
      version: 1,
      sources: [],
      rules: [{ id: 'ch000-high', kind: 'threshold', channel: 'rig/ch000', above: 0.9, lateness: 0 }],
      ...(options.memoryMb ? { store: { memoryLimitMb: options.memoryMb } } : {}),
    }),
  );
  const engine = await Engine.open(dir, { startSources: false });
  try {
    const rig = engine.ingestContext('rig', 'bench');
    const ids = Array.from({ length: CHANNELS }, (_v, k) => rig.channel(`ch${String(k).padStart(3, '0')}`));
    await engine.store.flush();
    // Ending an hour ago: recent enough that the workspace's retention keeps every row.
    const t0 = Math.floor(Date.now() / HOUR) * HOUR - (options.hours + 1) * HOUR;
    const values = ids.map((id, k) => `(${id}, ${k})`).join(',');
    const started = performance.now();
    // An hour at a time, in time order (as a live capture is stored).
    for (let h = 0; h < options.hours; h++) {
      const first = (h * HOUR) / PERIOD_MS;
      await engine.store.write(
        `INSERT INTO samples SELECT make_timestamp((${t0}::BIGINT + i * ${PERIOD_MS}) * 1000), c.id,
           sin(i / 50.0 + c.k) FROM range(${first}, ${first + HOUR / PERIOD_MS}) r(i), (VALUES ${values}) c(id, k)
         ORDER BY i`,
        [],
      );
    }
    await engine.store.write('CHECKPOINT', []);
    const total = (options.hours * HOUR * CHANNELS) / PERIOD_MS;
    note(`generated ${total} samples in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    figure('replay.capture_samples', total, 'samples');
    figure('replay.store_memory_limit', engine.store.memoryLimitMb, 'MiB');

    // Seeks: the frame at the cursor, then what the plot draws (60 s of min/max buckets, 100 channels).
    const span = options.hours * HOUR;
    const frameMs: number[] = [];
    const firstFrameMs: number[] = [];
    for (let i = 0; i < options.seeks; i++) {
      const at = t0 + Math.random() * span;
      const a = performance.now();
      await engine.replay.frame({ at, lookbackMs: 10_000 });
      const b = performance.now();
      await engine.series(ids, at - 60_000, at, 2_000);
      const c = performance.now();
      frameMs.push(b - a);
      firstFrameMs.push(c - a);
    }
    frameMs.sort((x, y) => x - y);
    firstFrameMs.sort((x, y) => x - y);
    figure('replay.seek.values_p50', percentile(frameMs, 50), 'ms');
    figure('replay.seek.values_p99', percentile(frameMs, 99), 'ms');
    figure(
      'replay.seek.first_frame_p50',
      percentile(firstFrameMs, 50),
      'ms (values + 100-channel plot window)',
    );
    figure('replay.seek.first_frame_p99', percentile(firstFrameMs, 99), 'ms (target < 200)');

    // Throughput: the same range through the replay session at "max", and read bare.
    const from = t0 + Math.floor((options.hours - options.replayHours) / 2) * HOUR;
    const to = from + options.replayHours * HOUR;
    const bareStart = performance.now();
    const bare = await readSamples(engine.store, { after: from, upTo: to, inclusive: true }, () => undefined);
    const bareMs = performance.now() - bareStart;
    const opened = await engine.replay.start({ from, to, speed: 'max', loop: false });
    const replay = engine.replay.get(opened.id);
    const replayStart = performance.now();
    await replay.runToEnd();
    const replayMs = performance.now() - replayStart;
    const played = replay.status().samples;
    engine.replay.close(opened.id);
    const rawStart = performance.now();
    const raw = await engine.store.stream(
      `SELECT ts, channel_id, value FROM samples WHERE ts >= make_timestamp(${from * 1000}::BIGINT) AND ts <= make_timestamp(${to * 1000}::BIGINT)`,
    );
    let rawRows = 0;
    try {
      for (let chunk = await raw.next(); chunk && chunk.rowCount > 0; chunk = await raw.next())
        rawRows += chunk.rowCount;
    } finally {
      raw.close();
    }
    const rawMs = performance.now() - rawStart;
    figure('replay.range_samples', played, `samples (${options.replayHours} h)`);
    figure('replay.max_speed', played / (replayMs / 1000), 'samples/s (target ≥ 5,000,000)');
    figure(
      'replay.baseline.duckdb_chunks',
      rawRows / (rawMs / 1000),
      'samples/s (bare query, chunks fetched)',
    );
    figure(
      'replay.baseline.typed_columns',
      bare / (bareMs / 1000),
      'samples/s (read into typed arrays, no session)',
    );
    figure('replay.ratio', played / replayMs / (rawRows / rawMs), '');
  } finally {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

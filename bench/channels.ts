// The channel browser against the whole list: 2 sources × 10,000 channels (50 devices × 200 fields
// each, as a busy broker), stored in a real workspace. Figures: a level of the tree, a search, and
// the first page of a 10,000-row level, each through the engine's directory, next to reading the
// whole list (what the console used to fetch) — time and JSON bytes a console would receive.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../electron/engine/engine';
import { figure, note } from './report';

const SOURCES = ['plant', 'lab'];
const DEVICES = 50;
const FIELDS = 200;
const ROUNDS = 20;

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  let value = await run(); // warm: the catalog is built once
  const started = performance.now();
  for (let i = 0; i < ROUNDS; i++) value = await run();
  return { ms: (performance.now() - started) / ROUNDS, value };
}

export async function benchChannels(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsdeck-bench-channels-'));
  const engine = await Engine.open(dir, { startSources: false, watchConfig: false });
  try {
    const now = Date.now();
    for (const source of SOURCES) {
      const ctx = engine.ingestContext(source, 'bench');
      const n = DEVICES * FIELDS;
      const batch = {
        n,
        ts: new Float64Array(n).fill(now),
        channel: new Uint32Array(n),
        value: new Float64Array(n),
      };
      for (let d = 0; d < DEVICES; d++)
        for (let f = 0; f < FIELDS; f++) batch.channel[d * FIELDS + f] = ctx.channel(`site/dev${d}/f${f}`);
      await ctx.emitSamples(batch);
    }
    await engine.store.flush();
    note(`${SOURCES.length * DEVICES * FIELDS} channels stored`);
    const dirs = engine.channelDirectory;
    const whole = await timed(() => engine.channels());
    const level = await timed(() => dirs.browse({ source: 'plant', prefix: 'site', offset: 0, limit: 100 }));
    const device = await timed(() =>
      dirs.browse({ source: 'plant', prefix: 'site/dev7', offset: 0, limit: 100 }),
    );
    const search = await timed(() => dirs.browse({ search: 'dev42 f17', offset: 0, limit: 100 }));
    const bytes = (v: unknown) => JSON.stringify(v).length / 1024;
    figure('channels.whole_list', whole.ms, 'ms');
    figure('channels.whole_list.bytes', bytes(whole.value), 'KiB');
    figure('channels.browse_level', level.ms, 'ms');
    figure('channels.browse_device_page', device.ms, 'ms');
    figure('channels.browse_device_page.bytes', bytes(device.value), 'KiB');
    figure('channels.search', search.ms, 'ms');
    figure('channels.search.ratio_to_whole_list', search.ms / whole.ms, '×');
  } finally {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// A process that ingests hard through an engine, to be killed with SIGKILL (ingest test). Bundled
// by the test with Vite and run with node. Arguments: the workspace, a side file, an input file,
// and a mode:
// - `crash`: feeds numbered samples (0, 1, 2, … on channel feed/seq, 10,000 a batch) and appends
//   to the side file the last number of every batch whose ticket settled as durable, the moment
//   it settles; meanwhile reads the input file (one number a line) through a test source that
//   saves its byte offset as its position. Runs until killed.
// - `finish`: the test source only: resumes from its saved position, reads to the end of the file,
//   waits until everything is durable, closes the engine and prints {"done":true}.
// - `sources`: runs the workspace's own sources (a tail source, say) until killed, printing the
//   records stored every 100 ms ({"records":N}); with a number as the input file argument, until the records table holds that many rows, then a little longer
//   (to see any row stored twice), then closes and prints {"done":true}.
import fs from 'node:fs';
import { FrameDecoder } from '../../electron/engine/decode/registry';
import { Engine } from '../../electron/engine/engine';
import { LineFramer } from '../../electron/engine/ingest/framers/lines';
import { plotterDecoder } from '../../electron/engine/sources/serial/plotter';

const [dir, sideFile, inputFile, mode] = process.argv.slice(2) as [string, string, string, string];
const CHUNK_BYTES = 4_096;
const FEED_ROWS = 10_000;

const engine = await Engine.open(dir, { startSources: mode === 'sources', flushIntervalMs: 50 });

/** A file as a source: reads lines from its saved byte offset, saving the offset with the rows. */
async function readFile(): Promise<void> {
  const ctx = engine.ingestContext('file', 'file');
  const decoder = new FrameDecoder(
    'file',
    {
      channel: (path, unit) => ctx.channel(path, unit),
      quarantine: (raw, reason, where) => ctx.quarantine(raw, reason, where),
    },
    { candidates: [plotterDecoder], choose: () => 'plotter', channelPath: (_key, path) => path },
  );
  const stage = ctx.ingest({ decoder, framer: new LineFramer(1_024), policy: 'pause' });
  const saved = (await ctx.positions()).get('offset');
  let offset = saved === undefined ? 0 : (JSON.parse(saved) as { offset: number }).offset;
  const fd = fs.openSync(inputFile, 'r');
  const buffer = Buffer.alloc(CHUNK_BYTES);
  for (;;) {
    const read = fs.readSync(fd, buffer, 0, CHUNK_BYTES, offset);
    if (read === 0) break;
    // Whole lines only: a position must never fall inside a line the framer still holds.
    const end = buffer.subarray(0, read).lastIndexOf(0x0a) + 1;
    offset += end;
    stage.pushBytes(
      new Uint8Array(buffer.subarray(0, end)),
      { rx: Date.now(), key: 'file', where: inputFile },
      { key: 'offset', value: JSON.stringify({ offset }) },
    );
    if (stage.full) await stage.pauseUntilRoom();
    await new Promise((r) => setTimeout(r, 2));
  }
  fs.closeSync(fd);
  await stage.stop();
}

/** Numbered samples as fast as the store takes them; settled tickets go to the side file. */
async function feed(): Promise<void> {
  const ctx = engine.ingestContext('feed', 'bench');
  const stage = ctx.ingest({ policy: 'pause' });
  const channel = ctx.channel('seq');
  const side = fs.openSync(sideFile, 'a');
  for (let next = 0; ; next += FEED_ROWS) {
    const ts = new Float64Array(FEED_ROWS);
    const value = new Float64Array(FEED_ROWS);
    const now = Date.now();
    for (let i = 0; i < FEED_ROWS; i++) {
      ts[i] = now + i / 1000;
      value[i] = next + i;
    }
    const wait = stage.emit(
      { n: FEED_ROWS, ts, channel: new Uint32Array(FEED_ROWS).fill(channel), value },
      null,
    );
    const last = next + FEED_ROWS - 1;
    stage.onDurable((error) => {
      if (!error) fs.writeSync(side, `${last}\n`);
    });
    if (wait) await wait;
    await new Promise((r) => setImmediate(r));
  }
}

/** Until the records table holds `expected` rows (a second more, for any stored twice). */
async function runSources(expected: number): Promise<void> {
  const count = async () => Number((await engine.query('SELECT count(*)::DOUBLE FROM records')).rows[0]![0]);
  while ((await count()) < expected) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1_000));
}

if (mode === 'sources') {
  if (inputFile === '-') {
    for (;;) {
      const r = await engine.query('SELECT count(*)::DOUBLE FROM records');
      process.stdout.write(JSON.stringify({ records: r.rows[0]![0] }) + '\n');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } else {
    await runSources(Number(inputFile));
    await engine.close();
    process.stdout.write(JSON.stringify({ done: true }) + '\n');
  }
} else if (mode === 'crash') {
  void feed();
  void readFile();
} else {
  await readFile();
  await engine.close();
  process.stdout.write(JSON.stringify({ done: true }) + '\n');
}

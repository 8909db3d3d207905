// Group mode exactly once, against a real Kafka (test/helpers/kafka.ts): an engine in its own
// process (test/helpers/kafka-child.ts) is killed with SIGKILL at three points mid-stream and
// started again; at the end every message is in DuckDB exactly once, and the group's committed
// offsets have caught up. Then the broker is restarted mid-stream, under a group-mode and an
// inspect-mode source: the source shows that it is reconnecting and why, recovers, and again
// nothing is lost or doubled.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { root } from '../helpers/cli';
import { KafkaBroker } from '../helpers/kafka';
import { tempDir, waitFor } from '../helpers/tmp';

const MESSAGES = 40_000;
const PARTITIONS = 4;
const KILLS = 3;
/** Run i is killed once the workspace holds (i + 1) × this many records, plus KILL_DELAYS_MS[i]. */
const RECORDS_PER_RUN = 8_000;
/** Varies where in the flush cycle (appending, committing, committing to Kafka) each kill falls. */
const KILL_DELAYS_MS = [0, 170, 430];

let tmp: ReturnType<typeof tempDir>;
let broker: KafkaBroker;
beforeAll(async () => {
  tmp = tempDir();
  broker = await KafkaBroker.start({ version: '4.1.1' });
}, 300_000);
afterAll(async () => {
  await broker?.close();
  tmp?.cleanup();
});

/** A workspace reading `topic` in group mode as `groupId`, or in inspect mode when it is null. */
function workspace(name: string, topic: string, groupId: string | null): string {
  const dir = path.join(tmp.dir, name);
  fs.mkdirSync(dir, { recursive: true });
  const source = {
    id: 'k',
    kind: 'kafka',
    name: 'kafka',
    options: {
      brokers: [broker.bootstrap],
      topics: [topic],
      ...(groupId === null ? { mode: 'inspect' } : { mode: 'group', groupId }),
      start: { from: 'earliest' },
      decoders: [{ topic, decoder: 'json' }],
      sessionTimeoutMs: 6_000,
      reconnectMinMs: 200,
      reconnectMaxMs: 2_000,
      // Small fetches: the stream is cut between many batches, not inside one large one.
      maxBytesPerPartition: 16_384,
    },
  };
  // A small pending budget: the consumer pauses its partitions often (back-pressure under test too).
  fs.writeFileSync(
    path.join(dir, 'opsdeck.json'),
    JSON.stringify({ version: 1, sources: [source], store: { maxPendingRows: 2_000 } }),
  );
  return dir;
}

function produce(topic: string, from: number, to: number): void {
  for (let p = 0; p < PARTITIONS; p++) {
    const lines: string[] = [];
    for (let i = from + p; i < to; i += PARTITIONS) lines.push(`{"seq":${i},"host":"h${i % 7}"}`);
    broker.produce(topic, lines, { partition: p, batchMessages: 100 });
  }
}

async function committedTotal(groupId: string, topic: string): Promise<number> {
  const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

/** test/helpers/kafka-child.ts bundled for node (beside the build, so its imports resolve). */
async function bundleChild(): Promise<string> {
  const outDir = path.join(root, 'out', 'test');
  await build({
    configFile: false,
    logLevel: 'silent',
    root,
    build: {
      ssr: path.join(root, 'test/helpers/kafka-child.ts'),
      outDir,
      emptyOutDir: false,
      target: 'node20',
      rolldownOptions: { output: { format: 'es', entryFileNames: 'kafka-child.mjs' } },
    },
  });
  return path.join(outDir, 'kafka-child.mjs');
}

describe('group mode', () => {
  it('stores every message exactly once across three kill -9s of the engine', async () => {
    const topic = 'exactly-once';
    const groupId = 'opsdeck-eo';
    broker.createTopic(topic, PARTITIONS);
    produce(topic, 0, MESSAGES);
    const child = await bundleChild();
    const dir = workspace('eo', topic, groupId);

    for (let run = 0; run < KILLS; run++) {
      const proc = spawn(process.execPath, [child, dir, '150'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let last = { records: 0, state: '', error: null as string | null };
      proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      let buffered = '';
      proc.stdout!.on('data', (d: Buffer) => {
        buffered += d.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        if (lines.length) last = JSON.parse(lines.at(-1)!) as typeof last;
      });
      try {
        await waitFor(
          `run ${run}: records stored`,
          () => {
            if (proc.exitCode !== null) throw new Error(`the engine exited: ${stderr}`);
            return last.records >= (run + 1) * RECORDS_PER_RUN;
          },
          90_000,
        );
        await new Promise((r) => setTimeout(r, KILL_DELAYS_MS[run]));
      } finally {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGKILL');
        await exited;
      }
    }

    const seq = `channel = 'k/${topic}/seq'`;
    const stopped = await Engine.open(dir, { startSources: false });
    try {
      // The kills fell mid-stream: some, not all, had been stored.
      const before = Number((await stopped.query(`SELECT count(*) FROM samples_v WHERE ${seq}`)).rows[0]![0]);
      expect(before).toBeGreaterThan(0);
      expect(before).toBeLessThan(MESSAGES);
    } finally {
      await stopped.close();
    }
    const engine = await Engine.open(dir, { flushIntervalMs: 50 });
    try {
      await waitFor(
        'every message stored',
        async () =>
          Number(
            (await engine.query(`SELECT count(DISTINCT value) FROM samples_v WHERE ${seq}`)).rows[0]![0],
          ) === MESSAGES,
        120_000,
      );
      const r = await engine.query(
        `SELECT count(*)::DOUBLE, count(DISTINCT value)::DOUBLE, min(value), max(value) FROM samples_v WHERE ${seq}`,
      );
      expect(r.rows[0]).toEqual([MESSAGES, MESSAGES, 0, MESSAGES - 1]);
      const records = await engine.query(
        `SELECT count(*)::DOUBLE, count(DISTINCT (fields->>'$.kafka.partition') || ':' || (fields->>'$.kafka.offset'))::DOUBLE FROM records_v WHERE source = 'k'`,
      );
      expect(records.rows[0]).toEqual([MESSAGES, MESSAGES]);
      // Kafka hears the offsets after the rows are durable.
      await waitFor(
        'the group committed everything',
        async () => (await committedTotal(groupId, topic)) === MESSAGES,
      );
    } finally {
      await engine.close();
    }
  }, 600_000);
});

describe('a broker restarted mid-stream', () => {
  it.each([
    ['group', 'restarted', 'opsdeck-restart'],
    ['inspect', 'restarted-inspect', null],
  ] as const)(
    '%s mode: shows the source reconnecting and why, then recovers with nothing lost or doubled',
    async (_mode, topic, groupId) => {
      broker.createTopic(topic, PARTITIONS);
      produce(topic, 0, MESSAGES / 2);
      const engine = await Engine.open(workspace('restart', topic, groupId), { flushIntervalMs: 50 });
      try {
        engine.store.flushDelayMsForTests = 100; // the stream lasts long enough to be cut
        const seq = `channel = 'k/${topic}/seq'`;
        const stored = async () =>
          Number((await engine.query(`SELECT count(*) FROM samples_v WHERE ${seq}`)).rows[0]![0]);
        await waitFor('the first messages stored', async () => (await stored()) >= 2_000, 60_000);
        const states = new Set<string>();
        const errors = new Set<string>();
        const watch = setInterval(() => {
          const s = engine.status().sources.find((x) => x.id === 'k')!;
          states.add(s.state);
          if (s.state === 'reconnecting' && s.lastError) errors.add(s.lastError);
        }, 50);
        try {
          await broker.stop();
          await waitFor('the source to show it lost the broker', () => states.has('reconnecting'), 60_000);
          // …and why, in the words of the connection that failed.
          await waitFor('the reason shown', () => errors.size > 0, 60_000);
          await broker.restart();
          produce(topic, MESSAGES / 2, MESSAGES);
          await waitFor(
            'every message stored after the restart',
            async () =>
              Number(
                (await engine.query(`SELECT count(DISTINCT value) FROM samples_v WHERE ${seq}`)).rows[0]![0],
              ) === MESSAGES,
            120_000,
          );
        } finally {
          clearInterval(watch);
        }
        const r = await engine.query(
          `SELECT count(*)::DOUBLE, count(DISTINCT value)::DOUBLE FROM samples_v WHERE ${seq}`,
        );
        expect(r.rows[0]).toEqual([MESSAGES, MESSAGES]);
        expect(engine.status().sources.find((x) => x.id === 'k')!.state).toBe('connected');
      } finally {
        await engine.close();
      }
    },
    300_000,
  );
});

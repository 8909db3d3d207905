// Kafka: 1,000,000 pre-produced JSON messages (~100 bytes) on 4 partitions, read in the same run by
// `kcat -C` to a line counter, by a bare kafkajs consumer that only parses each message, and by the
// engine into DuckDB (decoded, and durable: timed until the saved offsets cover every message) in
// group mode and in inspect mode. Prints the figures and the ratios. Never pass/fail.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import inspector from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Engine } from '../electron/engine/engine';
import { KafkaBroker, KCAT } from '../test/helpers/kafka';
import { figure, note } from './report';

const PARTITIONS = 4;

function timed(command: string, args: string[]): Promise<{ ms: number; out: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve({ ms: performance.now() - started, out })
        : reject(new Error(`${command} exited ${code}: ${err}`)),
    );
  });
}

/** kafkajs's own consumer, parsing every message and nothing more: the library's ceiling here. */
async function bareConsumer(bootstrap: string, topic: string, total: number): Promise<number> {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-bare-${Date.now()}`, maxBytesPerPartition: 1024 ** 2 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let sum = 0;
  const started = performance.now();
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) sum += (JSON.parse(m.value!.toString()) as { seq: number }).seq;
      seen += batch.messages.length;
      if (seen >= total) resolveDone();
    },
  });
  await done;
  const ms = performance.now() - started;
  await consumer.disconnect();
  if (sum < 0) note('impossible'); // keeps the parse from being optimised away
  return ms;
}

/**
 * Runs one reader, noting the CPU time this process used meanwhile (every thread: DuckDB's too),
 * which a loaded machine disturbs less than the wall time. With OPSDECK_BENCH_CPU_PROFILE=dir, a
 * CPU profile of that run alone (the engine's: from opening the workspace until its offsets cover
 * the topic) is written there as `<name>.cpuprofile`.
 */
async function profiled<T>(name: string, total: number, run: () => Promise<T>): Promise<T> {
  const dir = process.env['OPSDECK_BENCH_CPU_PROFILE'];
  const session = dir ? new inspector.Session() : null;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
  }
  const cpu = process.cpuUsage();
  const wall = performance.now();
  try {
    return await run();
  } finally {
    const used = process.cpuUsage(cpu);
    const ms = (used.user + used.system) / 1000;
    note(
      `${name}: this process used ${Math.round(ms)} ms of CPU in ${Math.round(performance.now() - wall)} ms`,
    );
    figure(`kafka.cpu_us_per_message.${name}`, (ms * 1000) / total, 'µs');
    if (session && dir) {
      const { profile } = await session.post('Profiler.stop');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
      note(`CPU profile of the ${name} run: ${path.join(dir, `${name}.cpuprofile`)}`);
    }
  }
}

/** The engine reading the topic into a fresh workspace; timed until the saved offsets cover it all. */
async function engineRun(
  bootstrap: string,
  topic: string,
  total: number,
  mode: 'group' | 'inspect',
): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsdeck-bench-kafka-'));
  const options = {
    brokers: [bootstrap],
    topics: [topic],
    mode,
    ...(mode === 'group' ? { groupId: `bench-engine-${Date.now()}` } : {}),
    start: { from: 'earliest' },
    decoders: [{ topic, decoder: 'json' }],
  };
  fs.writeFileSync(
    path.join(dir, 'opsdeck.json'),
    JSON.stringify({ version: 1, sources: [{ id: 'k', kind: 'kafka', name: 'bench', options }] }),
  );
  let engine: Engine | undefined;
  let opened = 0;
  let firstStored = 0;
  try {
    const ms = await profiled(mode, total, async () => {
      const started = performance.now();
      const e = (engine = await Engine.open(dir));
      opened = performance.now() - started;
      for (;;) {
        const saved = (await e.store.positions('k')).get('offsets');
        const covered = saved
          ? Object.values(JSON.parse(saved) as Record<string, number>).reduce((a, b) => a + b, 0)
          : 0;
        if (covered > 0 && firstStored === 0) firstStored = performance.now() - started;
        if (covered >= total) return performance.now() - started;
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    const rows = await engine!.query(`SELECT count(*) FROM records_v WHERE source = 'k'`);
    const budget = engine!.pending;
    const checkpoints = engine!.store.checkpoints;
    const [blocks] = await engine!.store.read(
      'SELECT used_blocks * block_size, free_blocks * block_size FROM pragma_database_size()',
    );
    const mib = (bytes: unknown) => Math.round(Number(bytes) / 1024 ** 2);
    note(
      `${mode}: ${String(rows.rows[0]![0])} records stored; workspace open after ${Math.round(opened)} ms, first rows durable after ${Math.round(firstStored)} ms; ` +
        `the consumer paused ${budget.peerPauses} times for room (peak pending ${budget.peakRows} rows, ${Math.round(budget.peakBytes / 1024 ** 2)} MiB); ` +
        `${checkpoints} checkpoints meanwhile; the database file holds ${mib(blocks![0])} MiB of blocks in use and ${mib(blocks![1])} MiB free`,
    );
    return ms;
  } finally {
    await engine?.close();
    const file = path.join(dir, 'data.duckdb');
    if (fs.existsSync(file))
      note(
        `${mode}: the workspace's database is ${Math.round(fs.statSync(file).size / 1024 ** 2)} MiB once closed`,
      );
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Which readers to run (`--only kcat,kafkajs,group,inspect`); all by default. */
export type KafkaBenchPart = 'kcat' | 'kafkajs' | 'group' | 'inspect';
const ALL_PARTS: readonly KafkaBenchPart[] = ['kcat', 'kafkajs', 'group', 'inspect'];

export async function benchKafka(total = 1_000_000, parts: readonly string[] = ALL_PARTS): Promise<void> {
  const run = (part: KafkaBenchPart) => parts.includes(part);
  const broker = await KafkaBroker.start({ version: '3.9.1' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsdeck-bench-kafka-'));
  try {
    const topic = 'bench';
    broker.createTopic(topic, PARTITIONS);
    const file = path.join(dir, 'messages.jsonl');
    const fd = fs.openSync(file, 'w');
    let chunk = '';
    for (let i = 0; i < total; i++) {
      chunk += `{"seq":${i},"host":"web-${String(i % 16).padStart(2, '0')}","rule":"Write below etc","level":"Warning","value":${(i % 1000) / 10}}\n`;
      if (chunk.length > 1 << 20) {
        fs.writeSync(fd, chunk);
        chunk = '';
      }
    }
    fs.writeSync(fd, chunk);
    fs.closeSync(fd);
    note(
      `producing ${total} messages (${Math.round(fs.statSync(file).size / total)} bytes each) on ${PARTITIONS} partitions`,
    );
    await timed(KCAT, ['-P', '-b', broker.bootstrap, '-t', topic, '-z', 'none', '-l', file]);

    let kcatRate = NaN;
    if (run('kcat')) {
      const kcat = await timed('sh', [
        '-c',
        `${KCAT} -C -b ${broker.bootstrap} -t ${topic} -o beginning -e -q -f '%o\\n' | wc -l`,
      ]);
      if (Number(kcat.out.trim()) !== total) note(`kcat counted ${kcat.out.trim()}, not ${total}`);
      kcatRate = total / (kcat.ms / 1000);
      figure('kafka.baseline.kcat', kcatRate, 'msg/s');
    }
    let bareRate = NaN;
    if (run('kafkajs')) {
      bareRate =
        total /
        ((await profiled('kafkajs', total, () => bareConsumer(broker.bootstrap, topic, total))) / 1000);
      figure('kafka.baseline.kafkajs', bareRate, 'msg/s');
    }
    if (run('group')) {
      const groupRate = total / ((await engineRun(broker.bootstrap, topic, total, 'group')) / 1000);
      figure('kafka.ingest.group', groupRate, 'msg/s');
      figure('kafka.ratio.group_vs_kafkajs', groupRate / bareRate, '');
      figure('kafka.ratio.group_vs_kcat', groupRate / kcatRate, '');
    }
    if (run('inspect')) {
      const inspectRate = total / ((await engineRun(broker.bootstrap, topic, total, 'inspect')) / 1000);
      figure('kafka.ingest.inspect', inspectRate, 'msg/s');
      figure('kafka.ratio.inspect_vs_kafkajs', inspectRate / bareRate, '');
    }
    figure('kafka.ratio.kafkajs_vs_kcat', bareRate / kcatRate, '');
  } finally {
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Live logs benchmarks, each printed beside a baseline measured in the same run:
// - `syslog`: RFC 5424 messages over TCP (one connection, a line each) and UDP into the syslog
//   source, stored in DuckDB, against a bare Node socket that only splits and counts the same
//   messages. TCP: messages/s until the last is stored. UDP: the highest of a few offered rates at
//   which every datagram was stored (none shed, none dropped by the kernel).
// - `masking`: records/s through the ingest stage into DuckDB with every built-in rule on, against
//   the same with masking off; and the masking step alone.
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { recordBatch, type RecordBatch } from '../electron/engine/batch';
import { Engine } from '../electron/engine/engine';
import { Masker, rulesFor } from '../electron/engine/pipeline/masking';
import { MASK_RULE_NAMES } from '../shared/masking';
import { figure, note } from './report';

const TCP_MESSAGES = 200_000;
const UDP_MESSAGES = 50_000;
/** Offered UDP rates, messages/s, tried in order until one loses messages. */
const UDP_RATES = [1_000, 2_000, 5_000, 10_000, 20_000, 40_000, 80_000];
const MASK_ROWS = 200_000;

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'opsdeck-bench-'));
}

function message(i: number): string {
  return `<134>1 2026-11-30T01:00:00.000Z rig-${i % 8} pumpd ${1000 + (i % 50)} PUMP [m@32473 seq="${i}"] pressure ${i % 97} bar on line ${i % 5}`;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

async function withEngine<T>(
  options: Record<string, unknown>,
  run: (engine: Engine) => Promise<T>,
): Promise<T> {
  const dir = tempDir();
  const source = { id: 'syslog', kind: 'syslog', name: 'Syslog', options };
  fs.writeFileSync(
    path.join(dir, 'opsdeck.json'),
    JSON.stringify({ version: 2, name: 'bench', sources: [source] }),
  );
  const engine = await Engine.open(dir);
  try {
    return await run(engine);
  } finally {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function storedRecords(engine: Engine): Promise<number> {
  await engine.store.flush();
  return Number((await engine.query('SELECT count(*)::DOUBLE FROM records')).rows[0]![0]);
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

/** Writes every message down one TCP connection, as fast as the receiver reads. */
async function sendTcp(port: number, n: number): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const PER_WRITE = 500;
  for (let i = 0; i < n; i += PER_WRITE) {
    let chunk = '';
    for (let k = i; k < Math.min(n, i + PER_WRITE); k++) chunk += message(k) + '\n';
    if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
  }
  await new Promise<void>((r) => socket.end(() => r()));
}

async function tcpEngine(): Promise<number> {
  const port = await freePort();
  return withEngine({ udpPort: null, tcpPort: port, masking: { rules: [] } }, async (engine) => {
    const t0 = performance.now();
    await sendTcp(port, TCP_MESSAGES);
    await until(async () => (await storedRecords(engine)) >= TCP_MESSAGES);
    return TCP_MESSAGES / ((performance.now() - t0) / 1000);
  });
}

async function tcpBaseline(): Promise<number> {
  let count = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const server = net.createServer((socket) => {
    socket.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) count++;
      if (count >= TCP_MESSAGES) done();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const t0 = performance.now();
  await sendTcp(port, TCP_MESSAGES);
  await all;
  const rate = TCP_MESSAGES / ((performance.now() - t0) / 1000);
  await new Promise((r) => server.close(r));
  return rate;
}

/** Sends n datagrams at `rate` per second (in small bursts every millisecond or so). */
async function sendUdp(port: number, n: number, rate: number): Promise<void> {
  const socket = dgram.createSocket('udp4');
  const payloads = Array.from({ length: n }, (_, i) => Buffer.from(message(i)));
  const t0 = performance.now();
  let sent = 0;
  while (sent < n) {
    const due = Math.min(n, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
    while (sent < due) socket.send(payloads[sent++]!, port, '127.0.0.1');
    await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 50));
  socket.close();
}

/** The highest offered rate at which every datagram arrived (0 if none did). */
async function udpLossless(receive: (rate: number) => Promise<number>): Promise<number> {
  let best = 0;
  for (const rate of UDP_RATES) {
    const got = await receive(rate);
    note(`syslog udp at ${rate}/s: ${got} of ${UDP_MESSAGES}`);
    if (got < UDP_MESSAGES) break;
    best = rate;
  }
  return best;
}

async function udpEngine(rate: number): Promise<number> {
  const port = await freePort();
  return withEngine({ udpPort: port, tcpPort: null, masking: { rules: [] } }, async (engine) => {
    await sendUdp(port, UDP_MESSAGES, rate);
    let last = -1;
    for (;;) {
      await new Promise((r) => setTimeout(r, 300));
      const now = await storedRecords(engine);
      if (now === last || now >= UDP_MESSAGES) return now;
      last = now;
    }
  });
}

async function udpBaseline(rate: number): Promise<number> {
  const port = await freePort();
  const socket = dgram.createSocket('udp4');
  let count = 0;
  socket.on('message', (msg: Buffer) => {
    count += msg.indexOf(0x0a) < 0 ? 1 : 1; // one message a datagram: split means count it
  });
  await new Promise<void>((r) => socket.bind(port, '127.0.0.1', () => r()));
  await sendUdp(port, UDP_MESSAGES, rate);
  await new Promise((r) => setTimeout(r, 300));
  socket.close();
  return count;
}

export async function benchSyslog(): Promise<void> {
  note(
    `syslog: ${TCP_MESSAGES} RFC 5424 messages over TCP; ${UDP_MESSAGES} over UDP at ${UDP_RATES.join(', ')}/s`,
  );
  await tcpBaseline(); // warm
  const baseline = await tcpBaseline();
  const engine = await tcpEngine();
  figure('syslog.tcp.stored', engine, 'msg/s');
  figure('syslog.tcp.baseline.bare_socket', baseline, 'msg/s');
  figure('syslog.tcp.ratio', engine / baseline, '');
  const udpBase = await udpLossless(udpBaseline);
  const udp = await udpLossless(udpEngine);
  figure('syslog.udp.stored_lossless', udp, 'msg/s (highest offered rate with none lost)');
  figure('syslog.udp.baseline.bare_socket', udpBase, 'msg/s');
  figure('syslog.udp.ratio', udpBase ? udp / udpBase : 0, '');
}

/** Log records as a tail or syslog source makes them: some with secrets, most without. */
function maskBatches(): RecordBatch[] {
  const batches: RecordBatch[] = [];
  const PER_BATCH = 2048;
  for (let done = 0; done < MASK_ROWS; done += PER_BATCH) {
    const rows = Array.from({ length: PER_BATCH }, (_, k) => {
      const i = done + k;
      const secret =
        i % 50 === 0
          ? ` user=ops${i}@plant.example`
          : i % 97 === 0
            ? ' Authorization: Bearer abcdef0123456789abcdef'
            : '';
      return {
        ts: 1_764_464_400_000 + i,
        rx: 1_764_464_400_000 + i,
        source: 'feed',
        severity: 'info' as const,
        message: `GET /api/v1/lines/${i % 5000}/items from 10.0.${i % 255}.${i % 13} served in ${i % 97} ms${secret}`,
        fields: {
          host: `web-${i % 8}`,
          status: i % 50 === 0 ? 'error' : 'ok',
          session: `${(i * 7919) % 100000}`,
        },
      };
    });
    batches.push(recordBatch(rows));
  }
  return batches;
}

function copy(batch: RecordBatch): RecordBatch {
  return { ...batch, message: [...batch.message], fields: [...batch.fields] };
}

async function stageRate(batches: RecordBatch[], rules: 'all' | 'off'): Promise<number> {
  const dir = tempDir();
  fs.writeFileSync(
    path.join(dir, 'opsdeck.json'),
    JSON.stringify({ version: 2, name: 'bench', sources: [] }),
  );
  const engine = await Engine.open(dir, { startSources: false });
  try {
    const masking = { rules: rules === 'all' ? [...MASK_RULE_NAMES] : [], custom: [] };
    const ctx = engine.ingestContext('feed', 'bench', masking);
    const stage = ctx.ingest({ policy: 'pause' });
    const t0 = performance.now();
    for (const b of batches) {
      const wait = stage.emit(null, copy(b));
      if (wait) await wait;
    }
    await stage.stop();
    return MASK_ROWS / ((performance.now() - t0) / 1000);
  } finally {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchMasking(): Promise<void> {
  const batches = maskBatches();
  note(`masking: ${MASK_ROWS} log records (1 in 50 with an e-mail, 1 in 97 a bearer token)`);
  const masker = new Masker(rulesFor({ rules: [...MASK_RULE_NAMES], custom: [] }));
  const step = (n = 1) => {
    const copies = batches.map(copy);
    const t0 = performance.now();
    for (let r = 0; r < n; r++)
      for (const records of copies)
        masker.apply({
          source: 'feed',
          samples: { n: 0, ts: new Float64Array(0), channel: new Uint32Array(0), value: new Float64Array(0) },
          records,
          quarantine: [],
          raw: [],
          soon: false,
        });
    return (MASK_ROWS * n) / ((performance.now() - t0) / 1000);
  };
  step(); // warm
  await stageRate(batches.slice(0, 20), 'all');
  let on = 0;
  let off = 0;
  for (let round = 0; round < 2; round++) {
    off = Math.max(off, await stageRate(batches, 'off'));
    on = Math.max(on, await stageRate(batches, 'all'));
  }
  figure('masking.stage.all_rules', on, 'records/s');
  figure('masking.stage.baseline.off', off, 'records/s');
  figure('masking.stage.ratio', on / off, '');
  figure('masking.step_alone.all_rules', step(), 'records/s');
}

// The ingest stage under a slow store, on a real Mosquitto, a socat pty and real DuckDB files:
// - QoS 0 above what the store takes is shed, and the shed count is exactly what was received and
//   not stored; the pending work never goes past its bound (store.maxPendingRows);
// - QoS 1 in a persistent session loses and duplicates nothing: the client stops reading the
//   socket while the work is at its bound, and acknowledges only what is durable;
// - syslog over UDP, which cannot be slowed, is shed the same way and counted exactly;
// - a serial source pauses its port and resumes, losing nothing;
// - a full disk (a small tmpfs): the batch's ticket rejects with the reason, the failed write is
//   counted and told, and tickets settle again once there is space;
// - kill -9 of a process ingesting hard (test/helpers/ingest-child.ts): every row whose ticket had
//   settled is there after the restart, and a source that saves its position with its rows resumes
//   with no row missing or doubled.
// The store is made slow with its test hook (each flush waits before its transaction opens).
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { bundleIngestChild } from '../helpers/bundle-child';
import { freePort, TestBroker } from '../helpers/mosquitto';
import { PtyPair } from '../helpers/pty';
import { sampleBurst, smallDisk } from '../helpers/small-disk';
import { tempDir, waitFor } from '../helpers/tmp';

const MAX_PENDING_ROWS = 1_000;
const SLOW_FLUSH_MS = 200;

let tmp: ReturnType<typeof tempDir>;
let broker: TestBroker;

beforeAll(async () => {
  tmp = tempDir();
  // No queue limit: the broker never drops a message for a connected subscriber, so every
  // message published reaches OpsDeck, and whatever is missing was shed by OpsDeck itself.
  broker = await TestBroker.start({ maxQueuedMessages: 0 });
});
afterAll(async () => {
  await broker?.close();
  tmp?.cleanup();
});

function workspace(name: string, sources: unknown[]): string {
  const dir = path.join(tmp.dir, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'opsdeck.json'),
    JSON.stringify({ version: 1, sources, store: { maxPendingRows: MAX_PENDING_ROWS } }),
  );
  return dir;
}

function mqttSource(id: string, qos: 0 | 1): unknown {
  return {
    id,
    kind: 'mqtt',
    name: id,
    options: {
      url: broker.url,
      clientId: `ingest-${id}-${process.pid}`,
      clean: qos === 0,
      subscriptions: [{ filter: `${id}/#`, qos }],
    },
  };
}

const source = (engine: Engine, id: string) => engine.status().sources.find((s) => s.id === id)!;

const stored = async (engine: Engine, channel: string) => {
  const r = await engine.query(
    `SELECT count(*)::DOUBLE, count(DISTINCT value)::DOUBLE FROM samples_v WHERE channel LIKE '${channel}'`,
  );
  return { count: r.rows[0]![0] as number, distinct: r.rows[0]![1] as number };
};

/** Waits until the source's subscription is in place: a probe it published is stored. */
async function untilSubscribed(engine: Engine, id: string, qos: 0 | 1): Promise<void> {
  const probe = await mqtt.connectAsync(broker.url, { clientId: `probe-${id}`, reconnectPeriod: 0 });
  try {
    await waitFor(`${id} subscribed`, async () => {
      await probe.publishAsync(`${id}/probe`, '1', { qos });
      await engine.store.flush();
      return (await stored(engine, `${id}/${id}/probe`)).count > 0;
    });
  } finally {
    await probe.endAsync();
  }
}

/** Publishes 0…count-1 on `topic` as fast as the socket takes them. */
async function publishNumbers(topic: string, count: number, qos: 0 | 1): Promise<void> {
  const client = await mqtt.connectAsync(broker.url, { clientId: `pub-${topic}`, reconnectPeriod: 0 });
  try {
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      pending.push(client.publishAsync(topic, String(i), { qos }));
      if (pending.length >= 2_000) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
  } finally {
    await client.endAsync();
  }
}

/** Lets the store catch up: no delay, and every pending ticket settled. */
async function drain(engine: Engine): Promise<void> {
  engine.store.flushDelayMsForTests = 0;
  await waitFor('the pending work to settle', async () => {
    await engine.store.flush();
    return engine.status().pendingWork.rows === 0;
  });
}

describe('under a slow store', () => {
  it('sheds QoS 0 above what the store takes, counting exactly what it did not store', async () => {
    const engine = await Engine.open(workspace('qos0', [mqttSource('fast', 0)]), { flushIntervalMs: 50 });
    try {
      await untilSubscribed(engine, 'fast', 0);
      await drain(engine);
      const before = source(engine, 'fast').messages;
      const shedBefore = source(engine, 'fast').shed;
      engine.store.flushDelayMsForTests = SLOW_FLUSH_MS;
      const sent = 20_000;
      await publishNumbers('fast/n', sent, 0);
      await waitFor('every message received', () => source(engine, 'fast').messages - before >= sent, 60_000);
      await drain(engine);
      const s = source(engine, 'fast');
      const received = s.messages - before;
      const shed = s.shed - shedBefore;
      const { count, distinct } = await stored(engine, 'fast/fast/n');
      expect(received).toBe(sent);
      expect(shed).toBeGreaterThan(0);
      expect(count).toBe(received - shed);
      expect(distinct).toBe(count);
      // One message decodes to one row: the bound is never passed by more than one message.
      expect(engine.pending.peakRows).toBeLessThanOrEqual(MAX_PENDING_ROWS + 1);
      expect(engine.pending.peakBytes).toBeLessThanOrEqual(engine.pending.maxBytes);
    } finally {
      await engine.close();
    }
  }, 120_000);

  it('sheds syslog over UDP above what the store takes, counting exactly what it received and did not store', async () => {
    const port = await freePort();
    const engine = await Engine.open(
      workspace('udp', [
        { id: 'udp', kind: 'syslog', name: 'udp', options: { udpPort: port, host: '127.0.0.1' } },
      ]),
      { flushIntervalMs: 50 },
    );
    const sender = dgram.createSocket('udp4');
    try {
      await waitFor('the receiver listening', () => source(engine, 'udp')?.state === 'connected');
      engine.store.flushDelayMsForTests = SLOW_FLUSH_MS;
      // Bursts a datagram socket takes without the kernel dropping many; a drop there is not the
      // engine's, so the count below goes by what the source received.
      const sent = 20_000;
      for (let i = 0; i < sent; i++) {
        sender.send(`<14>1 2026-11-30T08:00:00.000Z rig app - - - n=${i}`, port, '127.0.0.1');
        if (i % 50 === 49) await new Promise((r) => setTimeout(r, 5));
      }
      let last = -1;
      await waitFor(
        'the datagrams to stop arriving',
        async () => {
          await new Promise((r) => setTimeout(r, 300));
          const now = source(engine, 'udp').messages;
          const settled = now === last;
          last = now;
          return settled;
        },
        60_000,
      );
      await drain(engine);
      const s = source(engine, 'udp');
      const r = await engine.query(
        `SELECT count(*)::DOUBLE, count(DISTINCT message)::DOUBLE FROM records_v WHERE source = 'udp'`,
      );
      const [count, distinct] = r.rows[0] as [number, number];
      expect(s.messages).toBeGreaterThan(sent / 2);
      expect(s.shed).toBeGreaterThan(0);
      expect(count).toBe(s.messages - s.shed);
      expect(distinct).toBe(count);
      expect(engine.pending.peakRows).toBeLessThanOrEqual(MAX_PENDING_ROWS + 1);
    } finally {
      sender.close();
      await engine.close();
    }
  }, 120_000);

  it('loses and duplicates nothing of QoS 1 in a persistent session, pausing the socket instead', async () => {
    const engine = await Engine.open(workspace('qos1', [mqttSource('safe', 1)]), { flushIntervalMs: 50 });
    try {
      await untilSubscribed(engine, 'safe', 1);
      await drain(engine);
      engine.store.flushDelayMsForTests = SLOW_FLUSH_MS;
      const pausesBefore = engine.pending.peerPauses;
      const sent = 10_000;
      await publishNumbers('safe/n', sent, 1);
      await waitFor(
        'every message stored',
        async () => (await stored(engine, 'safe/safe/n')).count >= sent,
        90_000,
      );
      await drain(engine);
      expect(await stored(engine, 'safe/safe/n')).toEqual({ count: sent, distinct: sent });
      expect(source(engine, 'safe').shed).toBe(0);
      expect(engine.pending.peerPauses).toBeGreaterThan(pausesBefore);
      expect(engine.pending.peakRows).toBeLessThanOrEqual(MAX_PENDING_ROWS + 1);
    } finally {
      await engine.close();
    }
  }, 120_000);

  it('pauses a serial port and resumes it, losing nothing', async () => {
    const pty = await PtyPair.start(tmp.dir, 'slow-serial');
    const engine = await Engine.open(
      workspace('serial', [
        { id: 'rig', kind: 'serial', name: 'rig', options: { path: pty.dev, lineDecoder: 'plotter' } },
      ]),
      { flushIntervalMs: 50 },
    );
    try {
      await waitFor('the port open', () => source(engine, 'rig').state === 'connected');
      engine.store.flushDelayMsForTests = SLOW_FLUSH_MS;
      const lines = 20_000;
      // The device starts on a line end, as one does after a reset: bytes within OPEN_GRACE_MS of
      // the port opening may be the tail of a line (serial/index.ts), and that is the empty line.
      const text = '\n' + Array.from({ length: lines }, (_, i) => `${i}\n`).join('');
      await pty.write(text, { burst: 4_096, pauseMs: 0 });
      // Every line is either stored or quarantined: a missing one fails below, not as a timeout.
      await waitFor(
        'every line stored or quarantined',
        async () => (await stored(engine, 'rig/%')).count + source(engine, 'rig').quarantined >= lines,
        90_000,
      );
      await drain(engine);
      expect(source(engine, 'rig').quarantined).toBe(0);
      expect(await stored(engine, 'rig/%')).toEqual({ count: lines, distinct: lines });
      expect(source(engine, 'rig').shed).toBe(0);
      expect(engine.pending.peerPauses).toBeGreaterThan(0);
      // A read from the port (at most a pty buffer of lines) is decoded whole before the pause.
      expect(engine.pending.peakRows).toBeLessThan(MAX_PENDING_ROWS + 1_000);
    } finally {
      await engine.close();
      await pty.stop();
    }
  }, 120_000);
});

describe('a write that fails', () => {
  it('rejects the ticket with the reason, is counted and told, and ingest recovers when space returns', async (ctx) => {
    const disk = smallDisk(tmp.dir, (reason) => ctx.skip(reason));
    let engine: Engine | undefined;
    try {
      engine = await Engine.open(disk.workspace, { flushIntervalMs: 50 });
      const feed = engine.ingestContext('feed', 'bench');
      const stage = feed.ingest({ policy: 'pause' });
      const channels = Array.from({ length: 8 }, (_, c) => feed.channel(`c${c}`));
      const outcomes: (Error | null)[] = [];
      let emitted = 0;
      const emit = () => {
        const burst = sampleBurst(channels, emitted);
        void stage.emit(burst, null);
        stage.onDurable((error) => outcomes.push(error ?? null));
        emitted += burst.n;
      };
      await waitFor(
        'a ticket to reject for want of space',
        async () => {
          for (let i = 0; i < 5; i++) emit();
          await new Promise((r) => setTimeout(r, 60));
          return outcomes.some((e) => e !== null);
        },
        120_000,
      );
      const rejected = outcomes.find((e) => e !== null)!;
      expect(rejected.message).toMatch(/^not stored: .*No space left on device/);
      expect(engine.status().failedWrites).toBeGreaterThan(0);
      expect(
        engine.notices().some((n) => /store: writing to the database failed.*No space left/.test(n.message)),
      ).toBe(true);

      disk.grow();
      const settledBefore = outcomes.length;
      await waitFor(
        'tickets to settle as durable again',
        async () => {
          emit();
          await new Promise((r) => setTimeout(r, 100));
          return outcomes.slice(settledBefore).some((e) => e === null);
        },
        60_000,
      );
      await stage.stop();
      await engine.store.flush();
      const status = engine.status();
      expect(status.lostRows).toBeGreaterThan(0);
      // Every row emitted is in the database or counted lost.
      const rows = (await engine.query('SELECT count(*)::DOUBLE FROM samples')).rows[0]![0];
      expect(rows).toBe(emitted - status.lostRows);
    } finally {
      await engine?.close();
      disk.unmount();
    }
  }, 180_000);
});

describe('kill -9 during heavy ingest', () => {
  it('keeps every row whose ticket settled; a source with positions resumes with no row missing or doubled', async () => {
    const child = await bundleIngestChild();
    const dir = workspace('crash', []);
    const side = path.join(tmp.dir, 'settled.txt');
    const input = path.join(tmp.dir, 'numbers.txt');
    const lines = 1_000_000;
    fs.writeFileSync(input, Array.from({ length: lines }, (_, i) => `${i}\n`).join(''));
    const run = (mode: string) =>
      spawn(process.execPath, [child, dir, side, input, mode], { stdio: ['ignore', 'pipe', 'pipe'] });

    const crashing = run('crash');
    let stderr = '';
    crashing.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const settled = () =>
      fs.existsSync(side) ? fs.readFileSync(side, 'utf8').split('\n').filter(Boolean) : [];
    try {
      await waitFor(
        'tickets settling under heavy ingest',
        () => {
          if (crashing.exitCode !== null) throw new Error(`the child exited: ${stderr}`);
          return settled().length >= 20;
        },
        60_000,
      );
    } finally {
      const exited = new Promise((r) => crashing.once('exit', r));
      crashing.kill('SIGKILL');
      await exited;
    }
    const last = Math.max(...settled().map(Number));

    let engine = await Engine.open(dir, { startSources: false });
    try {
      const kept = await engine.query(
        `SELECT count(DISTINCT value)::DOUBLE FROM samples_v WHERE channel = 'feed/seq' AND value <= ${last}`,
      );
      expect(kept.rows[0]![0]).toBe(last + 1);
      // The kill fell in the middle of the file: the restart has something to resume.
      const position = await engine.store.positions('file');
      const offset = (JSON.parse(position.get('offset')!) as { offset: number }).offset;
      expect(offset).toBeGreaterThan(0);
      expect(offset).toBeLessThan(fs.statSync(input).size);
    } finally {
      await engine.close();
    }

    const finishing = run('finish');
    let out = '';
    finishing.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    finishing.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => finishing.once('exit', r));
    expect({ code, out: out.trim(), stderr }).toEqual({ code: 0, out: '{"done":true}', stderr: '' });

    engine = await Engine.open(dir, { startSources: false });
    try {
      const r = await engine.query(
        `SELECT count(*)::DOUBLE, count(DISTINCT value)::DOUBLE, min(value), max(value) FROM samples_v WHERE channel LIKE 'file/%'`,
      );
      expect(r.rows[0]).toEqual([lines, lines, 0, lines - 1]);
    } finally {
      await engine.close();
    }
  }, 180_000);
});

// Acks and silences over a real engine and the contract (MessageChannel): instances carry them, the
// audit table records each with a valid hash chain (and tampering breaks it), silences survive a
// restart.
import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { bindConnection } from '../../electron/engine/server/bind';
import { portTransport } from '../../electron/engine/server/port';
import { RpcClient, type Transport } from '../../shared/rpc';
import { tempDir, waitFor } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let dir: string;
let engine: Engine;
let client: RpcClient;

function connect(e: Engine): RpcClient {
  const { port1, port2 } = new MessageChannel();
  bindConnection(e, portTransport(port1));
  const transport: Transport = {
    send: (data) => port2.postMessage(data),
    onMessage: (handler) => port2.on('message', (data: string | ArrayBuffer) => handler(data)),
    onClose: (handler) => port2.on('close', () => handler('port closed')),
    close: () => port2.close(),
  };
  return new RpcClient(transport);
}

let feed: ReturnType<Engine['ingestContext']> | null = null;
let nextTs = Date.now() - 60_000;

async function emit(values: number[]): Promise<void> {
  feed ??= engine.ingestContext('feed', 'test');
  const ch = feed.channel('temp');
  const t0 = nextTs;
  nextTs += values.length * 1_000;
  await feed.emitSamples({
    n: values.length,
    ts: Float64Array.from(values, (_v, i) => t0 + i * 1_000),
    channel: Uint32Array.from(values, () => ch),
    value: Float64Array.from(values),
  });
}

beforeAll(async () => {
  tmp = tempDir();
  dir = path.join(tmp.dir, 'ws');
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, 'opsdeck.json'),
    JSON.stringify({
      version: 1,
      sources: [],
      rules: [
        {
          id: 'hot',
          kind: 'threshold',
          channel: 'feed/temp',
          above: 5,
          lateness: 0,
          labels: { site: 'lab' },
        },
      ],
    }),
  );
  engine = await Engine.open(dir, { flushIntervalMs: 50 });
  client = connect(engine);
});
afterAll(async () => {
  client.close();
  await engine.close();
  tmp.cleanup();
});

describe('acks and silences', () => {
  it('acknowledges a firing instance, silences it, expires the silence, and clears the ack on resolve', async () => {
    await emit([1, 7, 8]);
    await waitFor('hot firing', async () =>
      (await client.call('alerts', {})).instances.some((i) => i.rule === 'hot' && i.state === 'firing'),
    );
    await expect(
      client.call('ackAlert', { rule: 'hot', labels: { site: 'elsewhere' }, actor: 'ann' }),
    ).rejects.toThrow(/no live instance/);
    await client.call('ackAlert', { rule: 'hot', labels: { site: 'lab' }, actor: 'ann', comment: 'on it' });
    let inst = (await client.call('alerts', {})).instances.find((i) => i.rule === 'hot')!;
    expect(inst).toMatchObject({
      acknowledged: true,
      acknowledgedBy: 'ann',
      ackComment: 'on it',
      silencedBy: [],
    });

    await expect(
      client.call('createSilence', {
        matchers: [{ name: 'site', op: '=~', value: '.*' }],
        endsAt: Date.now() + 3_600_000,
        createdBy: 'bob',
      }),
    ).rejects.toThrow(/empty label/);
    const silence = await client.call('createSilence', {
      matchers: [
        { name: 'alertname', op: '=', value: 'hot' },
        { name: 'site', op: '=~', value: 'la.' },
      ],
      endsAt: Date.now() + 3_600_000,
      createdBy: 'bob',
      comment: 'maintenance',
    });
    expect(silence.status).toBe('active');
    inst = (await client.call('alerts', {})).instances.find((i) => i.rule === 'hot')!;
    expect(inst.silencedBy).toEqual([silence.id]);

    await client.call('expireSilence', { id: silence.id, actor: 'bob' });
    const list = await client.call('silences', {});
    expect(list.find((s) => s.id === silence.id)?.status).toBe('expired');
    inst = (await client.call('alerts', {})).instances.find((i) => i.rule === 'hot')!;
    expect(inst.silencedBy).toEqual([]);

    await emit([2]);
    await waitFor('hot resolved', async () =>
      (await client.call('alerts', {})).instances.some((i) => i.rule === 'hot' && i.state === 'resolved'),
    );
    inst = (await client.call('alerts', {})).instances.find((i) => i.rule === 'hot')!;
    expect(inst.acknowledged).toBe(false);
  });

  it('records each action in the audit table with a valid hash chain', async () => {
    const rows = await engine.audit!.rows();
    expect(rows.map((r) => [r.seq, r.actor, r.action])).toEqual([
      [1, 'ann', 'alert.ack'],
      [2, 'bob', 'silence.create'],
      [3, 'bob', 'silence.expire'],
      [4, 'opsdeck', 'alert.unack'],
    ]);
    expect(rows[0]!.detail).toMatchObject({ rule: 'hot', labels: { site: 'lab' }, comment: 'on it' });
    expect(rows[0]!.prevHash).toBe('');
    expect(rows[1]!.prevHash).toBe(rows[0]!.hash);
    expect(await client.call('verifyAudit', {})).toEqual({
      ok: true,
      count: 4,
      brokenSeq: null,
      reason: null,
    });
  });

  it('keeps silences and the chain across a restart, and detects tampering', async () => {
    const before = await client.call('silences', {});
    client.close();
    await engine.close();
    engine = await Engine.open(dir, { flushIntervalMs: 50 });
    client = connect(engine);
    expect(await client.call('silences', {})).toEqual(before);

    const s = await engine.createSilence({
      matchers: [{ name: 'alertname', op: '=', value: 'cold' }],
      endsAt: Date.now() + 60_000,
      createdBy: 'cy',
      comment: '',
    });
    await engine.audit!.drain();
    const rows = await engine.audit!.rows();
    expect(rows.at(-1)).toMatchObject({ seq: 5, action: 'silence.create', detail: { id: s.id } });
    expect((await engine.verifyAudit()).ok).toBe(true);

    await engine.store.write(`UPDATE audit SET actor = 'mallory' WHERE seq = 2`, []);
    expect(await engine.verifyAudit()).toMatchObject({ ok: false, brokenSeq: 2 });
  });
});

// The workbench's configuration calls through the contract, as two consoles on one engine: layouts
// saved and read back from opsdeck.json, a refusal that names the field, and `workspaceChanged`
// telling every console who changed what.
import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { bindConnection } from '../../electron/engine/server/bind';
import { portTransport } from '../../electron/engine/server/port';
import type { WorkspaceChanged } from '../../shared/api';
import { RpcClient, type Transport } from '../../shared/rpc';
import { readWorkspaceConfig } from '../../electron/engine/workspace';
import { tempDir, waitFor } from '../helpers/tmp';

let engine: Engine;
let cleanup: () => void;

function consoleOn(e: Engine): RpcClient {
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

beforeAll(async () => {
  const tmp = tempDir();
  cleanup = tmp.cleanup;
  engine = await Engine.open(path.join(tmp.dir, 'ws'), { startSources: false });
});
afterAll(async () => {
  await engine.close();
  cleanup();
});

describe('layouts through the engine', () => {
  it('saves named layouts and the one shown; the file and a second console see them', async () => {
    const mine = consoleOn(engine);
    const other = consoleOn(engine);
    const [me, them] = await Promise.all([mine.call('hello', {}), other.call('hello', {})]);
    expect(me.connection).not.toBe(them.connection);
    const seenByMe: WorkspaceChanged[] = [];
    const seenByOther: WorkspaceChanged[] = [];
    mine.on('workspaceChanged', (c) => seenByMe.push(c));
    other.on('workspaceChanged', (c) => seenByOther.push(c));

    const layouts = [
      {
        name: 'Day',
        panels: [
          { kind: 'plot' as const, id: 'a', title: 'Climate', channels: ['demo/temperature'], height: 400 },
        ],
      },
      { name: 'Night', panels: [] },
    ];
    await mine.call('saveLayouts', { layouts, activeLayout: 'Night' });
    const file = readWorkspaceConfig(engine.dir);
    expect(file.activeLayout).toBe('Night');
    expect(file.layouts.map((l) => l.name)).toEqual(['Day', 'Night']);
    expect(file.layouts[0]!.panels[0]).toMatchObject({ title: 'Climate', height: 400, windowMs: 60_000 });
    expect((await other.call('workspace', {})).activeLayout).toBe('Night');

    await waitFor('both consoles told', () => seenByMe.length === 1 && seenByOther.length === 1);
    // The same event: the saver recognises its own connection, the other console does not.
    expect(seenByOther[0]).toEqual({ sections: ['layouts'], origin: 'console', connection: me.connection });
    expect(seenByMe[0]).toEqual(seenByOther[0]);
    // A layout save is no audit entry.
    expect((await mine.call('verifyAudit', {})).count).toBe(0);
    mine.close();
    other.close();
  });

  it('names the saving console through a save that awaits first (a source restarted)', async () => {
    const client = consoleOn(engine);
    const { connection } = await client.call('hello', {});
    const seen: WorkspaceChanged[] = [];
    client.on('workspaceChanged', (c) => seen.push(c));
    const source = { id: 'rig', kind: 'sim' as const, name: 'Rig' };
    await client.call('upsertSource', { source });
    await client.call('upsertSource', { source: { ...source, name: 'Rig 2' } });
    await client.call('removeSource', { id: 'rig' });
    await waitFor('three changes', () => seen.length === 3);
    expect(seen.map((c) => [c.sections, c.connection])).toEqual([
      [['sources'], connection],
      [['sources'], connection],
      [['sources'], connection],
    ]);
    client.close();
  });

  it('refuses an unknown layout to show, or duplicate names, naming the field; nothing is written', async () => {
    const client = consoleOn(engine);
    const before = fs.readFileSync(path.join(engine.dir, 'opsdeck.json'), 'utf8');
    await expect(
      client.call('saveLayouts', { layouts: [{ name: 'Day', panels: [] }], activeLayout: 'Dusk' }),
    ).rejects.toThrow('activeLayout: no layout named "Dusk"');
    await expect(
      client.call('saveLayouts', {
        layouts: [
          { name: 'Day', panels: [] },
          { name: 'Day', panels: [] },
        ],
        activeLayout: 'Day',
      }),
    ).rejects.toThrow(/layouts\.1\.name: duplicate layout name "Day"/);
    expect(fs.readFileSync(path.join(engine.dir, 'opsdeck.json'), 'utf8')).toBe(before);
    client.close();
  });
});

describe('channels through the engine', () => {
  it('browses the demo channels a level at a time, searches them, and resolves a panel’s names', async () => {
    const demo = await Engine.open(path.join(engine.dir, '..', 'demo'));
    try {
      const client = consoleOn(demo);
      await waitFor('the demo channels', async () => (await client.call('channels', {})).length >= 4);
      const sources = await client.call('browseChannels', {});
      expect(sources.nodes.map((n) => [n.kind, n.key])).toEqual([['source', 'demo']]);
      const level = await client.call('browseChannels', { source: 'demo', prefix: '' });
      expect(level.nodes.map((n) => n.key)).toEqual([
        'demo/door',
        'demo/humidity',
        'demo/temperature',
        'demo/vibration',
      ]);
      expect(level.nodes[2]!.channel).toMatchObject({ unit: '°C', source: 'demo' });
      // Its newest value, once the rig has sent one.
      await waitFor('a last value', async () => {
        const again = await client.call('browseChannels', { source: 'demo', prefix: '' });
        return typeof again.nodes[2]!.channel!.last === 'number';
      });
      const found = await client.call('browseChannels', { search: 'HUMID' });
      expect(found.nodes.map((n) => n.key)).toEqual(['demo/humidity']);
      const named = await client.call('channelsByName', { names: ['demo/vibration', 'nope/none'] });
      expect(named.map((c) => c.name)).toEqual(['demo/vibration']);
      client.close();
    } finally {
      await demo.close();
    }
  });
});

describe('channel settings through the engine', () => {
  it('sets unit, display name, decimals and calibration; the browser shows them, new values are scaled', async () => {
    const client = consoleOn(engine);
    const feed = engine.ingestContext('rig', 'test');
    const id = feed.channel('pressure', 'raw');
    const send = (ts: number, value: number) =>
      feed.emitSamples({
        n: 1,
        ts: Float64Array.of(ts),
        channel: Uint32Array.of(id),
        value: Float64Array.of(value),
      });
    const t0 = Date.now() - 60_000;
    await send(t0, 100);
    await client.call('saveChannel', {
      channel: {
        name: 'rig/pressure',
        unit: 'kPa',
        scale: 0.5,
        offset: 1,
        displayName: 'Line pressure',
        decimals: 3,
      },
    });
    await send(t0 + 1_000, 100);
    await engine.store.flush();
    const stored = await client.call('query', {
      sql: "SELECT value FROM samples_v WHERE channel = 'rig/pressure' ORDER BY ts",
    });
    // What was stored stays; what came after is raw × 0.5 + 1.
    expect(stored.rows).toEqual([[100], [51]]);
    const [info] = await client.call('channelsByName', { names: ['rig/pressure'] });
    expect(info).toMatchObject({ unit: 'kPa', displayName: 'Line pressure', decimals: 3 });
    const found = await client.call('browseChannels', { search: 'line pressure' });
    expect(found.nodes[0]!.channel).toMatchObject({ name: 'rig/pressure', last: 51 });
    expect(readWorkspaceConfig(engine.dir).channels.find((c) => c.name === 'rig/pressure')).toMatchObject({
      scale: 0.5,
      displayName: 'Line pressure',
    });
    await expect(
      client.call('saveChannel', { channel: { name: 'rig/pressure', decimals: 99 } }),
    ).rejects.toThrow(/channel\.decimals: Too big/);
    client.close();
  });
});

// Edits of opsdeck.json while the engine runs (electron/engine/config/watch.ts), with real files: a
// rule's threshold changed in the file applies without a restart and pages on the new level; an
// invalid edit is refused with a notice naming the field; the engine's own saves are not mistaken
// for edits; a source added in the file starts.
import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { bindConnection } from '../../electron/engine/server/bind';
import { portTransport } from '../../electron/engine/server/port';
import type { Notice, WorkspaceChanged } from '../../shared/api';
import { RpcClient, type Transport } from '../../shared/rpc';
import { tempDir, waitFor } from '../helpers/tmp';

const tmp = tempDir();
const dir = path.join(tmp.dir, 'ws');
const file = path.join(dir, 'opsdeck.json');
let engine: Engine;
let client: RpcClient;
const changes: WorkspaceChanged[] = [];
const notices: Notice[] = [];

const rule = (above: unknown) => ({
  id: 'hot',
  kind: 'threshold',
  channel: 'feed/t',
  above,
  lateness: 0,
  severity: 'critical',
});
/** Edits the file as a person would: read, change, write in place (no rename). */
function edit(change: (doc: Record<string, unknown>) => void): void {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  change(doc);
  fs.writeFileSync(file, JSON.stringify(doc, null, 2));
}

beforeAll(async () => {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ version: 2, rules: [rule(100)] }));
  engine = await Engine.open(dir, { flushIntervalMs: 50 });
  const { port1, port2 } = new MessageChannel();
  bindConnection(engine, portTransport(port1));
  const transport: Transport = {
    send: (data) => port2.postMessage(data),
    onMessage: (handler) => port2.on('message', (data: string | ArrayBuffer) => handler(data)),
    onClose: (handler) => port2.on('close', () => handler('port closed')),
    close: () => port2.close(),
  };
  client = new RpcClient(transport);
  client.on('workspaceChanged', (c) => changes.push(c));
  client.on('notice', (n) => notices.push(n));
});
afterAll(async () => {
  client.close();
  await engine.close();
  tmp.cleanup();
});

describe('opsdeck.json edited while the engine runs', () => {
  it('applies a rule’s new threshold without a restart: it pages on the new level', async () => {
    const feed = engine.ingestContext('feed', 'test');
    const id = feed.channel('t');
    const send = (value: number) =>
      feed.emitSamples({
        n: 1,
        ts: Float64Array.of(Date.now()),
        channel: Uint32Array.of(id),
        value: Float64Array.of(value),
      });
    await send(50);
    edit((doc) => (doc['rules'] = [rule(40)]));
    await waitFor('the edit applied', () => (engine.config.rules[0] as { above?: number }).above === 40);
    await waitFor('every console told', () => changes.some((c) => c.origin === 'file'));
    expect(changes.find((c) => c.origin === 'file')).toEqual({
      sections: ['rules'],
      origin: 'file',
      connection: null,
    });
    // 50 is above the new threshold: the rule fires (it would not have at 100).
    await waitFor('the rule firing', async () => {
      await send(50);
      const now = await client.call('alerts', {});
      return now.instances.some((i) => i.rule === 'hot' && i.state === 'firing');
    });
  });

  it('refuses an invalid edit with a notice naming the field, and keeps running what it had', async () => {
    edit((doc) => ((doc['rules'] as Record<string, unknown>[])[0]!['above'] = 'ten'));
    const refusal = await waitFor('the refusal', () =>
      notices.find(
        (n) => n.level === 'error' && n.message.startsWith('opsdeck.json was edited but not applied'),
      ),
    );
    expect(refusal.message).toContain('rules.0.above');
    expect((engine.config.rules[0] as { above?: number }).above).toBe(40);
    // Fixed again: applied, and no second refusal was said meanwhile.
    edit((doc) => ((doc['rules'] as Record<string, unknown>[])[0]!['above'] = 45));
    await waitFor('the fix applied', () => (engine.config.rules[0] as { above?: number }).above === 45);
    expect(
      notices.filter((n) => n.message.startsWith('opsdeck.json was edited but not applied')),
    ).toHaveLength(1);
  });

  it('does not take its own saves for edits', async () => {
    const before = changes.length;
    await client.call('saveDisplay', { display: { timeZone: 'utc' } });
    await waitFor('the save announced', () => changes.length === before + 1);
    // Past the watcher's settle time and a stat poll, nothing more came.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(changes.slice(before).map((c) => c.origin)).toEqual(['console']);
  });

  it('starts a source added in the file, and stops it when it is removed', async () => {
    edit((doc) => (doc['sources'] = [{ id: 'rig', kind: 'sim', name: 'Edited-in rig' }]));
    await waitFor('the source running', () =>
      engine.status().sources.some((s) => s.id === 'rig' && s.state === 'connected'),
    );
    edit((doc) => (doc['sources'] = []));
    await waitFor('the source gone', () => !engine.status().sources.some((s) => s.id === 'rig'));
  });
});

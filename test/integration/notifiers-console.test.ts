// Notifiers defined, edited and tested through the engine API, as the console does: a test
// notification reaches a local webhook receiver (127.0.0.1) and its outcome comes back, a refusal
// comes back in the receiver's words, renames and removals carry into the rules.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { readWorkspaceConfig } from '../../electron/engine/workspace';
import { tempDir } from '../helpers/tmp';

let engine: Engine;
let receiver: http.Server;
let url = '';
let status = 200;
const received: { path: string; body: unknown }[] = [];
const tmp = tempDir();

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(text) });
      res.writeHead(status).end(status === 200 ? 'ok' : 'no such team');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  engine = await Engine.open(path.join(tmp.dir, 'ws'), { startSources: false });
});
afterAll(async () => {
  await engine.close();
  await new Promise((r) => receiver.close(r));
  tmp.cleanup();
});

describe('notifiers from the console', () => {
  it('sends a test through an unsaved webhook and says it was delivered', async () => {
    const result = await engine.testNotifier({
      id: 'ops-team',
      kind: 'webhook',
      url,
      format: 'opsdeck',
      headers: {},
      attempts: 4,
      backoffMs: 1_000,
      timeoutMs: 10_000,
      sendResolved: true,
    });
    expect(result).toMatchObject({ ok: true, error: null });
    expect(received).toHaveLength(1);
    expect(received[0]!.body).toMatchObject({
      status: 'firing',
      labels: { alertname: 'opsdeck-test', notifier: 'ops-team' },
      annotations: { summary: expect.stringContaining('not an alert') },
    });
  });

  it('says why a test was not delivered, in the receiver’s words, after one attempt', async () => {
    status = 404;
    const before = received.length;
    const result = await engine.testNotifier({
      id: 'ops-team',
      kind: 'webhook',
      url,
      format: 'alertmanager',
      headers: {},
      attempts: 4,
      backoffMs: 1_000,
      timeoutMs: 10_000,
      sendResolved: true,
    });
    status = 200;
    expect(result).toMatchObject({ ok: false, error: 'HTTP 404: no such team' });
    expect(received.length - before).toBe(1);
  });

  it('a command notifier that is not enabled refuses, and says how to enable it', async () => {
    const result = await engine.testNotifier({
      id: 'pager',
      kind: 'command',
      argv: ['/bin/true'],
      enabled: false,
      attempts: 1,
      backoffMs: 0,
      timeoutMs: 10_000,
      sendResolved: true,
    });
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/enabled": true/);
  });

  it('saves, renames and removes notifiers; rules’ notify lists follow', async () => {
    engine.saveRules([
      {
        id: 'hot',
        kind: 'threshold',
        channel: 'demo/temperature',
        above: 30,
        severity: 'warning',
        enabled: true,
        labels: {},
        annotations: {},
        notify: ['ops'],
        lateness: 5_000,
        noDataState: 'nodata',
        errorState: 'error',
      } as never,
    ]);
    engine.saveNotifier({
      id: 'ops',
      kind: 'webhook',
      url,
      format: 'opsdeck',
      headers: {},
      attempts: 4,
      backoffMs: 1_000,
      timeoutMs: 10_000,
      sendResolved: true,
    });
    expect(readWorkspaceConfig(engine.dir).alerting.notifiers?.map((n) => n.id)).toEqual(['ops']);
    engine.saveNotifier({ ...engine.config.alerting.notifiers![0]!, id: 'ops-team' }, 'ops');
    let file = readWorkspaceConfig(engine.dir);
    expect(file.alerting.notifiers?.map((n) => n.id)).toEqual(['ops-team']);
    expect(file.rules[0]!.notify).toEqual(['ops-team']);
    expect(() => engine.saveNotifier({ ...file.alerting.notifiers![0]!, id: 'x' }, 'missing')).not.toThrow();
    expect(() => engine.saveNotifier({ ...file.alerting.notifiers![0]!, id: 'x' }, 'ops-team')).toThrow(
      'notifier.id: there is already a notifier "x"',
    );
    engine.removeNotifier('x');
    engine.removeNotifier('ops-team');
    file = readWorkspaceConfig(engine.dir);
    expect(file.alerting.notifiers).toEqual([]);
    expect(file.rules[0]!.notify).toEqual([]);
  });
});

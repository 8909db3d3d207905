// The same contract binding over a MessageChannel (as in Electron) and over the WebSocket of
// `opsdeck serve`, and in-process (the CLI on a workspace it opened itself): calls, validation
// errors that name the field, events and live frames.
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWebSocket } from '../../electron/cli/connect';
import { Engine } from '../../electron/engine/engine';
import { bindConnection } from '../../electron/engine/server/bind';
import { subscriptionHub } from '../../electron/engine/server/feeds';
import { serve, type RunningServer } from '../../electron/engine/server/http';
import { connectInProcess } from '../../electron/engine/server/in-process';
import { portTransport } from '../../electron/engine/server/port';
import { PROTOCOL_VERSION } from '../../shared/api';
import type { LiveFrame } from '../../shared/frames';
import { RpcClient, type Transport } from '../../shared/rpc';
import { tempDir, waitFor } from '../helpers/tmp';

let engine: Engine;
let server: RunningServer;
let cleanup: () => void;

beforeAll(async () => {
  const tmp = tempDir();
  cleanup = tmp.cleanup;
  engine = await Engine.open(path.join(tmp.dir, 'ws'));
  server = await serve(engine, { port: 0 });
});
afterAll(async () => {
  await server.close();
  await engine.close();
  cleanup();
});

function messageChannelClient(): RpcClient {
  const { port1, port2 } = new MessageChannel();
  bindConnection(engine, portTransport(port1));
  const transport: Transport = {
    send: (data) => port2.postMessage(data),
    onMessage: (handler) => port2.on('message', (data: string | ArrayBuffer) => handler(data)),
    onClose: (handler) => port2.on('close', () => handler('port closed')),
    close: () => port2.close(),
  };
  return new RpcClient(transport);
}

const transports: [string, () => Promise<RpcClient>][] = [
  ['MessageChannel', async () => messageChannelClient()],
  ['WebSocket', () => connectWebSocket(server.apiUrl)],
  ['in-process', async () => connectInProcess(engine)],
];

describe.each(transports)('contract over %s', (_name, connect) => {
  let client: RpcClient;
  beforeAll(async () => {
    client = await connect();
  });
  afterAll(() => client.close());

  it('answers calls with validated results', async () => {
    const hello = await client.call('hello', {});
    expect(hello).toMatchObject({ readOnly: false, protocol: PROTOCOL_VERSION });
    expect(hello.dir).toBe(engine.dir);
    const channels = await waitFor('the demo channels', async () => {
      const list = await client.call('channels', {});
      return list.length >= 3 ? list : null;
    });
    expect(channels.map((c) => c.name)).toContain('demo/vibration');
  });

  it('reports alerts and notifier delivery status in the validated shapes', async () => {
    const alerts = await client.call('alerts', {});
    expect(Array.isArray(alerts.instances)).toBe(true);
    expect(Array.isArray(alerts.transitions)).toBe(true);
    expect(await client.call('notifiers', {})).toEqual([]); // the demo workspace configures none
  });

  it('names the wrong field of an invalid call', async () => {
    await expect(
      client.call('series', { channels: [1], from: 0, to: 'later' as unknown as number, maxPoints: 10 }),
    ).rejects.toThrow(/^series: to: .*expected number/i);
    await expect(client.call('query', { sql: '' })).rejects.toThrow(/^query: sql: /);
    await expect(client.call('setSourceEnabled', { id: 'nope', enabled: false })).rejects.toThrow(
      /no configured source with id "nope"/,
    );
  });

  it('pushes status events and live frames for subscribed channels', async () => {
    const status = await new Promise((resolve) => {
      const off = client.on('status', (s) => {
        off();
        resolve(s);
      });
    });
    expect(status).toMatchObject({ sources: [expect.objectContaining({ id: 'demo', state: 'connected' })] });
    const vibration = (await client.call('channels', {})).find((c) => c.name === 'demo/vibration')!;
    const frames: LiveFrame[] = [];
    client.onFrame((f) => frames.push(f));
    await client.call('subscribeLive', { channels: [vibration.id], windowMs: 2000, columns: 200 });
    await waitFor('a reset frame and a later one', () => frames.length >= 2);
    expect(frames[0]!.reset).toBe(true);
    expect(frames[0]!.channels[0]!.id).toBe(vibration.id);
    expect(frames[0]!.bucketMs).toBe(10);
    const last = frames.at(-1)!.channels[0]!;
    expect(last.t.length).toBeGreaterThan(0);
    expect(last.t[last.t.length - 1]).toBeGreaterThan(frames[0]!.channels[0]!.t[0]!);
    await client.call('unsubscribeLive', {});
  });

  it('answers series with buckets in the binary frame layout, as typed arrays', async () => {
    const vibration = (await client.call('channels', {})).find((c) => c.name === 'demo/vibration')!;
    const now = Date.now();
    const series = await waitFor('stored buckets', async () => {
      const s = await client.call('series', {
        channels: [vibration.id],
        from: now - 60_000,
        to: now + 1_000,
      });
      return s.channels[0]!.t.length > 0 ? s : null;
    });
    const buckets = series.channels[0]!;
    expect(buckets.t).toBeInstanceOf(Float64Array);
    expect(buckets.min.length).toBe(buckets.t.length);
    for (let i = 0; i < buckets.t.length; i++)
      expect(buckets.max[i]!).toBeGreaterThanOrEqual(buckets.min[i]!);
    // A binary answer never reaches the live-frame listeners.
    const frames: LiveFrame[] = [];
    const off = client.onFrame((f) => frames.push(f));
    await client.call('series', { channels: [vibration.id], from: now - 1_000, to: now });
    off();
    expect(frames).toEqual([]);
  });

  it('pushes a subscription when it starts and ends it with the connection', async () => {
    const hub = subscriptionHub(engine);
    const feedsBefore = hub.feedCount;
    const other = await connect();
    const pushed = await new Promise<unknown>((resolve, reject) => {
      other.subscribe('channels', { names: ['demo/vibration', 'no/such'] }, { data: resolve, error: reject });
    });
    expect(pushed).toEqual([expect.objectContaining({ name: 'demo/vibration' })]);
    expect(hub.feedCount).toBe(feedsBefore + 1);
    // Bad params are refused with the field named; the refusal comes as an error of the subscription.
    const refused = await new Promise<string>((resolve) => {
      other.subscribe('topics', { prefix: 'x' } as never, { data: () => undefined, error: resolve });
    });
    expect(refused).toMatch(/topics: source/);
    other.close();
    await waitFor('its feed ended with the connection', () => hub.feedCount === feedsBefore);
  });
});

describe('WebSocket guard', () => {
  const refused = (url: string, origin?: string, host?: string) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(url, { origin, headers: host ? { host } : undefined });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => {
        ws.close();
        resolve(101);
      });
      ws.on('error', () => undefined);
    });

  it('refuses connections without the token, from another origin, or for another host', async () => {
    const base = `ws://127.0.0.1:${server.port}/api`;
    expect(await refused(base)).toBe(401);
    expect(await refused(`${base}?token=wrong`)).toBe(401);
    expect(await refused(server.apiUrl, 'http://evil.example')).toBe(403);
    expect(await refused(server.apiUrl, undefined, `rebind.example:${server.port}`)).toBe(421);
    expect(await refused(server.apiUrl, `http://127.0.0.1:${server.port}`)).toBe(101);
  });
});

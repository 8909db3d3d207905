// `opsdeck serve --host 0.0.0.0`: a server bound beyond loopback. Requests name this machine by
// its LAN address or host name in `Host` (issue 9: every one was refused 421), the token still
// guards the API, and calls that write, read or open paths of this machine are refused unless the
// server was started with the opt-in. The gate is per binding, so a client reaching the wide server
// through 127.0.0.1 is refused as well. Traffic goes to 127.0.0.1 only: the LAN address appears
// only as a Host value.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWebSocket } from '../../electron/cli/connect';
import { Engine } from '../../electron/engine/engine';
import { serve, type RunningServer } from '../../electron/engine/server/http';
import type { SourceConfig } from '../../shared/schemas';
import { httpGet, rawHttp, RawWebSocket } from '../helpers/raw-socket';
import { tempDir } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let engine: Engine;
let site: string;
let wide: RunningServer;
let loopback: RunningServer;
let wideOptIn: RunningServer;

/** How a browser on the LAN names this machine in `Host`: a non-loopback address, else its name. */
function lanHostName(): string {
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (!a.internal && a.family === 'IPv4') return a.address;
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (!a.internal) return `[${a.address}]`;
  return os.hostname();
}

beforeAll(async () => {
  tmp = tempDir();
  site = path.join(tmp.dir, 'site');
  fs.mkdirSync(site);
  fs.writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>OpsDeck</title>');
  engine = await Engine.open(path.join(tmp.dir, 'ws'));
  wide = await serve(engine, { host: '0.0.0.0', port: 0, staticDir: site });
  loopback = await serve(engine, { port: 0, staticDir: site });
  wideOptIn = await serve(engine, { host: '0.0.0.0', port: 0, allowRemoteFilesAndCommands: true });
});
afterAll(async () => {
  await wide.close();
  await loopback.close();
  await wideOptIn.close();
  await engine.close();
  tmp.cleanup();
});

describe('a server bound to 0.0.0.0', () => {
  it('says it is wide; one on 127.0.0.1 says it is not', () => {
    expect(wide.wide).toBe(true);
    expect(loopback.wide).toBe(false);
  });

  it("serves the page to a Host naming this machine's address or name", async () => {
    const names = [lanHostName(), os.hostname().toLowerCase(), '127.0.0.1'];
    if (!os.hostname().includes('.')) names.push(`${os.hostname().toLowerCase()}.local`);
    for (const name of names) {
      const res = await rawHttp(wide.port, httpGet(wide.port, '/', { Host: `${name}:${wide.port}` }));
      expect(res.status, name).toBe(200);
      // The page may open its WebSocket to the name it was loaded from.
      expect(res.head).toMatch(
        new RegExp(`connect-src ws://${name.replace(/[[\].]/g, '\\$&')}:${wide.port}`, 'i'),
      );
    }
  });

  it('opens the API to a page loaded from that address, with the token', async () => {
    const host = `${lanHostName()}:${wide.port}`;
    const ws = await RawWebSocket.open(wide.port, `/api?token=${wide.token}`, {
      Host: host,
      Origin: `http://${host}`,
    });
    ws.sendText('{"t":"call","id":1,"method":"hello","params":{}}');
    const reply = (await ws.nextText((m) => (m as { id?: unknown }).id === 1)) as { value: { dir: string } };
    expect(reply.value.dir).toBe(engine.dir);
    ws.destroy();
  });

  it('still refuses a name that is not this machine, another origin, and a missing token', async () => {
    const res = await rawHttp(wide.port, httpGet(wide.port, '/', { Host: `rebind.example:${wide.port}` }));
    expect(res.status).toBe(421);
    const host = `${lanHostName()}:${wide.port}`;
    await expect(RawWebSocket.open(wide.port, `/api`, { Host: host })).rejects.toThrow(/ 401 /);
    await expect(
      RawWebSocket.open(wide.port, `/api?token=${wide.token}`, { Host: host, Origin: 'http://evil.example' }),
    ).rejects.toThrow(/ 403 /);
  });

  it("a server bound to loopback refuses this machine's LAN name (DNS rebinding guard)", async () => {
    const res = await rawHttp(
      loopback.port,
      httpGet(loopback.port, '/', { Host: `${lanHostName()}:${loopback.port}` }),
    );
    expect(res.status).toBe(421);
  });
});

describe('calls that reach beyond the workspace, by binding', () => {
  const exportTo = (name: string) => ({
    from: 0,
    to: Date.now(),
    format: 'csv' as const,
    path: path.join(tmp.dir, name),
  });
  const serialSource: SourceConfig = {
    id: 'bench-serial',
    kind: 'serial',
    name: 'Bench serial',
    enabled: false,
    options: { path: '/dev/ttyUSB0' } as never,
  };
  const tlsSource: SourceConfig = {
    id: 'bench-tls',
    kind: 'mqtt',
    name: 'Bench TLS',
    enabled: false,
    options: { url: 'mqtts://127.0.0.1:1', tls: { caFile: '/etc/passwd' } } as never,
  };
  const plainSource: SourceConfig = {
    id: 'bench-plain',
    kind: 'mqtt',
    name: 'Bench plain',
    enabled: false,
    options: { url: 'mqtt://127.0.0.1:1' } as never,
  };

  it('wide without the opt-in: an export to a path is refused, naming the flag, and writes nothing', async () => {
    const client = await connectWebSocket(wide.apiUrl);
    try {
      expect(wide.apiUrl).toMatch(/^ws:\/\/127\.0\.0\.1:/); // a loopback peer, a wide binding
      await expect(client.call('export', exportTo('wide.csv'))).rejects.toThrow(
        /^export: refused: this call writes a file at a path the caller names; this engine is served beyond loopback \(0\.0\.0\.0\), where that needs "opsdeck serve --allow-remote-files-and-commands"$/,
      );
      expect(fs.existsSync(path.join(tmp.dir, 'wide.csv'))).toBe(false);
    } finally {
      client.close();
    }
  });

  it('wide without the opt-in: sources that open a device or read TLS files are refused; others are not', async () => {
    const client = await connectWebSocket(wide.apiUrl);
    try {
      await expect(client.call('upsertSource', { source: serialSource })).rejects.toThrow(
        /^upsertSource: refused: this call opens the device at options\.path \(\/dev\/ttyUSB0\);.*--allow-remote-files-and-commands/,
      );
      await expect(client.call('upsertSource', { source: tlsSource })).rejects.toThrow(
        /^upsertSource: refused: this call reads files named in options\.tls \(caFile\);.*--allow-remote-files-and-commands/,
      );
      expect(engine.config.sources.map((s) => s.id)).not.toContain('bench-serial');
      expect(engine.config.sources.map((s) => s.id)).not.toContain('bench-tls');
      // What stays inside the workspace is the token holder's to do.
      await client.call('upsertSource', { source: plainSource });
      expect(engine.config.sources.map((s) => s.id)).toContain('bench-plain');
      await client.call('removeSource', { id: 'bench-plain' });
      expect((await client.call('query', { sql: 'SELECT 42 AS n' })).rows).toEqual([[42]]);
    } finally {
      client.close();
    }
  });

  it('wide without the opt-in: a command notifier cannot be saved or tested; a webhook can', async () => {
    const client = await connectWebSocket(wide.apiUrl);
    const command = {
      id: 'pager',
      kind: 'command' as const,
      argv: ['/usr/bin/touch', path.join(tmp.dir, 'ran')],
      enabled: true,
    };
    try {
      await expect(client.call('saveNotifier', { notifier: command })).rejects.toThrow(
        /^saveNotifier: refused: this call saves a command notifier, which runs a program \(\/usr\/bin\/touch\) on this machine;.*--allow-remote-files-and-commands/,
      );
      await expect(client.call('testNotifier', { notifier: command })).rejects.toThrow(
        /^testNotifier: refused: this call tests a command notifier.*--allow-remote-files-and-commands/,
      );
      expect(fs.existsSync(path.join(tmp.dir, 'ran'))).toBe(false);
      expect(engine.config.alerting.notifiers ?? []).toEqual([]);
      await client.call('saveNotifier', {
        notifier: { id: 'hook', kind: 'webhook', url: 'http://127.0.0.1:9/alerts' },
      });
      expect(engine.config.alerting.notifiers?.map((n) => n.id)).toEqual(['hook']);
      await client.call('removeNotifier', { id: 'hook' });
    } finally {
      client.close();
    }
  });

  it('loopback: the token holder is the user, and may export', async () => {
    const client = await connectWebSocket(loopback.apiUrl);
    try {
      const result = await client.call('export', exportTo('loopback.csv'));
      expect(result.path).toBe(path.join(tmp.dir, 'loopback.csv'));
      expect(fs.existsSync(result.path)).toBe(true);
    } finally {
      client.close();
    }
  });

  it('wide with --allow-remote-files-and-commands: the same calls go through', async () => {
    const client = await connectWebSocket(wideOptIn.apiUrl);
    try {
      const result = await client.call('export', exportTo('opt-in.csv'));
      expect(fs.existsSync(result.path)).toBe(true);
      await client.call('upsertSource', { source: serialSource });
      expect(engine.config.sources.map((s) => s.id)).toContain('bench-serial');
      await client.call('removeSource', { id: 'bench-serial' });
      await client.call('saveNotifier', {
        notifier: { id: 'pager', kind: 'command', argv: ['/bin/true'], enabled: true },
      });
      await client.call('removeNotifier', { id: 'pager' });
    } finally {
      client.close();
    }
  });
});

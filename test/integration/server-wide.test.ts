// `opsdeck serve --host 0.0.0.0`: a server bound beyond loopback. Requests name this machine by
// its LAN address or host name in `Host` (issue 9: every one was refused 421), the token still
// guards the API. Traffic goes to 127.0.0.1 only: the LAN address appears only as a Host value.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { serve, type RunningServer } from '../../electron/engine/server/http';
import { httpGet, rawHttp, RawWebSocket } from '../helpers/raw-socket';
import { tempDir } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let engine: Engine;
let site: string;
let wide: RunningServer;
let loopback: RunningServer;

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
});
afterAll(async () => {
  await wide.close();
  await loopback.close();
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

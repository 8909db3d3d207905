// `opsdeck serve`'s HTTP side against hostile request targets: a path that does not parse gets a
// 400 and the engine keeps serving the page and the API (issue 8: `GET /%` used to stop it, and
// any web page can send that with an <img>).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWebSocket } from '../../electron/cli/connect';
import { Engine } from '../../electron/engine/engine';
import { serve, type RunningServer } from '../../electron/engine/server/http';
import { httpGet, rawHttp, RawWebSocket } from '../helpers/raw-socket';
import { tempDir } from '../helpers/tmp';

let engine: Engine;
let server: RunningServer;
let cleanup: () => void;

beforeAll(async () => {
  const tmp = tempDir();
  cleanup = tmp.cleanup;
  const site = path.join(tmp.dir, 'site');
  fs.mkdirSync(path.join(site, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>OpsDeck</title>');
  fs.writeFileSync(path.join(site, 'assets', 'a b.js'), 'export {};');
  fs.writeFileSync(path.join(tmp.dir, 'secret.txt'), 'not for the web');
  engine = await Engine.open(path.join(tmp.dir, 'ws'));
  server = await serve(engine, { port: 0, staticDir: site });
});
afterAll(async () => {
  await server.close();
  await engine.close();
  cleanup();
});

async function stillServing(): Promise<void> {
  expect((await rawHttp(server.port, httpGet(server.port, '/'))).status).toBe(200);
  const client = await connectWebSocket(server.apiUrl);
  try {
    expect((await client.call('hello', {})).dir).toBe(engine.dir);
  } finally {
    client.close();
  }
}

describe('request targets that do not parse', () => {
  it.each(['/%', '/%E0%A4%A', '/assets/%zz.js', '/%C0%AF', '//', '///', '//%', '/a%00b'])(
    'GET %s is a 400 and the engine keeps serving',
    async (target) => {
      const res = await rawHttp(server.port, httpGet(server.port, target));
      expect(res.status).toBe(400);
      expect(res.body).toMatch(/request path/);
      await stillServing();
    },
  );

  it.each(['//', '//%', '/api/../%', 'http://['])(
    'an upgrade to %s is refused, not a crash',
    async (target) => {
      await expect(RawWebSocket.open(server.port, target)).rejects.toThrow(/^HTTP\/1\.1 (400|404) /);
      await stillServing();
    },
  );

  it('still serves encoded names and keeps requests inside the static folder', async () => {
    const encoded = await rawHttp(server.port, httpGet(server.port, '/assets/a%20b.js'));
    expect(encoded.status).toBe(200);
    expect(encoded.body).toContain('export {};');
    for (const escape of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const res = await rawHttp(server.port, httpGet(server.port, escape));
      expect(res.status, escape).toBe(404);
      expect(res.body, escape).not.toMatch(/not for the web/);
    }
  });
});

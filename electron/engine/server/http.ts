// `opsdeck serve`: the built renderer and the engine API (WebSocket at /api) on loopback.
// Guarded as a local web server must be: a per-launch token in the printed URL, required on every
// API connection; Host checked (DNS rebinding) and Origin checked (other pages in the browser);
// a strict CSP on the page. Binds 127.0.0.1 unless the caller names another interface; bound
// wider, calls that reach beyond the workspace (shared/api.ts MethodCapabilities) are refused
// unless the user opted in. Nothing a peer sends — a path, a header, a frame — may stop the engine.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Engine } from '../engine';
import { bindConnection, type ServerTransport } from './bind';
import { hostPolicy } from './hosts';

export const DEFAULT_PORT = 7780;

export interface ServeOptions {
  host?: string;
  /** First port to try; the next free one is taken when it is busy. 0 picks any free port. */
  port?: number;
  /** Folder of the built renderer (index.html); absent means API only. */
  staticDir?: string;
  token?: string;
  /**
   * Bound beyond loopback, still let token holders make calls that run programs or read or write
   * paths of this machine (`host` capability in shared/api.ts). Loopback needs no such consent.
   */
  allowRemoteFilesAndCommands?: boolean;
}

/** The `opsdeck serve` option that sets `allowRemoteFilesAndCommands`; refusals name it. */
export const ALLOW_REMOTE_FLAG = '--allow-remote-files-and-commands';

export interface RunningServer {
  url: string;
  apiUrl: string;
  token: string;
  port: number;
  /** Listening beyond loopback (0.0.0.0, a LAN address, a host name): reachable from other machines. */
  wide: boolean;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

export function wsTransport(socket: WebSocket): ServerTransport {
  return {
    send: (data) => socket.readyState === socket.OPEN && socket.send(data),
    onMessage: (handler) =>
      socket.on('message', (data, isBinary) => {
        const bytes = Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.isBuffer(data)
            ? data
            : Buffer.from(data);
        // Binary is handed on as such so the binding can answer that it is no call.
        handler(isBinary ? new Uint8Array(bytes).buffer : bytes.toString('utf8'));
      }),
    onClose: (handler) => socket.on('close', handler),
    backlog: () => socket.bufferedAmount,
  };
}

/** A request target's path and query, split at the first "?" (a fragment is never sent). */
function splitTarget(target: string): [string, string] {
  const q = target.indexOf('?');
  return q < 0 ? [target, ''] : [target.slice(0, q), target.slice(q + 1)];
}

/**
 * The decoded path of an origin-form request target ("/assets/a%20b.js" → "/assets/a b.js"), or
 * null when it is none: bad percent-encoding or UTF-8, a NUL, or no leading single "/".
 */
export function requestPath(target: string): string | null {
  const [raw] = splitTarget(target);
  if (!raw.startsWith('/') || raw.startsWith('//')) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return null;
  }
  return decoded.includes('\0') ? null : decoded;
}

/** ENOENT, ENOTDIR ("/index.html/x"), EACCES: not a file this server can send. */
function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

async function listen(server: http.Server, host: string, firstPort: number): Promise<number> {
  const attempts = firstPort === 0 ? 1 : 20;
  for (let i = 0; i < attempts; i++) {
    const port = firstPort === 0 ? 0 : firstPort + i;
    const result = await new Promise<number | NodeJS.ErrnoException>((resolve) => {
      const onError = (error: NodeJS.ErrnoException) => resolve(error);
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve((server.address() as { port: number }).port);
      });
    });
    if (typeof result === 'number') return result;
    if (result.code !== 'EADDRINUSE') throw new Error(`cannot listen on ${host}:${port}: ${result.message}`);
  }
  throw new Error(`no free port in ${firstPort}–${firstPort + attempts - 1} on ${host}`);
}

export async function serve(engine: Engine, options: ServeOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? crypto.randomBytes(24).toString('base64url');
  const staticDir = options.staticDir ? path.resolve(options.staticDir) : undefined;
  let port = 0;
  const hosts = hostPolicy(host, () => port);
  // Per binding, not per peer: through a wide binding even a loopback peer may be a forwarded one.
  const refuseHostCapability =
    hosts.wide && !options.allowRemoteFilesAndCommands
      ? `this engine is served beyond loopback (${host}), where that needs "opsdeck serve ${ALLOW_REMOTE_FLAG}"`
      : undefined;

  const server = http.createServer((req, res) => {
    try {
      serveStatic(req, res);
    } catch {
      // Nothing a request sends may stop the engine; the client learns no more than this.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n');
      else res.destroy();
    }
  });
  const serveStatic = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!hosts.allowsHost(req.headers.host)) {
      res.writeHead(421, { 'content-type': 'text/plain' }).end('unexpected Host header\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (!staticDir) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('this engine serves the API only\n');
      return;
    }
    const urlPath = requestPath(req.url ?? '/');
    if (urlPath === null) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request path\n');
      return;
    }
    const file = path.resolve(staticDir, '.' + (urlPath === '/' ? '/index.html' : urlPath));
    if (!file.startsWith(staticDir + path.sep) || !isFile(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const headers: Record<string, string> = {
      'content-type': MIME[path.extname(file)] ?? 'application/octet-stream',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    };
    if (file.endsWith('.html')) {
      headers['content-security-policy'] =
        `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src ws://${req.headers.host}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
      headers['x-frame-options'] = 'DENY';
    }
    res.writeHead(200, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    // A file that vanishes or cannot be read after the stat ends the response; it never throws.
    fs.createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  };

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 1024 * 1024,
  });
  server.on('upgrade', (req, socket, head) => {
    // Node hands the socket over without its error listener: a peer's reset must not stop the engine.
    socket.on('error', () => socket.destroy());
    try {
      upgrade(req, socket, head);
    } catch {
      socket.destroy();
    }
  });
  const upgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const [target, query] = splitTarget(req.url ?? '');
    const origin = req.headers.origin;
    const refuse = (status: number, why: string) => {
      socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (target !== '/api') return refuse(404, 'Not Found');
    if (!hosts.allowsHost(req.headers.host)) return refuse(421, 'Misdirected Request');
    // Browsers always send Origin; only our own page may connect. Non-browser clients send none.
    if (origin !== undefined && !hosts.allowsOrigin(origin)) return refuse(403, 'Forbidden');
    if (!tokensEqual(new URLSearchParams(query).get('token') ?? '', token))
      return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      // A protocol error (frame over maxPayload, invalid UTF-8, bad opcode, unmasked or RSV frame,
      // close code 999…): ws has already sent the close frame with its code (1002, 1007, 1009) and
      // ends this socket. Without a listener the 'error' event would stop the whole engine.
      ws.on('error', () => undefined);
      bindConnection(engine, wsTransport(ws), { refuseHostCapability });
    });
  };

  port = await listen(server, host, options.port ?? DEFAULT_PORT);
  // After listening, errors are the kernel refusing one accept (EMFILE under load): say so, keep serving.
  server.on('error', (error) => process.stderr.write(`opsdeck serve: ${error.message}\n`));
  // A wildcard bind is reached here through loopback (browsers refuse 0.0.0.0; Windows cannot connect to it).
  const localHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const shownHost = localHost.includes(':') ? `[${localHost}]` : localHost;
  return {
    port,
    token,
    wide: hosts.wide,
    url: `http://${shownHost}:${port}/?token=${token}`,
    apiUrl: `ws://${shownHost}:${port}/api?token=${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// Protocol fuzz of `opsdeck serve` (issue 9), against the real command in its own process, over raw
// sockets so malformed HTTP and hand-built WebSocket frames reach it as sent: hostile methods,
// paths, headers and queries; frames with wrong opcodes, lengths, masks and RSV bits, fragmented
// control frames, huge lengths; JSON with wrong types, unknown methods, wrong params. After every
// batch the process is alive and answers an authenticated call. Bounded in runs and in time.
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWebSocket } from '../../electron/cli/connect';
import { Methods, ResultMessage } from '../../shared/api';
import type { RpcClient } from '../../shared/rpc';
import { assertBuilt, startServe, type ServedConsole } from '../helpers/cli';
import { OPCODE, rawHttp, RawWebSocket, wsFrame } from '../helpers/raw-socket';
import { tempDir } from '../helpers/tmp';

/** Each property stops after this many runs or this long, whichever comes first. */
const RUNS = 200;
const TIME_LIMIT_MS = 25_000;
// endOnFailure: no shrinking, which against an engine that stopped would only report refused connections.
const limits = {
  numRuns: RUNS,
  interruptAfterTimeLimit: TIME_LIMIT_MS,
  markInterruptAsFailure: false,
  endOnFailure: true,
  // A failure prints its seed; FUZZ_SEED=<seed> replays the same inputs.
  seed: process.env['FUZZ_SEED'] ? Number(process.env['FUZZ_SEED']) : undefined,
};

let tmp: ReturnType<typeof tempDir>;
let served: ServedConsole;
let port: number;
let token: string;
let apiUrl: string;
let dir: string;
/** One connection kept open through every batch: the others' garbage must not reach it. */
let bystander: RpcClient;

beforeAll(async () => {
  assertBuilt();
  tmp = tempDir();
  dir = path.join(tmp.dir, 'ws');
  served = await startServe(['serve', '--workspace', dir, '--port', '0']);
  const url = new URL(served.url);
  port = Number(url.port);
  token = url.searchParams.get('token')!;
  apiUrl = `ws://127.0.0.1:${port}/api?token=${token}`;
  bystander = await connectWebSocket(apiUrl);
});
afterAll(async () => {
  bystander?.close();
  // A clean exit on SIGTERM: the engine ran to the end and closed its database.
  expect(await served.stop()).toBe(0);
  tmp.cleanup();
});

/** The engine process is alive, the long-lived connection and a fresh one both get answers. */
async function stillServing(): Promise<void> {
  expect(served.child.exitCode, served.stderr()).toBeNull();
  expect((await bystander.call('hello', {})).dir).toBe(dir);
  const fresh = await connectWebSocket(apiUrl);
  try {
    expect((await fresh.call('status', {})).sources.length).toBeGreaterThan(0);
  } finally {
    fresh.close();
  }
}

// ---- HTTP ------------------------------------------------------------------------------------

const hostileText = fc.string({ unit: 'binary', maxLength: 24 });
const percent = fc.oneof(
  fc.constantFrom('%', '%%', '%0', '%zz', '%00', '%2e%2e', '%2f', '%5c', '%C0%AF', '%E0%A4%A', '%FF'),
  fc.tuple(fc.constant('%'), fc.string({ unit: 'binary-ascii', maxLength: 2 })).map(([p, s]) => p + s),
);
/** Printable ASCII but the space: what gets through Node's request-line parser to the handler. */
const urlText = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 16,
});
const segment = fc.oneof(
  {
    arbitrary: fc.constantFrom('', '.', '..', 'api', 'index.html', 'assets', '~', '\\', ';', '*'),
    weight: 3,
  },
  { arbitrary: urlText, weight: 4 },
  { arbitrary: percent, weight: 4 },
  { arbitrary: hostileText, weight: 1 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }), weight: 1 },
);
const pathArb = fc.oneof(
  { arbitrary: fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => '/' + s.join('/')), weight: 6 },
  fc.constantFrom('/', '*', '//', '/%', '/api', 'http://[', 'http://127.0.0.1/', '/index.html/x'),
  hostileText,
);
/** Query parameters, the token among them; mostly what the parser lets through. */
const queryPart = fc.oneof({ arbitrary: urlText, weight: 4 }, { arbitrary: percent, weight: 2 }, hostileText);
const queryArb = fc.oneof(
  fc.constant(''),
  fc
    .array(fc.tuple(fc.oneof(fc.constant('token'), queryPart), fc.oneof(fc.constant('x'), queryPart)), {
      maxLength: 4,
    })
    .map((pairs) => '?' + pairs.map(([k, v]) => `${k}=${v}`).join('&')),
);
/** Mostly a method the server serves, so hostile paths get past the method check. */
const methodArb = fc.oneof(
  { arbitrary: fc.constantFrom('GET', 'HEAD'), weight: 6 },
  fc.constantFrom('POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'PATCH', 'PRI', 'get'),
  fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ-_'), minLength: 1, maxLength: 12 }),
  hostileText,
);
/** Mostly a Host the server accepts, so hostile paths and headers get past the Host check. */
const hostArb = () =>
  fc.oneof(
    { arbitrary: fc.constantFrom(`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`), weight: 6 },
    fc.constantFrom(
      `127.0.0.1`,
      '',
      `evil.example:${port}`,
      `a@127.0.0.1:${port}`,
      `127.0.0.1:${port}:${port}`,
      `[::1:${port}`,
      `LOCALHOST:${port}`,
    ),
    hostileText,
  );
/** Headers: mostly well-formed with hostile values, sometimes malformed, rarely past Node's size limit. */
const headerArb = fc.tuple(
  fc.oneof(
    {
      arbitrary: fc.constantFrom(
        'Origin',
        'Upgrade',
        'Connection',
        'Content-Length',
        'Transfer-Encoding',
        'Cookie',
        'Range',
        'X-Forwarded-Host',
      ),
      weight: 6,
    },
    fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 16 }),
  ),
  fc.oneof(
    { arbitrary: urlText, weight: 3 },
    {
      arbitrary: fc.constantFrom(
        'websocket',
        'chunked',
        '0',
        '-1',
        '99999999999999999999',
        'null',
        'http://evil.example',
        'upgrade',
      ),
      weight: 3,
    },
    hostileText,
    fc.nat({ max: 20_000 }).map((n) => 'x'.repeat(n)), // past Node's limit: 431
  ),
);

/** HTTP/1.1 as a client would never send it; the connection is half-closed so the server ends it. */
const requestArb = () =>
  fc.record({
    method: methodArb,
    target: fc.tuple(pathArb, queryArb).map(([p, q]) => p + q),
    version: fc.oneof(
      { arbitrary: fc.constantFrom('HTTP/1.1', 'HTTP/1.0'), weight: 6 },
      fc.constantFrom('HTTP/2.0', 'HTTP/1.2', '', 'http/1.1'),
    ),
    host: fc.option(hostArb(), { nil: undefined, freq: 8 }),
    headers: fc.array(headerArb, { maxLength: 3 }),
  });

describe('HTTP fuzz', () => {
  it('every request gets a well-formed answer other than a 500, and the engine goes on', async () => {
    const statuses = new Map<number, number>();
    let reachedHandler = 0;
    await fc.assert(
      fc.asyncProperty(requestArb(), async (r) => {
        const lines = [`${r.method} ${r.target} ${r.version}`.trimEnd()];
        if (r.host !== undefined) lines.push(`Host: ${r.host}`);
        for (const [name, value] of r.headers) lines.push(`${name}: ${value}`);
        const res = await rawHttp(port, Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'utf8'), {
          timeoutMs: 3_000,
          halfClose: true,
        });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        // Node's own 400 for what its parser refuses has no content-type; the handler's answers do.
        if (res.status !== 400 || /^content-type:/im.test(res.head)) reachedHandler++;
        // 0: the server closed without a status line (a parser that gives up on garbage may).
        expect([0, 200, 400, 404, 405, 413, 414, 421, 426, 431, 501, 505]).toContain(res.status);
      }),
      limits,
    );
    await stillServing();
    // The fuzz reached the handler's own answers, not only the parser's 400s.
    expect(reachedHandler, JSON.stringify([...statuses])).toBeGreaterThan(RUNS / 10);
  });

  it('every upgrade attempt is answered 101 or refused, and the engine goes on', async () => {
    const upgradeArb = fc.record({
      target: fc.oneof(
        fc.constant(`/api?token=${token}`),
        fc.tuple(fc.constantFrom('/api', '/api/', '/', '//', '/%'), queryArb).map(([p, q]) => p + q),
      ),
      host: fc.oneof(fc.constant(`127.0.0.1:${port}`), hostArb()),
      origin: fc.option(
        fc.oneof(
          fc.constantFrom(
            `http://127.0.0.1:${port}`,
            'http://evil.example',
            'null',
            `https://127.0.0.1:${port}`,
          ),
          hostileText,
        ),
        { nil: undefined },
      ),
      version: fc.constantFrom('13', '8', '', 'x'),
      key: fc.oneof(fc.constant('dGhlIHNhbXBsZSBub25jZQ=='), hostileText),
    });
    await fc.assert(
      fc.asyncProperty(upgradeArb, async (u) => {
        const headers: Record<string, string> = {
          Host: u.host,
          'Sec-WebSocket-Version': u.version,
          'Sec-WebSocket-Key': u.key,
        };
        if (u.origin !== undefined) headers['Origin'] = u.origin;
        try {
          const ws = await RawWebSocket.open(port, u.target, headers);
          ws.destroy();
        } catch (error) {
          const status = /^HTTP\/1\.1 (\d{3}) /.exec((error as Error).message)?.[1];
          // A reset while refusing counts as refused; any status must be a refusal we chose.
          if (status) expect(['400', '401', '403', '404', '421', '426', '431']).toContain(status);
        }
      }),
      limits,
    );
    await stillServing();
  });
});

// ---- WebSocket frames ---------------------------------------------------------------------------

const frameArb = fc.record({
  opcode: fc.oneof(
    fc.constantFrom(OPCODE.text, OPCODE.binary, OPCODE.continuation, OPCODE.close, OPCODE.ping, OPCODE.pong),
    fc.integer({ min: 0, max: 15 }),
  ),
  fin: fc.boolean(),
  rsv: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 7 })),
  mask: fc.oneof(fc.constant(true), fc.boolean()),
  payload: fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
    fc.string({ maxLength: 60 }).map((s) => Buffer.from(s)),
    fc.constant(Buffer.from('{"t":"call","id":1,"method":"hello","params":{}}')),
    fc.integer({ min: 0, max: 65_535 }).map((code) => Buffer.from([code >> 8, code & 0xff])), // close codes
  ),
  announcedLength: fc.option(
    fc.oneof(
      fc.constantFrom<number | bigint>(
        125,
        126,
        127,
        65_535,
        65_536,
        1024 * 1024 + 1,
        2 ** 32,
        2n ** 63n,
        2n ** 64n - 1n,
      ),
      fc.nat({ max: 300 }),
    ),
    { nil: undefined },
  ),
});

/** Codes a server may close with: its own errors, or a client's valid code echoed back. */
const validCloseCode = (code: number) =>
  [1000, 1001, 1002, 1003, 1005, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014].includes(code) ||
  (code >= 3000 && code <= 4999);

describe('WebSocket frame fuzz', () => {
  it('any sequence of frames closes at most that connection, with a valid code', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(frameArb, { minLength: 1, maxLength: 5 }), async (frames) => {
        const ws = await RawWebSocket.open(port, `/api?token=${token}`);
        for (const f of frames) ws.send(wsFrame(f));
        // A frame announcing more bytes than sent leaves the server waiting: give up on it, then drop it.
        const code = await ws.closed(400).catch(() => null);
        ws.destroy();
        if (code !== null) expect(validCloseCode(code), `close code ${code}`).toBe(true);
      }),
      limits,
    );
    await stillServing();
  });
});

// ---- JSON calls --------------------------------------------------------------------------------

const methodNames = Object.keys(Methods);
/** Keys of real params (no `path`: a valid export must not be generated by chance). */
const paramKeys = [
  'sql',
  'maxRows',
  'channels',
  'from',
  'to',
  'maxPoints',
  'id',
  'enabled',
  'source',
  'topic',
  'payload',
  'encoding',
  'qos',
  'retain',
  'name',
  'value',
  'limit',
  'prefix',
  'search',
  'matchers',
  'startsAt',
  'endsAt',
  'createdBy',
  'comment',
  'actor',
  'labels',
  'rule',
  'data',
  'lineEnding',
  'after',
  'windowMs',
  'columns',
  'format',
];
const idArb = fc.oneof(
  fc.nat(),
  fc.integer({ max: -1 }),
  fc.double(),
  fc.string({ maxLength: 8 }),
  fc.constant(null),
  fc.constant(2 ** 53 + 2),
  fc.constant(undefined),
);
const paramsArb = fc.oneof(
  fc.anything(),
  fc.dictionary(
    fc.constantFrom(...paramKeys),
    fc.oneof(fc.anything(), fc.integer(), fc.string(), fc.array(fc.nat({ max: 5 }))),
  ),
  fc.constant(undefined),
);
/** A text message: mostly call-shaped, some any JSON, some not JSON at all. */
const messageArb = fc.oneof(
  fc
    .record({
      t: fc.oneof(fc.constant('call'), fc.constant('call'), fc.anything()),
      id: idArb,
      method: fc.oneof(fc.constantFrom(...methodNames), fc.string({ maxLength: 16 }), fc.anything()),
      params: paramsArb,
    })
    .map((m) => JSON.stringify(m)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 80 }),
);

/** The id a reply must carry: the message's own when it is a valid id (a non-negative safe integer). */
function expectedReplyId(text: string): number | null {
  let id: unknown;
  try {
    id = (JSON.parse(text) as { id?: unknown } | null)?.id;
  } catch {
    return null;
  }
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : null;
}

describe('JSON call fuzz', () => {
  let raw: RawWebSocket;
  beforeAll(async () => {
    raw = await RawWebSocket.open(port, `/api?token=${token}`);
  });
  afterAll(() => raw.destroy());

  it('every text message gets one result: to its id when it has a valid one, else to id null', async () => {
    await fc.assert(
      fc.asyncProperty(messageArb, async (text) => {
        const expectedId = expectedReplyId(text);
        raw.sendText(text);
        const reply = await raw.nextText(
          (m) => (m as { t?: unknown }).t === 'result' && (m as { id?: unknown }).id === expectedId,
        );
        expect(ResultMessage.safeParse(reply).success, JSON.stringify(reply)).toBe(true);
      }),
      limits,
    );
    await stillServing();
  });
});

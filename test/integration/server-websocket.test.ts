// The API's WebSocket against protocol errors and bad messages (issue 8): an offending connection
// is closed with the close code RFC 6455 names, every other connection keeps being served, and a
// message that is no valid call gets an error reply instead of silence.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWebSocket } from '../../electron/cli/connect';
import { Engine } from '../../electron/engine/engine';
import { serve, type RunningServer } from '../../electron/engine/server/http';
import type { RpcClient } from '../../shared/rpc';
import { OPCODE, RawWebSocket, wsFrame } from '../helpers/raw-socket';
import { tempDir } from '../helpers/tmp';

let engine: Engine;
let server: RunningServer;
let bystander: RpcClient;
let cleanup: () => void;

beforeAll(async () => {
  const tmp = tempDir();
  cleanup = tmp.cleanup;
  engine = await Engine.open(path.join(tmp.dir, 'ws'));
  server = await serve(engine, { port: 0 });
  // Open before any offence and kept open throughout: it must be served whatever others send.
  bystander = await connectWebSocket(server.apiUrl);
});
afterAll(async () => {
  bystander.close();
  await server.close();
  await engine.close();
  cleanup();
});

const apiTarget = () => `/api?token=${server.token}`;
const closeFrame = (code: number) => {
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(code);
  return wsFrame({ opcode: OPCODE.close, payload });
};

describe('WebSocket protocol errors close only the offending connection', () => {
  const offences: [string, () => Buffer, number][] = [
    [
      'a frame over maxPayload',
      () => wsFrame({ opcode: OPCODE.text, payload: Buffer.alloc(16), announcedLength: 2 * 1024 * 1024 }),
      1009,
    ],
    ['a 2^63-byte length', () => wsFrame({ opcode: OPCODE.binary, announcedLength: 2n ** 63n }), 1009],
    [
      'invalid UTF-8 in a text frame',
      () => wsFrame({ opcode: OPCODE.text, payload: Buffer.from([0xc3, 0x28]) }),
      1007,
    ],
    ['a reserved opcode', () => wsFrame({ opcode: 0x3, payload: Buffer.from('x') }), 1002],
    [
      'an unmasked client frame',
      () => wsFrame({ opcode: OPCODE.text, payload: Buffer.from('{}'), mask: false }),
      1002,
    ],
    [
      'RSV1 without an extension',
      () => wsFrame({ opcode: OPCODE.text, payload: Buffer.from('{}'), rsv: 4 }),
      1002,
    ],
    ['close code 999', () => closeFrame(999), 1002],
    ['a fragmented ping', () => wsFrame({ opcode: OPCODE.ping, fin: false }), 1002],
    ['a ping over 125 bytes', () => wsFrame({ opcode: OPCODE.ping, payload: Buffer.alloc(126) }), 1002],
    [
      'a continuation with nothing to continue',
      () => wsFrame({ opcode: OPCODE.continuation, payload: Buffer.from('x') }),
      1002,
    ],
  ];

  it.each(offences)('%s: closed with its code', async (_what, frame, code) => {
    const offender = await RawWebSocket.open(server.port, apiTarget());
    offender.send(frame());
    expect(await offender.closed()).toBe(code);
    offender.destroy();
    expect((await bystander.call('hello', {})).dir).toBe(engine.dir);
    const fresh = await connectWebSocket(server.apiUrl);
    expect((await fresh.call('status', {})).sources.length).toBeGreaterThan(0);
    fresh.close();
  });
});

describe('messages that are no valid call get an error reply', () => {
  let raw: RawWebSocket;
  beforeAll(async () => {
    raw = await RawWebSocket.open(server.port, apiTarget());
  });
  afterAll(() => raw.destroy());

  const result = (id: unknown) => (m: unknown) =>
    (m as { t?: string }).t === 'result' && (m as { id?: unknown }).id === id;

  it.each([
    ['not JSON', '{"t":"call",', /^bad call: not JSON/],
    ['a string id', '{"t":"call","id":"seven","method":"hello","params":{}}', /^bad call: id: /],
    ['a negative id', '{"t":"call","id":-1,"method":"hello"}', /^bad call: id: /],
    ['a fractional id', '{"t":"call","id":1.5,"method":"hello"}', /^bad call: id: /],
    ['an array', '[1,2,3]', /^bad call: /],
    ['null', 'null', /^bad call: /],
  ])('%s: an error with id null', async (_what, text, error) => {
    raw.sendText(text);
    const reply = (await raw.nextText(result(null))) as { ok: boolean; error: string };
    expect(reply.ok).toBe(false);
    expect(reply.error).toMatch(error);
  });

  it('a binary message: an error with id null', async () => {
    raw.send(wsFrame({ opcode: OPCODE.binary, payload: Buffer.from('{"t":"call","id":1}') }));
    const reply = (await raw.nextText(result(null))) as { error: string };
    expect(reply.error).toMatch(/binary messages are not calls/);
  });

  it.each([
    ['a method that is no string', '{"t":"call","id":41,"method":5}', 41, /^bad call: method: /],
    ['an unknown method', '{"t":"call","id":42,"method":"__proto__"}', 42, /^unknown method "__proto__"/],
    [
      'params of the wrong type',
      '{"t":"call","id":43,"method":"query","params":{"sql":7}}',
      43,
      /^query: sql: /,
    ],
    ['a wrong envelope type', '{"t":"event","id":44,"method":"hello"}', 44, /^bad call: t: /],
  ])('%s: an error to its id', async (_what, text, id, error) => {
    raw.sendText(text);
    const reply = (await raw.nextText(result(id))) as { ok: boolean; error: string };
    expect(reply.ok).toBe(false);
    expect(reply.error).toMatch(error);
  });

  it('the same connection still answers a valid call', async () => {
    raw.sendText('{"t":"call","id":99,"method":"hello","params":{}}');
    const reply = (await raw.nextText(result(99))) as { ok: boolean; value: { dir: string } };
    expect(reply).toMatchObject({ ok: true, value: { dir: engine.dir } });
  });
});

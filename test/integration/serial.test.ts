// Serial sources against real ptys (socat pairs): each format a bench device prints, written by
// the test playing the device, decoded into channels and records in DuckDB; garbage, bad NMEA
// checksums and torn binary frames quarantined with their bytes while the stream goes on; the
// device vanishing and coming back; the console and sending commands, through the API.
//
// Every write starts with a line end (or a SLIP END): bytes arriving right after the port opens
// may be the rest of a line the device was already sending, and the source keeps that first line
// apart — as a device that was already talking would need.
import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checks, slipEncode } from '../../electron/engine/decode/binary';
import { Engine } from '../../electron/engine/engine';
import { bindConnection } from '../../electron/engine/server/bind';
import { portTransport } from '../../electron/engine/server/port';
import { RpcClient } from '../../shared/rpc';
import type { SourceConfig } from '../../shared/schemas';
import { PtyPair } from '../helpers/pty';
import { tempDir, waitFor } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
const closers: (() => Promise<void> | void)[] = [];

beforeAll(() => {
  tmp = tempDir();
});
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  tmp.cleanup();
});

async function pty(name: string): Promise<PtyPair> {
  const pair = await PtyPair.start(tmp.dir, name);
  closers.push(() => pair.stop());
  return pair;
}

async function engineWith(sources: SourceConfig[]): Promise<Engine> {
  const dir = path.join(tmp.dir, `ws-${Math.random().toString(36).slice(2)}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'opsdeck.json'), JSON.stringify({ version: 1, sources }));
  const engine = await Engine.open(dir, { flushIntervalMs: 50 });
  closers.push(() => engine.close());
  return engine;
}

const serial = (id: string, options: Record<string, unknown>): SourceConfig =>
  ({ id, kind: 'serial', name: id, enabled: true, options }) as SourceConfig;

const rows = async (engine: Engine, sql: string) => (await engine.query(sql, 100_000)).rows;
const count = async (engine: Engine, sql: string) => Number((await rows(engine, sql))[0]![0]);
const state = (engine: Engine, id: string) => engine.status().sources.find((s) => s.id === id)!;
const samplesOf = (engine: Engine, source: string) =>
  rows(engine, `SELECT channel, value FROM samples_v WHERE source = '${source}' ORDER BY channel, value`);
const quarantineOf = (engine: Engine, source: string) =>
  rows(
    engine,
    `SELECT q.reason, hex(q.raw) FROM quarantine q JOIN sources s ON s.id = q.source_id
     WHERE s.key = '${source}' ORDER BY q.rx, q.reason`,
  );
const hex = (b: Uint8Array | string) => Buffer.from(b).toString('hex').toUpperCase();

/** AA 55, int16 temperature ×100, uint16 humidity ×10, CRC-16/MODBUS (low byte first). */
function fixedFrame(temp: number, hum: number): Buffer {
  const f = Buffer.alloc(8);
  f.set([0xaa, 0x55]);
  f.writeInt16LE(Math.round(temp * 100), 2);
  f.writeUInt16LE(Math.round(hum * 10), 4);
  f.writeUInt16LE(checks['crc16-modbus'].compute(f, 0, 6), 6);
  return f;
}

/** uint16 sequence, float32 value, CRC-32, as a SLIP frame. */
function slipFrame(seq: number, value: number): Uint8Array {
  const f = Buffer.alloc(10);
  f.writeUInt16LE(seq, 0);
  f.writeFloatLE(value, 2);
  f.writeUInt32LE(checks.crc32.compute(f, 0, 6), 6);
  return slipEncode(f);
}

const nmeaLines = fs
  .readFileSync(path.join(__dirname, '../fixtures/nmea/gpsd_bu353s4.log'), 'utf8')
  .split(/\r?\n/)
  .filter((l) => l.startsWith('$'));

describe('serial formats on ptys', () => {
  let engine: Engine;
  const pairs: Record<string, PtyPair> = {};
  beforeAll(async () => {
    for (const name of ['plot', 'csv', 'json', 'kv', 'gps', 'bin', 'slip']) pairs[name] = await pty(name);
    engine = await engineWith([
      // Rates a pty ignores but a real port must accept: 250000 and 1000000 are common on AVR boards.
      serial('plot', { path: pairs['plot']!.dev, baudRate: 250_000 }),
      serial('csv', {
        path: pairs['csv']!.dev,
        baudRate: 1_000_000,
        dataBits: 7,
        parity: 'even',
        stopBits: 2,
      }),
      serial('json', { path: pairs['json']!.dev, lineDecoder: 'json', record: true }),
      serial('kv', { path: pairs['kv']!.dev, rtscts: true }),
      serial('gps', { path: pairs['gps']!.dev, baudRate: 4800, framing: 'nmea' }),
      serial('bin', {
        path: pairs['bin']!.dev,
        binary: {
          framing: 'fixed',
          sync: 'AA 55',
          fields: [
            { name: 'temp', type: 'int16', scale: 0.01, unit: '°C' },
            { name: 'hum', type: 'uint16', scale: 0.1, unit: '%RH' },
          ],
          check: { kind: 'crc16-modbus' },
        },
      }),
      serial('slip', {
        path: pairs['slip']!.dev,
        dtr: false,
        binary: {
          framing: 'slip',
          fields: [
            { name: 'seq', type: 'uint16' },
            { name: 'value', type: 'float32' },
          ],
          check: { kind: 'crc32' },
        },
      }),
    ]);
    for (const id of Object.keys(pairs))
      await waitFor(`${id} connected`, () => state(engine, id).state === 'connected');
  });

  it('describes each port with its line settings and framing', () => {
    expect(state(engine, 'csv').endpoint).toBe(`${pairs['csv']!.dev}, 1000000 7E2, lines, format: detecting`);
    expect(state(engine, 'kv').endpoint).toMatch(/115200 8N1, RTS\/CTS, lines, format: detecting$/);
    expect(state(engine, 'bin').endpoint).toMatch(/binary, 8-byte frames$/);
    // A pty has no modem lines: DTR cannot be set, and the source says so rather than failing.
    expect(state(engine, 'slip').warnings).toEqual([
      expect.stringMatching(/^DTR\/RTS not set: .*a pty has no modem lines/),
    ]);
  });

  it('reads the Arduino plotter format: label:value pairs and bare values', async () => {
    await pairs['plot']!.write('\r\ntemp:21.5 hum:40\r\ntemp:21.6\thum:41\r\n3.5,4.5\r\n');
    await waitFor('plotter samples', async () => (await samplesOf(engine, 'plot')).length === 6);
    expect(await samplesOf(engine, 'plot')).toEqual([
      ['plot/hum', 40],
      ['plot/hum', 41],
      ['plot/temp', 21.5],
      ['plot/temp', 21.6],
      ['plot/value 1', 3.5],
      ['plot/value 2', 4.5],
    ]);
  });

  it('reads CSV with a header line', async () => {
    await pairs['csv']!.write('\nTemperature,Humidity,CO2\n23.18,27.27,721.25\n23.15,27.2675,714\n');
    await waitFor('csv samples', async () => (await samplesOf(engine, 'csv')).length === 6);
    expect(await samplesOf(engine, 'csv')).toEqual([
      ['csv/CO2', 714],
      ['csv/CO2', 721.25],
      ['csv/Humidity', 27.2675],
      ['csv/Humidity', 27.27],
      ['csv/Temperature', 23.15],
      ['csv/Temperature', 23.18],
    ]);
    await waitFor('the format shown', () => state(engine, 'csv').endpoint!.endsWith('lines, format: csv'));
  });

  it('reads JSON objects with their own timestamps, and records every byte when asked', async () => {
    const line = '{"ts":1795600000,"temp":21.5,"env":{"hum":40},"state":"ok"}';
    await pairs['json']!.write(`\n${line}\n`);
    await waitFor('json samples', async () => (await samplesOf(engine, 'json')).length === 2);
    expect(
      await rows(
        engine,
        `SELECT channel, value, epoch_ms(ts) FROM samples_v WHERE source = 'json' ORDER BY channel`,
      ),
    ).toEqual([
      ['json/env.hum', 40, 1795600000000],
      ['json/temp', 21.5, 1795600000000],
    ]);
    expect(await rows(engine, `SELECT message, fields FROM records_v WHERE source = 'json'`)).toEqual([
      [pairs['json']!.dev, '{"state":"ok"}'],
    ]);
    await waitFor(
      'recorded bytes',
      async () =>
        (await rows(engine, `SELECT string_agg(decode(payload), '' ORDER BY rx) FROM recordings`))[0]![0] ===
        `\n${line}\n`,
    );
  });

  it('reads key=value lines, and quarantines garbage with its bytes while the stream goes on', async () => {
    const garbage = Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x0a]);
    await pairs['kv']!.write('\npump=1 pressure=2.5 state=running\n');
    await pairs['kv']!.write(garbage);
    await pairs['kv']!.write('Booting v2\npump=0 pressure=2.25\n');
    await waitFor('kv samples', async () => (await samplesOf(engine, 'kv')).length === 4);
    expect(await samplesOf(engine, 'kv')).toEqual([
      ['kv/pressure', 2.25],
      ['kv/pressure', 2.5],
      ['kv/pump', 0],
      ['kv/pump', 1],
    ]);
    expect(await rows(engine, `SELECT fields FROM records_v WHERE source = 'kv'`)).toEqual([
      ['{"state":"running"}'],
    ]);
    expect(await quarantineOf(engine, 'kv')).toEqual([
      [expect.stringMatching(/decoder recognises this/), 'FFFE0081'],
      [expect.stringMatching(/decoder recognises this/), hex('Booting v2')],
    ]);
    expect(state(engine, 'kv')).toMatchObject({ state: 'connected', quarantined: 2 });
  });

  it('reads NMEA from a real receiver capture, and quarantines a bad checksum', async () => {
    const bad = nmeaLines[0]!.replace('*7D', '*7E');
    const lines = [...nmeaLines.slice(0, 30), bad, ...nmeaLines.slice(30)];
    await pairs['gps']!.write(`\r\n${lines.join('\r\n')}\r\n`);
    const ggas = nmeaLines.filter((l) => l.startsWith('$GPGGA'));
    const rmcs = nmeaLines.filter((l) => l.startsWith('$GPRMC'));
    await waitFor(
      'every fix',
      async () =>
        (await count(engine, `SELECT count(*) FROM samples_v WHERE channel = 'gps/lat'`)) === ggas.length &&
        (await count(engine, `SELECT count(*) FROM samples_v WHERE channel = 'gps/speed'`)) === rmcs.length,
    );
    const at = (channel: string, time: string) =>
      rows(
        engine,
        `SELECT unit, value FROM samples_v WHERE channel = 'gps/${channel}' AND ts = TIMESTAMP '${time}'`,
      );
    // The first RMC: motion at the sentence's own date and time. The GGA after it: the position.
    expect(await at('speed', '2014-12-31 03:07:19')).toEqual([['kn', 0.69]]);
    expect(await at('course', '2014-12-31 03:07:19')).toEqual([['°', 181.39]]);
    expect(await at('lat', '2014-12-31 03:07:20')).toEqual([['°', expect.closeTo(-(37 + 47.0875 / 60), 9)]]);
    expect(await at('lon', '2014-12-31 03:07:20')).toEqual([['°', expect.closeTo(175 + 18.8938 / 60, 9)]]);
    expect(await at('altitude', '2014-12-31 03:07:20')).toEqual([['m', 59.8]]);
    expect(await at('satellites', '2014-12-31 03:07:20')).toEqual([['', 8]]);
    expect(await quarantineOf(engine, 'gps')).toEqual([
      ['NMEA checksum mismatch: computed 7D, the sentence says 7E', hex(bad)],
    ]);
  });

  it('reads fixed-length binary frames with CRC-16/MODBUS; garbage and a torn frame are quarantined, then it resyncs', async () => {
    const torn = fixedFrame(99, 99).subarray(0, 5);
    const junk = Buffer.from([0x13, 0x37]);
    await pairs['bin']!.write(
      Buffer.concat([fixedFrame(21.5, 40), junk, fixedFrame(21.6, 41.5), torn, fixedFrame(-3.25, 42)]),
      { burst: 5 },
    );
    await waitFor('binary samples', async () => (await samplesOf(engine, 'bin')).length === 6);
    expect(
      await rows(
        engine,
        `SELECT channel, unit, round(value, 4) AS v FROM samples_v WHERE source = 'bin' ORDER BY channel, v`,
      ),
    ).toEqual([
      ['bin/hum', '%RH', 40],
      ['bin/hum', '%RH', 41.5],
      ['bin/hum', '%RH', 42],
      ['bin/temp', '°C', -3.25],
      ['bin/temp', '°C', 21.5],
      ['bin/temp', '°C', 21.6],
    ]);
    expect(await quarantineOf(engine, 'bin')).toEqual([
      ['bytes before a sync', '1337'],
      [
        expect.stringMatching(
          /^crc16-modbus check failed: computed [0-9A-F]{4}, frame says [0-9A-F]{4}; resynced$/,
        ),
        hex(torn),
      ],
    ]);
  });

  it('reads SLIP frames with CRC-32, and quarantines a torn one', async () => {
    const torn = slipFrame(2, 0.25).subarray(0, 6); // END and 5 bytes, then the device resets
    await pairs['slip']!.write(Buffer.concat([slipFrame(1, 0.5), torn, slipFrame(0xc0db, -1.5)]), {
      burst: 7,
    });
    await waitFor('slip samples', async () => (await samplesOf(engine, 'slip')).length === 4);
    expect(await samplesOf(engine, 'slip')).toEqual([
      ['slip/seq', 1],
      ['slip/seq', 0xc0db],
      ['slip/value', -1.5],
      ['slip/value', 0.5],
    ]);
    expect(await quarantineOf(engine, 'slip')).toEqual([
      ['torn frame: 5 bytes, the layout needs at least 10', hex(torn.subarray(1))],
    ]);
  });

  it('shows the traffic in the console and sends commands to the device, through the API', async () => {
    const { port1, port2 } = new MessageChannel();
    bindConnection(engine, portTransport(port1));
    const client = new RpcClient({
      send: (data) => port2.postMessage(data),
      onMessage: (handler) => port2.on('message', (data: string | ArrayBuffer) => handler(data)),
      onClose: (handler) => port2.on('close', () => handler('port closed')),
      close: () => port2.close(),
    });
    closers.push(() => client.close());

    const seen = await client.call('sourceConsole', { source: 'plot' });
    expect(seen.chunks.every((c) => c.dir === 'rx')).toBe(true);
    expect(seen.chunks.map((c) => c.text).join('')).toBe(
      '\r\ntemp:21.5 hum:40\r\ntemp:21.6\thum:41\r\n3.5,4.5\r\n',
    );
    const binary = await client.call('sourceConsole', { source: 'bin' });
    expect(binary.chunks.map((c) => c.hex).join('')).toMatch(/^aa55/);

    const sent = await client.call('sendToSource', { source: 'plot', data: 'RATE 10', lineEnding: 'crlf' });
    expect(sent).toEqual({ ok: true, bytes: 9 });
    await client.call('sendToSource', { source: 'plot', data: '01ff', encoding: 'hex', lineEnding: 'none' });
    expect(await pairs['plot']!.read(11)).toEqual(Buffer.from('RATE 10\r\n\x01\xff', 'latin1'));

    const after = await client.call('sourceConsole', { source: 'plot', after: seen.next });
    expect(after.chunks.map((c) => [c.dir, c.text ?? c.hex])).toEqual([
      ['tx', 'RATE 10\r\n'],
      ['tx', '01ff'],
    ]);
    await expect(client.call('sourceConsole', { source: 'nope' })).rejects.toThrow(
      /no source with id "nope"/,
    );
    // A pty is not in the OS port list; the list itself answers (here: whatever this machine has).
    const ports = await client.call('serialPorts', {});
    expect(ports.ports.some((p) => p.path === pairs['plot']!.dev)).toBe(false);
  });
});

describe('a device that goes away and comes back', () => {
  it('says disconnected once, retries quietly, and resumes on the same path', async () => {
    const pair = await pty('hotplug');
    const engine = await engineWith([
      serial('board', { path: pair.dev, reconnectMinMs: 100, reconnectMaxMs: 400 }),
    ]);
    await waitFor('connected', () => state(engine, 'board').state === 'connected');
    await pair.write('\nv:1\n');
    await waitFor('first value', async () => (await samplesOf(engine, 'board')).length === 1);

    await pair.stop(); // the board is unplugged: the pty and its link vanish
    await waitFor('disconnected', () => state(engine, 'board').state === 'disconnected');
    const gone = state(engine, 'board');
    expect(gone.lastError).toMatch(
      new RegExp(`^${pair.dev.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} went away \\(`),
    );
    // Retries that find it still missing change nothing the user sees.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(state(engine, 'board')).toMatchObject({
      state: 'disconnected',
      lastError: gone.lastError,
      lastErrorAt: gone.lastErrorAt,
    });

    await pair.run(); // plugged back in
    await waitFor('reconnected', () => state(engine, 'board').state === 'connected');
    expect(state(engine, 'board').lastError).toBeNull();
    await pair.write('\nv:2\n');
    await waitFor('data after the return', async () => (await samplesOf(engine, 'board')).length === 2);
    expect(await samplesOf(engine, 'board')).toEqual([
      ['board/v', 1],
      ['board/v', 2],
    ]);

    // Killed outright (the link is left dangling), then back again.
    await pair.stop('SIGKILL');
    await waitFor('disconnected again', () => state(engine, 'board').state === 'disconnected');
    await pair.run();
    await waitFor('reconnected again', () => state(engine, 'board').state === 'connected');
    await pair.write('\nv:3\n');
    await waitFor(
      'data after the second return',
      async () => (await samplesOf(engine, 'board')).length === 3,
    );
  });

  it('waits for a device that is not there yet, and refuses settings this OS cannot do', async () => {
    const missing = path.join(tmp.dir, 'not-yet');
    const engine = await engineWith([
      serial('later', { path: missing, reconnectMinMs: 100, reconnectMaxMs: 400 }),
      serial('mark', { path: missing, parity: 'mark' }),
    ]);
    await waitFor('disconnected', () => state(engine, 'later').state === 'disconnected');
    expect(state(engine, 'later').lastError).toMatch(/no such file or directory/i);
    const pair = await pty('not-yet');
    await waitFor('found', () => state(engine, 'later').state === 'connected');
    await pair.write('\nx:1\n');
    await waitFor('data', async () => (await samplesOf(engine, 'later')).length === 1);
    if (process.platform !== 'win32')
      expect(state(engine, 'mark')).toMatchObject({
        state: 'error',
        lastError: 'mark parity is available only on Windows (a limit of the serialport library)',
      });
  });
});

// The syslog receiver with real senders on 127.0.0.1: util-linux `logger` over UDP and TCP (both
// framings), RFC 5424 and 3164; and rsyslog, configured and started here, forwarding to it. Every
// message arrives parsed: facility, severity, host, app, structured data, and who sent it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { SyslogOptions } from '../../shared/schemas';
import { freePort, makePki } from '../helpers/mosquitto';
import { tempDir, waitFor } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let engine: Engine;
let port: number;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  tmp = tempDir();
  port = await freePort();
  const dir = path.join(tmp.dir, 'ws');
  fs.mkdirSync(dir);
  const source = {
    id: 'syslog',
    kind: 'syslog',
    name: 'Syslog',
    options: { udpPort: port, tcpPort: port },
  };
  fs.writeFileSync(
    path.join(dir, 'opsdeck.json'),
    JSON.stringify({ version: 2, name: 's', sources: [source] }),
  );
  engine = await Engine.open(dir, { flushIntervalMs: 50 });
  await waitFor('the receiver listening', () => engine.status().sources[0]?.state === 'connected');
});

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await engine?.close();
  tmp.cleanup();
});

interface Stored {
  message: string;
  severity: string;
  fields: Record<string, unknown>;
}

async function stored(tag: string): Promise<Stored | undefined> {
  await engine.store.flush();
  const r = await engine.query(
    `SELECT message, severity, fields FROM records_v WHERE source = 'syslog' AND message LIKE '%${tag}%'`,
  );
  const row = r.rows[0];
  if (!row) return undefined;
  return {
    message: String(row[0]),
    severity: String(row[1]),
    fields: JSON.parse(String(row[2])) as Record<string, unknown>,
  };
}

function logger(args: string[], message: string): void {
  execFileSync('logger', ['-n', '127.0.0.1', '-P', String(port), ...args, message], { stdio: 'pipe' });
}

describe('syslog receiver', () => {
  it.each([
    ['udp', 'rfc5424', ['-d', '--rfc5424']],
    ['tcp', 'rfc5424', ['-T', '--rfc5424']],
    ['tcp', 'rfc5424', ['-T', '--rfc5424', '--octet-count']],
    ['udp', 'rfc3164', ['-d', '--rfc3164']],
    ['tcp', 'rfc3164', ['-T', '--rfc3164']],
  ])('takes logger over %s in %s (%s)', async (transport, format, args) => {
    const tag = `m${transport}${format}${args.length}x${Date.now()}`;
    const sd = format === 'rfc5424' ? ['--sd-id', 'origin@32473', '--sd-param', 'site="lab 2"'] : [];
    const send = () =>
      logger(
        [
          ...args,
          '-p',
          'local3.warning',
          '-t',
          'pumpd',
          ...(format === 'rfc5424' ? ['--msgid', 'PUMP'] : []),
          ...sd,
        ],
        `${tag} pressure high`,
      );
    send();
    // UDP promises no delivery: a datagram is sent again until one arrives (TCP's once is enough).
    const r = await waitFor(`the ${transport} ${format} message`, async () => {
      const found = await stored(tag);
      if (!found && transport === 'udp') send();
      return found;
    }).catch(async (error: Error) => {
      const q = await engine.query('SELECT reason, decode(raw) FROM quarantine');
      throw new Error(
        `${error.message} ${JSON.stringify(q.rows)} ${JSON.stringify(engine.status().sources)}`,
      );
    });
    expect(r.message).toContain(`${tag} pressure high`);
    expect(r.severity).toBe('warning');
    expect(r.fields).toMatchObject({ facility: 'local3', app: 'pumpd', sender: '127.0.0.1', transport });
    expect(typeof r.fields['host']).toBe('string');
    expect(r.fields['host']).not.toBe('');
    if (format === 'rfc5424') expect(r.fields).toMatchObject({ msgid: 'PUMP', 'origin@32473.site': 'lab 2' });
  });

  it('takes rsyslog forwarding to it over TCP (octet-counted, RFC 5424) and UDP', async () => {
    const rsyslogPort = await freePort();
    const work = path.join(tmp.dir, 'rsyslog');
    fs.mkdirSync(work);
    const conf = path.join(work, 'rsyslog.conf');
    fs.writeFileSync(
      conf,
      [
        `global(workDirectory="${work}")`,
        'module(load="imudp")',
        `input(type="imudp" address="127.0.0.1" port="${rsyslogPort}")`,
        `if $msg contains "viaTCP" then action(type="omfwd" target="127.0.0.1" port="${port}" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")`,
        `if $msg contains "viaUDP" then action(type="omfwd" target="127.0.0.1" port="${port}" protocol="udp" template="RSYSLOG_SyslogProtocol23Format")`,
        '',
      ].join('\n'),
    );
    const rsyslogd: ChildProcess = spawn(
      '/usr/sbin/rsyslogd',
      ['-n', '-f', conf, '-i', path.join(work, 'pid')],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    rsyslogd.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    rsyslogd.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    cleanups.push(async () => {
      const exited = new Promise((r) => rsyslogd.once('exit', r));
      rsyslogd.kill('SIGTERM');
      await exited;
    });
    for (const via of ['viaTCP', 'viaUDP']) {
      const tag = `${via}${Date.now()}`;
      // rsyslog takes a moment to listen: send again until the message comes through.
      const r = await waitFor(`rsyslog forwarding ${via} (rsyslogd: ${output})`, async () => {
        execFileSync('logger', [
          '-n',
          '127.0.0.1',
          '-P',
          String(rsyslogPort),
          '-d',
          '--rfc5424',
          '-p',
          'auth.err',
          '-t',
          'sshd',
          '--sd-id',
          'meta@32473',
          '--sd-param',
          'zone="north"',
          `${tag} failed login`,
        ]);
        return stored(tag);
      });
      expect(r.severity).toBe('error');
      expect(r.fields).toMatchObject({
        facility: 'auth',
        app: 'sshd',
        sender: '127.0.0.1',
        transport: via === 'viaTCP' ? 'tcp' : 'udp',
        'meta@32473.zone': 'north',
      });
      expect(r.fields['host']).toBeTruthy();
    }
  });

  it('counts what a TCP sender cut short and keeps serving', async () => {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.end('40 <14>1 - - - - - - cut'); // promised 40 bytes, sent 21
    await new Promise((r) => socket.once('close', r));
    await waitFor('the cut message in quarantine', async () => {
      await engine.store.flush();
      const q = await engine.query("SELECT reason FROM quarantine WHERE reason LIKE 'incomplete message%'");
      return q.rows.length > 0;
    });
    const tag = `after${Date.now()}`;
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((r) =>
      udp.send(`<13>1 2026-01-01T00:00:00Z h app - - - ${tag}`, port, '127.0.0.1', () => r()),
    );
    udp.close();
    expect((await waitFor('a message after it', () => stored(tag))).fields['host']).toBe('h');
  });

  it('listens beyond loopback only when told to, and says what that means', () => {
    const refused = SyslogOptions.safeParse({ host: '0.0.0.0' });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]).toMatchObject({
      path: ['host'],
      message: expect.stringMatching(/allowRemoteSenders/) as unknown,
    });
    expect(SyslogOptions.safeParse({ host: '0.0.0.0', allowRemoteSenders: true }).success).toBe(true);
  });
});

describe('syslog over TLS (RFC 5425)', () => {
  it('takes octet-counted messages from a sender with a certificate the CA signed, and no other', async () => {
    const pkiDir = path.join(tmp.dir, 'pki');
    fs.mkdirSync(pkiDir);
    const pki = makePki(pkiDir);
    const tlsPort = await freePort();
    const dir = path.join(tmp.dir, 'ws-tls');
    fs.mkdirSync(dir);
    const source = {
      id: 'secure',
      kind: 'syslog',
      name: 'Secure',
      options: {
        udpPort: null,
        tcpPort: tlsPort,
        tls: { certFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.caFile },
      },
    };
    fs.writeFileSync(
      path.join(dir, 'opsdeck.json'),
      JSON.stringify({ version: 2, name: 'tls', sources: [source] }),
    );
    const secure = await Engine.open(dir, { flushIntervalMs: 50 });
    try {
      await waitFor('the TLS receiver', () => secure.status().sources[0]?.state === 'connected');
      const send = (options: tls.ConnectionOptions, text: string) =>
        new Promise<void>((resolve) => {
          const socket = tls.connect({
            port: tlsPort,
            host: '127.0.0.1',
            ca: fs.readFileSync(pki.caFile),
            ...options,
          });
          socket.on('error', () => resolve()); // refused: the handshake fails
          socket.on('secureConnect', () => socket.end(`${Buffer.byteLength(text)} ${text}`));
          socket.on('close', () => resolve());
        });
      await send({}, '<13>1 2026-11-30T01:00:00Z h app - - - from a stranger');
      await send(
        { cert: fs.readFileSync(pki.clientCert), key: fs.readFileSync(pki.clientKey) },
        '<13>1 2026-11-30T01:00:00Z h app - - - from a known sender',
      );
      const rows = await waitFor('the known sender', async () => {
        await secure.store.flush();
        const r = await secure.query(
          "SELECT message, fields->>'transport' FROM records_v WHERE source = 'secure'",
        );
        return r.rows.length ? r.rows : null;
      });
      expect(rows).toEqual([['from a known sender', 'tls']]);
    } finally {
      await secure.close();
    }
  });
});

describe('syslog when the store is behind', () => {
  // UDP's shedding at the bound is the stage's `admit('shed')`, as MQTT QoS 0's; not reproduced
  // here, since on loopback the kernel drops a flood before the pending bound fills.
  it('pauses a TCP sender and loses none of its messages', async () => {
    const behindPort = await freePort();
    const dir = path.join(tmp.dir, 'ws-behind');
    fs.mkdirSync(dir);
    const source = {
      id: 'flood',
      kind: 'syslog',
      name: 'Flood',
      options: { udpPort: behindPort, tcpPort: behindPort, masking: { rules: [] } },
    };
    fs.writeFileSync(
      path.join(dir, 'opsdeck.json'),
      JSON.stringify({
        version: 2,
        name: 'behind',
        sources: [source],
        store: { maxPendingRows: 1_000, maxPendingMb: 1 },
      }),
    );
    const behind = await Engine.open(dir, { flushIntervalMs: 50 });
    try {
      await waitFor('the receiver', () => behind.status().sources[0]?.state === 'connected');
      const count = async (transport: string) => {
        await behind.store.flush();
        const r = await behind.query(
          `SELECT count(*)::DOUBLE, count(DISTINCT message)::DOUBLE FROM records_v WHERE source = 'flood' AND (fields->>'transport') = '${transport}'`,
        );
        return r.rows[0]!.map(Number);
      };
      const pad = 'x'.repeat(4_000);
      // 80 MB of TCP through 1 MiB of pending work: the sender is paused, nothing is lost or shed.
      const socket = net.connect(behindPort, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      const lines = Array.from({ length: 20_000 }, (_, i) => `<13>1 - h app - - - tcp ${i} ${pad}\n`).join(
        '',
      );
      await new Promise<void>((r) => socket.end(lines, () => r()));
      await waitFor('every TCP message', async () => (await count('tcp'))[0] === 20_000, 60_000);
      expect(await count('tcp')).toEqual([20_000, 20_000]);
      expect(behind.status().sources[0]!.shed).toBe(0);
    } finally {
      await behind.close();
    }
  }, 90_000);
});

// A real Mosquitto broker for tests, on a free loopback port, with its own config, persistence
// folder and (when asked) a password file and TLS certificates made with openssl for this run.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { tempDir, waitFor } from './tmp';

export const MOSQUITTO =
  ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => fs.existsSync(p)) ?? 'mosquitto';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Pki {
  dir: string;
  caFile: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** The client key encrypted with `clientKeyPassphrase`. */
  clientKeyEncrypted: string;
  clientKeyPassphrase: string;
}

/** A throwaway CA, a server certificate for 127.0.0.1/localhost, and a client certificate. */
export function makePki(dir: string): Pki {
  const f = (name: string) => path.join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=OpsDeck Test CA',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
  );
  fs.writeFileSync(
    f('server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
  );
  ssl(
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('server.ext'),
    '-out',
    f('server.crt'),
  );
  fs.writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=opsdeck-client',
    '-keyout',
    f('client.key'),
    '-out',
    f('client.csr'),
  );
  ssl(
    'x509',
    '-req',
    '-in',
    f('client.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('client.ext'),
    '-out',
    f('client.crt'),
  );
  const passphrase = 'correct horse battery staple';
  ssl(
    'pkey',
    '-in',
    f('client.key'),
    '-aes256',
    '-passout',
    `pass:${passphrase}`,
    '-out',
    f('client-encrypted.key'),
  );
  return {
    dir,
    caFile: f('ca.crt'),
    serverCert: f('server.crt'),
    serverKey: f('server.key'),
    clientCert: f('client.crt'),
    clientKey: f('client.key'),
    clientKeyEncrypted: f('client-encrypted.key'),
    clientKeyPassphrase: passphrase,
  };
}

export interface BrokerOptions {
  /** username → password; enables a password file and turns anonymous access off. */
  users?: Record<string, string>;
  /** Serve TLS with these certificates; `requireClientCert` makes it mutual TLS. */
  tls?: { pki: Pki; requireClientCert?: boolean };
  /** Keep sessions and queued messages across restarts. */
  persistence?: boolean;
  /**
   * With persistence: save after every change (default), which survives even SIGKILL but holds a
   * busy broker to a few hundred messages a second; false saves on SIGTERM (and every 30 min).
   */
  saveEveryChange?: boolean;
  /** 0: the broker never drops queued messages for a slow or absent subscriber. */
  maxQueuedMessages?: number;
  port?: number;
}

export class TestBroker {
  private child: ChildProcess | null = null;
  private log = '';
  readonly dir: string;
  private readonly cleanup: () => void;

  private constructor(
    readonly port: number,
    private readonly options: BrokerOptions,
  ) {
    const tmp = tempDir('opsdeck-mosquitto-');
    this.dir = tmp.dir;
    this.cleanup = tmp.cleanup;
  }

  static async start(options: BrokerOptions = {}): Promise<TestBroker> {
    const broker = new TestBroker(options.port ?? (await freePort()), options);
    broker.writeConfig();
    await broker.run();
    return broker;
  }

  get url(): string {
    return `${this.options.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${this.port}`;
  }

  /** Output of the broker so far, for failure messages. */
  output(): string {
    return this.log;
  }

  private writeConfig(): void {
    const o = this.options;
    const lines = [`listener ${this.port} 127.0.0.1`, `persistence ${o.persistence ? 'true' : 'false'}`];
    // Started as root, Mosquitto drops to its own user, which cannot read our private temp files.
    if (process.getuid?.() === 0) lines.push('user root');
    if (o.persistence)
      lines.push(
        `persistence_location ${this.dir}/`,
        ...(o.saveEveryChange === false
          ? ['autosave_interval 1800']
          : ['autosave_interval 1', 'autosave_on_changes true']),
      );
    lines.push(
      `max_queued_messages ${o.maxQueuedMessages ?? 1000}`,
      'max_inflight_messages 0',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
    );
    if (o.users) {
      const file = path.join(this.dir, 'passwd');
      fs.writeFileSync(file, '');
      for (const [user, password] of Object.entries(o.users))
        execFileSync('mosquitto_passwd', ['-b', file, user, password]);
      fs.chmodSync(file, 0o600);
      lines.push('allow_anonymous false', `password_file ${file}`);
    } else {
      lines.push('allow_anonymous true');
    }
    if (o.tls) {
      lines.push(
        `cafile ${o.tls.pki.caFile}`,
        `certfile ${o.tls.pki.serverCert}`,
        `keyfile ${o.tls.pki.serverKey}`,
      );
      if (o.tls.requireClientCert) lines.push('require_certificate true');
    }
    fs.writeFileSync(path.join(this.dir, 'mosquitto.conf'), lines.join('\n') + '\n');
  }

  /** Starts (or restarts) the broker process and waits until it accepts TCP connections. */
  async run(): Promise<void> {
    if (this.child) throw new Error('broker already running');
    const child = spawn(MOSQUITTO, ['-c', path.join(this.dir, 'mosquitto.conf')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    await waitFor(
      `mosquitto listening on ${this.port} (${this.log})`,
      () =>
        new Promise<boolean>((resolve) => {
          if (child.exitCode !== null) return resolve(false);
          const socket = net.connect(this.port, '127.0.0.1', () => {
            socket.destroy();
            resolve(true);
          });
          socket.once('error', () => resolve(false));
        }),
    );
  }

  /** Stops the broker: SIGTERM lets it save its persistence file, SIGKILL does not. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
    this.child = null;
  }

  async close(): Promise<void> {
    await this.stop();
    this.cleanup();
  }
}

export interface PubAuth {
  user?: string;
  password?: string;
  tls?: Pki;
}

function pubArgs(port: number, args: string[], auth: PubAuth): string[] {
  const common = ['-h', '127.0.0.1', '-p', String(port)];
  if (auth.user) common.push('-u', auth.user, '-P', auth.password ?? '');
  if (auth.tls)
    common.push('--cafile', auth.tls.caFile, '--cert', auth.tls.clientCert, '--key', auth.tls.clientKey);
  return [...common, ...args];
}

/** Publishes with the real `mosquitto_pub` (a client we did not write) to an external broker. */
export function mosquittoPub(broker: { port: number }, args: string[], auth: PubAuth = {}): void {
  execFileSync('mosquitto_pub', pubArgs(broker.port, args, auth), { stdio: 'pipe' });
}

/** The same without blocking: for a broker in this very process (the built-in one). */
export function mosquittoPubAsync(port: number, args: string[], auth: PubAuth = {}): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('mosquitto_pub', pubArgs(port, args, auth), { timeout: 10_000 }, (error, _out, stderr) =>
      error ? reject(new Error(`mosquitto_pub: ${stderr.trim() || error.message}`)) : resolve(),
    ),
  );
}

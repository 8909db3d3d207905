// A real Apache Kafka for tests: one KRaft node (broker and controller) on free loopback ports, its
// jars fetched from Maven Central by test/helpers/kafka-jars.sh into ~/.cache/opsdeck (never in the
// repository), run on the machine's Java 17. Listeners: PLAINTEXT always; SASL_PLAINTEXT with
// SCRAM-SHA-256/512 and PLAIN users, and SSL with a certificate the test made, when asked.
//
// The port accepts connections before the broker serves: `start()` waits for "Kafka Server
// started" in its log. Groups settle fast (group.min.session.timeout.ms and the initial rebalance
// delay lowered) so a restarted consumer does not wait 30 s for its dead predecessor.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { root } from './cli';
import { freePort } from './mosquitto';
import { tempDir } from './tmp';

export const KAFKA_VERSIONS = ['3.9.1', '4.1.1'] as const;
export const JAVA = fs.existsSync('/usr/bin/java') ? '/usr/bin/java' : 'java';
export const KCAT = fs.existsSync('/usr/bin/kcat') ? '/usr/bin/kcat' : 'kcat';

/** The folder holding a version's jars, fetched once with mvn (minutes the first time). */
export function kafkaJars(version: string): string {
  return execFileSync('bash', [path.join(root, 'test/helpers/kafka-jars.sh'), version], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 900_000,
  }).trim();
}

export interface KafkaBrokerOptions {
  version?: string;
  /** SCRAM users (both SHA-256 and SHA-512) and PLAIN users, on a SASL_PLAINTEXT listener. */
  users?: { name: string; password: string }[];
  /** A server certificate and key (PEM, key unencrypted PKCS#8) for an SSL listener. */
  tls?: {
    certFile: string;
    keyFile: string;
    /** The CA that signs client certificates: the SSL listener then requires one (mutual TLS). */
    clientCaFile?: string;
  };
  /** Default partitions of auto-created topics. */
  partitions?: number;
}

export class KafkaBroker {
  private process: ChildProcess | null = null;
  private log = '';

  private constructor(
    readonly version: string,
    private readonly jars: string,
    private readonly dir: string,
    private readonly cleanupDir: () => void,
    /** PLAINTEXT listener. */
    readonly port: number,
    /** SASL_PLAINTEXT listener, when users were asked for. */
    readonly saslPort: number | null,
    /** SSL listener, when a certificate was given. */
    readonly tlsPort: number | null,
  ) {}

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Formats storage (with the SCRAM users), writes server.properties and starts the broker. */
  static async start(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
    const version = options.version ?? KAFKA_VERSIONS[0];
    const jars = kafkaJars(version);
    const tmp = tempDir('opsdeck-kafka-');
    const [controller, plain, sasl, ssl] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const broker = new KafkaBroker(
      version,
      jars,
      tmp.dir,
      tmp.cleanup,
      plain,
      options.users?.length ? sasl : null,
      options.tls ? ssl : null,
    );
    const listeners = [`PLAINTEXT://127.0.0.1:${plain}`];
    if (broker.saslPort) listeners.push(`SASL_PLAINTEXT://127.0.0.1:${sasl}`);
    if (broker.tlsPort) listeners.push(`SSL://127.0.0.1:${ssl}`);
    const lines = [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      `listeners=${[...listeners, `CONTROLLER://127.0.0.1:${controller}`].join(',')}`,
      `advertised.listeners=${listeners.join(',')}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL',
      `log.dirs=${path.join(tmp.dir, 'data')}`,
      `num.partitions=${options.partitions ?? 1}`,
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'group.min.session.timeout.ms=1000',
      'auto.create.topics.enable=true',
    ];
    if (broker.saslPort) {
      const plainUsers = options.users!.map((u) => `user_${u.name}="${u.password}"`).join(' ');
      lines.push(
        'sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN',
        'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
        'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
        `listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`,
      );
    }
    if (options.tls) {
      // A PEM keystore: the key (PKCS#8) and the certificate in one file.
      const pem = path.join(tmp.dir, 'server-keystore.pem');
      fs.writeFileSync(
        pem,
        fs.readFileSync(options.tls.keyFile, 'utf8') + fs.readFileSync(options.tls.certFile, 'utf8'),
      );
      lines.push('ssl.keystore.type=PEM', `ssl.keystore.location=${pem}`);
      if (options.tls.clientCaFile)
        lines.push(
          'ssl.truststore.type=PEM',
          `ssl.truststore.location=${options.tls.clientCaFile}`,
          'ssl.client.auth=required',
        );
      else lines.push('ssl.client.auth=none');
    }
    const config = path.join(tmp.dir, 'server.properties');
    fs.writeFileSync(config, lines.join('\n') + '\n');
    const clusterId = crypto.randomBytes(16).toString('base64url');
    const scram = (options.users ?? []).flatMap((u) =>
      ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => [
        '--add-scram',
        `${m}=[name=${u.name},password=${u.password}]`,
      ]),
    );
    // `=`: an id beginning with "-" (one in 64) is otherwise taken for an option.
    broker.java(['kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', config, ...scram]);
    await broker.startProcess();
    return broker;
  }

  private java(args: string[]): string {
    return execFileSync(JAVA, ['-Xmx256m', '-cp', `${this.jars}/*`, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
  }

  private startProcess(): Promise<void> {
    this.log = '';
    const child = spawn(
      JAVA,
      [
        '-Xms256m',
        '-Xmx512m',
        '-XX:+UseSerialGC',
        '-Dorg.slf4j.simpleLogger.defaultLogLevel=info',
        '-cp',
        `${this.jars}/*`,
        'kafka.Kafka',
        path.join(this.dir, 'server.properties'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.process = child;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Kafka ${this.version} did not start in 120 s:\n${this.log.slice(-4000)}`)),
        120_000,
      );
      const take = (d: Buffer) => {
        this.log = (this.log + d.toString()).slice(-200_000);
        if (/Kafka Server started/.test(this.log)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', take);
      child.stderr!.on('data', take);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Kafka ${this.version} exited (${code}):\n${this.log.slice(-4000)}`));
      });
    });
  }

  /** Stops the broker: SIGTERM (a clean shutdown) or SIGKILL. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.startProcess();
  }

  async close(): Promise<void> {
    await this.stop();
    this.cleanupDir();
  }

  /** Creates a topic with `partitions` partitions (kafka-topics). */
  createTopic(topic: string, partitions = 1): void {
    this.java([
      'org.apache.kafka.tools.TopicCommand',
      '--bootstrap-server',
      this.bootstrap,
      '--create',
      '--topic',
      topic,
      '--partitions',
      String(partitions),
      '--replication-factor',
      '1',
    ]);
  }

  /** Consumer groups the cluster knows (kafka-consumer-groups --list). */
  listGroups(): string[] {
    return this.java([
      'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
      '--bootstrap-server',
      this.bootstrap,
      '--list',
    ])
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  }

  /** Produces `lines` (one message each; `key\tvalue` when keyed) with kcat, to `partition` or spread, in batches compressed as asked. */
  produce(
    topic: string,
    lines: string[],
    options: {
      keyed?: boolean;
      partition?: number;
      batchMessages?: number;
      compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
    } = {},
  ): void {
    const args = ['-P', '-b', this.bootstrap, '-t', topic, '-z', options.compression ?? 'none'];
    // Kafka hands a consumer whole record batches: small ones make a stream that can be cut often.
    if (options.batchMessages) args.push('-X', `batch.num.messages=${options.batchMessages}`);
    if (options.keyed) args.push('-K', '\t');
    if (options.partition !== undefined) args.push('-p', String(options.partition));
    execFileSync(KCAT, args, {
      input: lines.join('\n') + '\n',
      stdio: ['pipe', 'ignore', 'pipe'],
      timeout: 120_000,
    });
  }

  /** Tail of the broker's log, for a failing test's message. */
  logTail(chars = 4000): string {
    return this.log.slice(-chars);
  }
}

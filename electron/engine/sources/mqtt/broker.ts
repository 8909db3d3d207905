// The built-in broker (aedes, MQTT 3.1.1): devices on a site with no broker publish straight to
// the laptop. Off until the user adds it; binds loopback unless told otherwise; with a username,
// clients must log in. Everything published to it goes through the same ingest as a subscribed
// broker's messages, and the console can publish through it.
import net from 'node:net';
import crypto from 'node:crypto';
import { Aedes } from 'aedes';
import {
  MqttBrokerOptions as MqttBrokerOptionsSchema,
  type MqttBrokerOptions,
} from '../../../../shared/schemas';
import { secretEnvName } from '../../secrets';
import type { Source, SourceFactory } from '../source';
import { topicDetail } from './detail';
import { MqttIngest } from './ingest';
import { SparkplugHost } from './sparkplug-host';

function sameSecret(given: Buffer | undefined, expected: string): boolean {
  if (!given) return false;
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

export const mqttBrokerSource: SourceFactory<MqttBrokerOptions> = {
  kind: 'mqtt-broker',
  options: MqttBrokerOptionsSchema,
  create(options, ctx): Source {
    const ingest = new MqttIngest(ctx, { ...options });
    const sparkplug = new SparkplugHost(ctx, ingest.frames, undefined, null); // shows state; publishes nothing
    let broker: Aedes | null = null;
    let server: net.Server | null = null;
    let clients = 0;
    const loopback = options.host === '127.0.0.1' || options.host === '::1' || options.host === 'localhost';
    const warnings = [
      ...(loopback ? [] : [`accepting MQTT connections on ${options.host}, not only this machine`]),
      ...(options.username === undefined && !loopback ? ['no login required'] : []),
    ];
    const endpoint = () =>
      `mqtt://${options.host}:${options.port} (built-in broker, ${clients} client${clients === 1 ? '' : 's'})`;

    return {
      async start() {
        ctx.setState('starting');
        let password: string | undefined;
        if (options.password !== undefined) {
          password = ctx.secret(options.password);
          if (password === undefined) {
            throw new Error(
              `password secret "${options.password}" is not set: enter it in the source form, or set ${secretEnvName(options.password)}`,
            );
          }
        }
        const b = await Aedes.createBroker();
        broker = b;
        if (options.username !== undefined) {
          b.authenticate = (_client, username, given, done) => {
            const ok = username === options.username && sameSecret(given, password!);
            done(ok ? null : Object.assign(new Error('bad username or password'), { returnCode: 4 }), ok);
          };
        }
        b.on('client', () => {
          clients++;
          ctx.describe(endpoint(), warnings);
        });
        b.on('clientDisconnect', () => {
          clients--;
          ctx.describe(endpoint(), warnings);
        });
        b.on('publish', (packet, client) => {
          if (!client) return; // the broker's own $SYS and our publishes: nothing a device sent
          ingest.accept({
            topic: packet.topic,
            payload: packet.payload as Buffer,
            qos: packet.qos,
            retain: packet.retain,
            properties: null,
          });
        });
        const s = net.createServer(b.handle);
        server = s;
        await new Promise<void>((resolve, reject) => {
          s.once('error', (error: NodeJS.ErrnoException) =>
            reject(
              new Error(
                `cannot listen on ${options.host}:${options.port}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.message}`,
              ),
            ),
          );
          s.listen(options.port, options.host, () => resolve());
        });
        ctx.describe(endpoint(), warnings);
        ctx.setState('connected');
      },
      async stop() {
        const s = server;
        const b = broker;
        server = null;
        broker = null;
        // The server stops accepting at once but calls back only when every connection has
        // ended, and connected devices end only when the broker closes them: broker first.
        const serverClosed = s ? new Promise<void>((resolve) => s.close(() => resolve())) : null;
        if (b) await new Promise<void>((resolve) => b.close(() => resolve()));
        await serverClosed;
        await ingest.stop(); // every message acknowledged to a device goes to the store
        ctx.setState('stopped');
      },
      async publish(request) {
        const b = broker;
        if (!b) throw new Error('publish: the built-in broker is not running');
        await new Promise<void>((resolve, reject) =>
          b.publish(
            {
              cmd: 'publish',
              topic: request.topic,
              payload: Buffer.from(request.bytes),
              qos: request.qos,
              retain: request.retain,
              dup: false,
            },
            (error?: Error) => (error ? reject(error) : resolve()),
          ),
        );
        // The broker emits no 'publish' with a client for its own messages: take ours in here,
        // so what the console sends shows in the tree and the store like a device's message.
        ingest.accept({
          topic: request.topic,
          payload: request.bytes,
          qos: request.qos,
          retain: request.retain,
          properties: null,
        });
      },
      topics: (request) => ingest.tree.list(request.prefix, request.search, request.limit),
      topicDetail: (topic) => topicDetail(ingest.tree, ingest.frames, topic, ctx),
      sparkplugNodes: () => sparkplug.nodes(),
    };
  },
};

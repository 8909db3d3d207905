// A broker that floods us answers our PINGREQ only behind everything it has queued for us. Here a
// scripted broker (Mosquitto cannot be told to hold a PINGRESP back) floods and never answers
// pings: the source stays connected while publishes arrive, keeps pinging, and gives up on the
// connection only once the peer falls silent.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { tempDir, waitFor } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let engine: Engine;
let server: net.Server;
let connects = 0;
let pings = 0;
let flooding = true;

beforeAll(async () => {
  tmp = tempDir();
  server = net.createServer((socket) => {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    let timer: NodeJS.Timeout | undefined;
    const send = (packet: Record<string, unknown>) => {
      if (!socket.destroyed) socket.write(mqttPacket.generate(packet as unknown as mqttPacket.Packet));
    };
    parser.on('packet', (packet) => {
      if (packet.cmd === 'connect') {
        connects++;
        send({ cmd: 'connack', returnCode: 0, sessionPresent: false });
      } else if (packet.cmd === 'subscribe') {
        send({ cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map(() => 0) });
        let n = 0;
        timer = setInterval(() => {
          if (flooding)
            send({ cmd: 'publish', topic: 'rig/t', payload: String(n++), qos: 0, retain: false, dup: false });
        }, 20);
      } else if (packet.cmd === 'pingreq') {
        pings++; // never answered
      }
    });
    socket.on('data', (data) => parser.parse(data));
    socket.on('close', () => clearInterval(timer));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const dir = path.join(tmp.dir, 'ws');
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, 'opsdeck.json'),
    JSON.stringify({
      version: 1,
      sources: [
        {
          id: 'flood',
          kind: 'mqtt',
          name: 'flood',
          enabled: true,
          options: {
            url: `mqtt://127.0.0.1:${port}`,
            keepaliveSeconds: 1,
            protocolVersion: 4,
            reconnectMinMs: 200,
          },
        },
      ],
    }),
  );
  engine = await Engine.open(dir, { flushIntervalMs: 50 });
});

afterAll(async () => {
  await engine?.close();
  await new Promise((resolve) => server?.close(resolve));
  tmp?.cleanup();
});

describe('keepalive under a flood', () => {
  it('stays connected while publishes arrive and still pings; reconnects once the peer is silent', async () => {
    await waitFor('four unanswered pings', () => pings >= 4, 20_000); // four unanswered pings: 2 s past a timeout at 1.5 s
    expect(connects).toBe(1);
    const status = engine.status().sources.find((s) => s.id === 'flood')!;
    expect(status.state).toBe('connected');
    expect(status.lastError).toBeNull();
    flooding = false;
    await waitFor('a reconnect once the flood stops', () => connects >= 2, 20_000);
    expect(engine.notices().map((n) => n.message)).toContainEqual(
      expect.stringMatching(/flood: Keepalive timeout/),
    );
  });
});

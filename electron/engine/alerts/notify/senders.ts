// How each notifier kind delivers one notification. A send resolves when the receiver took it and
// throws otherwise; a PermanentError is not retried (a refused command, an HTTP 4xx).
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { NotifierConfig } from '../../../../shared/alerts';
import type { KafkaProduceRequest, PublishRequest } from '../../../../shared/api';
import {
  alertmanagerPayload,
  opsdeckPayload,
  syslogLine,
  type AlertNotification,
  type GroupNotification,
} from './payload';

export class PermanentError extends Error {}

export interface SenderHost {
  publish(request: PublishRequest): Promise<void>;
  /** Absent where no Kafka source can be reached (tests of other notifiers). */
  kafkaProduce?(request: KafkaProduceRequest): Promise<unknown>;
  now(): number;
  version: string;
}

/** Delivers one group notification. */
export type Send = (g: GroupNotification) => Promise<void>;

/** Kinds that carry one alert per message send a group's alerts one after the other. */
function eachAlert(send: (n: AlertNotification) => Promise<void>): Send {
  return async (g) => {
    for (const n of g.alerts) await send(n);
  };
}

/** An error's message, never empty or "undefined". */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (error.message) return error.message;
    if (code) return code;
    return error.name || 'unknown error';
  }
  const text = String(error);
  return text === '' || text === 'undefined' ? 'unknown error' : text;
}

function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const request = (u.protocol === 'https:' ? https : http).request(
      u,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'OpsDeck',
          ...headers,
          'content-length': Buffer.byteLength(body),
        },
        timeout: timeoutMs,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (d: string) => {
          if (text.length < 500) text += d;
        });
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve();
          const message = `HTTP ${status}${text.trim() ? `: ${text.trim().slice(0, 200)}` : ''}`;
          // Alertmanager's rule: a 4xx will not get better by retrying (except timeouts, rate limits).
          reject(
            status >= 400 && status < 500 && status !== 408 && status !== 429
              ? new PermanentError(message)
              : new Error(message),
          );
        });
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}

function sendSyslogUdp(host: string, port: number, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const type = net.isIPv6(host) ? 'udp6' : 'udp4';
    const socket = dgram.createSocket(type);
    socket.once('error', (error) => {
      socket.close();
      reject(error);
    });
    socket.send(Buffer.from(line, 'utf8'), port, host, (error) => {
      socket.close();
      if (error) reject(error);
      else resolve();
    });
  });
}

function sendSyslogTcp(host: string, port: number, line: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const bytes = Buffer.from(line, 'utf8');
    // RFC 6587 octet counting: "LEN SP MSG".
    const frame = Buffer.concat([Buffer.from(`${bytes.length} `), bytes]);
    const socket = net.connect({ host, port, timeout: timeoutMs }, () => {
      socket.end(frame, () => resolve());
    });
    socket.on('timeout', () => socket.destroy(new Error(`no connection within ${timeoutMs} ms`)));
    socket.on('error', reject);
  });
}

function runCommand(argv: readonly string[], input: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'], shell: false });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 2000) stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const why = signal ? `killed by ${signal}` : `exit code ${code}`;
      reject(new Error(`${argv[0]}: ${why}${stderr.trim() ? `: ${stderr.trim().slice(-300)}` : ''}`));
    });
    child.stdin.on('error', () => undefined); // a command that does not read its input
    child.stdin.end(input);
  });
}

export function makeSender(config: NotifierConfig, host: SenderHost): Send {
  switch (config.kind) {
    case 'webhook':
      return config.format === 'alertmanager'
        ? (g) =>
            postJson(
              config.url,
              JSON.stringify(alertmanagerPayload(g, config.id)),
              config.headers,
              config.timeoutMs,
            )
        : eachAlert((n) =>
            postJson(
              config.url,
              JSON.stringify(opsdeckPayload(n, config.id)),
              config.headers,
              config.timeoutMs,
            ),
          );
    case 'mqtt':
      return eachAlert((n) =>
        host.publish({
          source: config.source,
          topic: config.topic,
          payload: JSON.stringify(opsdeckPayload(n, config.id)),
          encoding: 'utf8',
          qos: config.qos,
          retain: config.retain,
        }),
      );
    case 'kafka':
      // Keyed by fingerprint: an alert's transitions land on one partition, in order.
      return eachAlert(async (n) => {
        if (!host.kafkaProduce) throw new PermanentError('no Kafka source can be reached from here');
        await host.kafkaProduce({
          source: config.source,
          topic: config.topic,
          key: n.fingerprint,
          headers: { 'opsdeck-notifier': config.id, 'opsdeck-status': n.status },
          payload: JSON.stringify(opsdeckPayload(n, config.id)),
          encoding: 'utf8',
        });
      });
    case 'syslog':
      return eachAlert((n) => {
        const line = syslogLine(n, {
          facility: config.facility,
          format: config.format,
          now: host.now(),
          version: host.version,
        });
        return config.transport === 'udp'
          ? sendSyslogUdp(config.host, config.port, line)
          : sendSyslogTcp(config.host, config.port, line, config.timeoutMs);
      });
    case 'command':
      return eachAlert((n) => {
        if (!config.enabled)
          return Promise.reject(
            new PermanentError('refused: commands are off unless the notifier has "enabled": true'),
          );
        return runCommand(config.argv, JSON.stringify(opsdeckPayload(n, config.id)) + '\n', config.timeoutMs);
      });
  }
}

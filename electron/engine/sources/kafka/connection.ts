// The kafkajs client for a Kafka source's options: bootstrap brokers, TLS with the site's CA and a
// client certificate, SASL PLAIN / SCRAM-SHA-256 / SCRAM-SHA-512 with the password by name.
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { KafkaOptions } from '../../../../shared/schemas';
import { backoffDelay } from '../../../../shared/backoff';
import { needSecret, readPem } from '../mqtt/client';
import type { SourceContext } from '../source';

/** What kafkajs logs at error level, handed to the source (its state), never to the console. */
export type KafkaLogSink = (message: string, detail: string) => void;

/** kafkajs's configuration; throws naming the field at fault (an unreadable file, a missing secret). */
export function kafkaConfig(
  o: KafkaOptions,
  ctx: SourceContext,
  onError: KafkaLogSink = () => undefined,
): KafkaConfig {
  const config: KafkaConfig = {
    clientId: o.clientId,
    brokers: o.brokers,
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    // kafkajs retries a failed request this many times, waiting like our own reconnects do.
    retry: { initialRetryTime: o.reconnectMinMs, maxRetryTime: o.reconnectMaxMs, retries: 8, factor: 0.5 },
    logLevel: logLevel.ERROR,
    logCreator: () => (entry) => {
      const { message, error } = entry.log as { message: string; error?: string };
      onError(error ? `${message}: ${error}` : message, JSON.stringify(entry.log));
    },
  };
  if (o.tls) {
    config.ssl = {
      rejectUnauthorized: !o.tls.insecureSkipVerify,
      ...(o.tls.caFile ? { ca: [readPem(o.tls.caFile, 'tls.caFile')] } : {}),
      ...(o.tls.certFile ? { cert: readPem(o.tls.certFile, 'tls.certFile') } : {}),
      ...(o.tls.keyFile ? { key: readPem(o.tls.keyFile, 'tls.keyFile') } : {}),
      ...(o.tls.keyPassphrase
        ? { passphrase: needSecret(ctx, o.tls.keyPassphrase, 'tls.keyPassphrase') }
        : {}),
      ...(o.tls.servername ? { servername: o.tls.servername } : {}),
    };
  }
  if (o.sasl) {
    config.sasl = {
      mechanism: o.sasl.mechanism,
      username: o.sasl.username,
      password: needSecret(ctx, o.sasl.password, 'sasl.password'),
    } as SASLOptions;
  }
  return config;
}

export function kafkaClient(o: KafkaOptions, ctx: SourceContext, onError?: KafkaLogSink): Kafka {
  return new Kafka(kafkaConfig(o, ctx, onError));
}

export function describeEndpoint(o: KafkaOptions): { endpoint: string; warnings: string[] } {
  const security = [o.tls ? 'TLS' : null, o.sasl ? `SASL ${o.sasl.mechanism.toUpperCase()}` : null].filter(
    Boolean,
  );
  const mode = o.mode === 'group' ? `group ${o.groupId}` : 'inspect (no group)';
  const endpoint = `kafka ${o.brokers.join(',')}${security.length ? `, ${security.join(', ')}` : ''}, ${mode}`;
  const warnings: string[] = [];
  if (o.tls?.insecureSkipVerify)
    warnings.push('certificate verification is OFF: anyone on the network can impersonate this cluster');
  if (!o.tls && o.sasl) warnings.push('the SASL credentials travel unencrypted (no TLS)');
  return { endpoint, warnings };
}

/** Waits before the `attempt`-th reconnect, doubling with jitter (as MQTT sources do). */
export function reconnectDelay(o: KafkaOptions, attempt: number): number {
  return backoffDelay(attempt, { firstMs: o.reconnectMinMs, maxMs: o.reconnectMaxMs, jitter: 0.5 });
}

// Syslog receiver: devices, rsyslog or Fluent Bit send here over UDP and TCP (optionally TLS).
import { z } from 'zod';
import { maskingOption } from '../masking';
import { defineSourceKind } from './descriptor';
import { deviceClockOptions, SecretRef } from './fields';
import { LineFormat } from './tail';

/** localhost, 127.0.0.0/8 and ::1: the addresses only this machine can send to. */
export function isLoopbackAddress(host: string): boolean {
  const h = host.trim().toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export const SyslogTlsOptions = z
  .object({
    certFile: z.string().min(1).meta({ label: 'Server certificate file (PEM)' }),
    keyFile: z.string().min(1).meta({ label: 'Server key file (PEM)' }),
    keyPassphrase: SecretRef.optional().meta({ label: 'Key passphrase' }),
    /** With a CA, senders must present a certificate it signed (mutual TLS). */
    caFile: z
      .string()
      .min(1)
      .optional()
      .meta({ label: 'Client CA file (PEM)', placeholder: 'senders must present a certificate it signed' }),
  })
  .strict();

const Port = z.number().int().min(0).max(65_535);

export const SyslogOptions = z
  .object({
    host: z.string().min(1).default('127.0.0.1').meta({
      label: 'Listen on (host)',
      help: '127.0.0.1 accepts only this machine; any other address needs "Accept senders on the network".',
    }),
    /** null: no UDP listener; 0: any free port (shown in the source's endpoint). */
    udpPort: Port.nullable().default(5514).meta({ label: 'UDP port', help: 'Empty: no UDP.' }),
    tcpPort: Port.nullable().default(5514).meta({ label: 'TCP port', help: 'Empty: no TCP.' }),
    framing: z
      .enum(['auto', 'octet-counted', 'newline'])
      .default('auto')
      .meta({
        label: 'TCP framing',
        choiceLabels: {
          auto: 'each message says (RFC 6587)',
          'octet-counted': 'octet counting',
          newline: 'one message a line',
        },
      }),
    /** TCP becomes syslog over TLS (RFC 5425). */
    tls: SyslogTlsOptions.optional().meta({ label: 'TLS (for TCP)' }),
    /** The explicit choice to take logs from other machines when listening beyond loopback. */
    allowRemoteSenders: z.boolean().default(false).meta({
      label: 'Accept senders on the network (anyone who can reach the port can write logs here)',
      danger: true,
    }),
    decoder: LineFormat.default('syslog').meta({ label: 'Message format' }),
    maxMessageBytes: z
      .number()
      .int()
      .min(480)
      .max(1024 * 1024)
      .default(64 * 1024)
      .meta({ label: 'Longest message (bytes)', advanced: true }),
    masking: maskingOption,
    ...deviceClockOptions,
  })
  .strict()
  .superRefine((o, ctx) => {
    if (!isLoopbackAddress(o.host) && !o.allowRemoteSenders)
      ctx.addIssue({
        code: 'custom',
        path: ['host'],
        message: `listening on ${o.host} takes logs from any machine that can reach it: set allowRemoteSenders to true to do so, or listen on 127.0.0.1`,
      });
    if (o.udpPort === null && o.tcpPort === null)
      ctx.addIssue({ code: 'custom', path: ['udpPort'], message: 'give a UDP port, a TCP port, or both' });
    if (o.tls && o.tcpPort === null)
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'TLS needs a TCP port' });
  });
export type SyslogOptions = z.infer<typeof SyslogOptions>;

export const syslogKind = defineSourceKind({
  kind: 'syslog',
  label: 'Syslog receiver (UDP, TCP, TLS)',
  idBase: 'syslog',
  options: SyslogOptions,
  hostAccess: (o) => {
    const reach = [
      ...(o.tls
        ? [
            `reads files named in options.tls (${['certFile', 'keyFile', ...(o.tls.caFile ? ['caFile'] : [])].join(', ')})`,
          ]
        : []),
      ...(isLoopbackAddress(o.host) ? [] : [`listens for senders on ${o.host}, beyond loopback`]),
    ];
    return reach.length ? reach.join('; ') : null;
  },
});

// Every API method declares what it can reach on the machine (shared/api.ts), and the calls that
// write, read or open a path the caller names are the ones marked `host`.
import { describe, expect, it } from 'vitest';
import { capabilityOf, MethodCapabilities, Methods } from '../../shared/api';
import { BUILT_IN_SOURCE_KINDS } from '../../shared/schemas';

const upsert = (source: unknown) =>
  capabilityOf('upsertSource', Methods.upsertSource.params.parse({ source }));

describe('method capabilities', () => {
  it('are declared for exactly the methods there are', () => {
    expect(Object.keys(MethodCapabilities).sort()).toEqual(Object.keys(Methods).sort());
  });

  it('an export writes a path the caller names', () => {
    const params = Methods.export.params.parse({ from: 0, to: 1, format: 'csv', path: '/tmp/x.csv' });
    expect(capabilityOf('export', params)).toEqual({ host: 'writes a file at a path the caller names' });
  });

  it('a bundle and a key made in the key store are host calls; recordings and their re-decodes are not', () => {
    const bundle = Methods.bundle.params.parse({ from: 0, to: 1, keyVault: 'evidence', out: '/tmp/b' });
    expect(capabilityOf('bundle', bundle)).toMatchObject({ host: expect.stringContaining('signing key') });
    expect(capabilityOf('keygenVault', { name: 'evidence' })).toMatchObject({ host: expect.any(String) });
    expect(
      capabilityOf('redecodeRecording', Methods.redecodeRecording.params.parse({ recording: 'run 1' })),
    ).toBe('workspace');
    expect(Methods.bundle.params.safeParse({ from: 0, to: 1, out: '/tmp/b' }).success).toBe(false);
  });

  it('a source is host-reaching when it opens a device or reads TLS files, not otherwise', () => {
    expect(upsert({ id: 's', kind: 'sim', name: 'Sim' })).toBe('workspace');
    expect(upsert({ id: 'm', kind: 'mqtt', name: 'M', options: { url: 'mqtt://127.0.0.1' } })).toBe(
      'workspace',
    );
    expect(
      upsert({
        id: 'm',
        kind: 'mqtt',
        name: 'M',
        options: { url: 'mqtts://h', tls: { insecureSkipVerify: true } },
      }),
    ).toBe('workspace');
    expect(
      upsert({
        id: 'm',
        kind: 'mqtt',
        name: 'M',
        options: { url: 'mqtts://h', tls: { certFile: '/k/me.pem', keyFile: '/k/me.key' } },
      }),
    ).toEqual({ host: 'reads files named in options.tls (certFile, keyFile)' });
    expect(upsert({ id: 'r', kind: 'serial', name: 'R', options: { path: '/dev/ttyACM0' } })).toEqual({
      host: 'opens the device at options.path (/dev/ttyACM0)',
    });
    expect(upsert({ id: 'b', kind: 'mqtt-broker', name: 'B', options: {} })).toBe('workspace');
    expect(upsert({ id: 't', kind: 'tail', name: 'T', options: { path: '/var/log/*.log' } })).toEqual({
      host: 'reads the files /var/log/*.log names',
    });
    expect(upsert({ id: 's', kind: 'syslog', name: 'S', options: {} })).toBe('workspace');
    expect(
      upsert({ id: 's', kind: 'syslog', name: 'S', options: { host: '0.0.0.0', allowRemoteSenders: true } }),
    ).toEqual({ host: 'listens for senders on 0.0.0.0, beyond loopback' });
    const kafka = { brokers: ['k1:9092'], topics: ['t'] };
    expect(upsert({ id: 'k', kind: 'kafka', name: 'K', options: kafka })).toBe('workspace');
    expect(
      upsert({ id: 'k', kind: 'kafka', name: 'K', options: { ...kafka, tls: { caFile: '/k/site-ca.pem' } } }),
    ).toEqual({ host: 'reads files named in options.tls (caFile)' });
    expect(BUILT_IN_SOURCE_KINDS.map((k) => k.kind).sort()).toEqual([
      'kafka',
      'mqtt',
      'mqtt-broker',
      'serial',
      'sim',
      'syslog',
      'tail',
    ]); // a new source kind decides in its descriptor (hostAccess) whether it reaches the host; test it above
  });

  it('reading, querying and alert work stay in the workspace', () => {
    for (const method of [
      'hello',
      'status',
      'query',
      'series',
      'saveRules',
      'ackAlert',
      'createSilence',
    ] as const)
      expect(MethodCapabilities[method], method).toBe('workspace');
  });
});

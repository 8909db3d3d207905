// The built-in kinds' descriptors: the words the console's form shows come from each kind's
// `.meta()`, a kind's own words where two kinds share a field, and secrets stay secrets.
import { describe, expect, it } from 'vitest';
import { hintsOf, specAt, specOf } from '../../renderer/src/schema-form';
import { kafkaKind, mqttBrokerKind, mqttKind, serialKind, simKind, sourceKinds } from '../../shared/schemas';

describe('built-in source kinds', () => {
  it('are listed in the order the form offers them, each with a label and its capabilities', () => {
    expect(sourceKinds().map((k) => [k.kind, k.idBase, k.capabilities])).toEqual([
      [
        'mqtt',
        'mqtt',
        { topics: true, publish: true, console: false, ports: false, sparkplug: true, cluster: false },
      ],
      [
        'mqtt-broker',
        'broker',
        { topics: true, publish: true, console: false, ports: false, sparkplug: true, cluster: false },
      ],
      [
        'kafka',
        'kafka',
        { topics: true, publish: true, console: false, ports: false, sparkplug: false, cluster: true },
      ],
      [
        'serial',
        'serial',
        { topics: false, publish: false, console: true, ports: true, sparkplug: false, cluster: false },
      ],
      [
        'tail',
        'logs',
        { topics: false, publish: false, console: false, ports: false, sparkplug: false, cluster: false },
      ],
      [
        'syslog',
        'syslog',
        { topics: false, publish: false, console: false, ports: false, sparkplug: false, cluster: false },
      ],
      [
        'sim',
        'sim',
        { topics: false, publish: false, console: false, ports: false, sparkplug: false, cluster: false },
      ],
    ]);
    for (const k of sourceKinds()) expect(k.label).not.toBe('');
  });

  it('label their fields in their schemas', () => {
    const mqtt = specOf(mqttKind.config);
    const hint = hintsOf(mqtt);
    expect(hint('options.url')).toMatchObject({
      label: 'Broker URL',
      placeholder: 'mqtt://broker.local:1883',
    });
    expect(hint('options.tls.insecureSkipVerify').danger).toBe(true);
    expect(hint('options.subscriptions.0.filter').label).toBe('Topic filter');
    expect(hint('options.subscriptions').newItem).toEqual({ filter: '', qos: 0 });
    expect(hint('options.reconnectMinMs').advanced).toBe(true);
    // A secret's name field is edited as a secret, labelled all the same.
    expect(specAt(mqtt, 'options.password')).toMatchObject({ t: 'secret', hint: { label: 'Password' } });
    expect(specAt(mqtt, 'options.tls.keyPassphrase')?.t).toBe('secret');
    expect(specAt(specOf(mqttBrokerKind.config), 'options.password')?.t).toBe('secret');
    expect(hintsOf(specOf(mqttBrokerKind.config))('options.host').label).toBe('Listen on (host)');
    expect(hintsOf(specOf(simKind.config))('options.vibrationHz').label).toBe('Vibration rate (Hz)');
    const kafka = hintsOf(specOf(kafkaKind.config));
    expect(kafka('options.tls.insecureSkipVerify').danger).toBe(true);
    expect(kafka('options.sasl.password').secret).toBe(true);
    expect(kafka('options.brokers').label).toBe('Bootstrap brokers');
  });

  it('say a shared field in their own words', () => {
    const mqtt = hintsOf(specOf(mqttKind.config));
    const serial = hintsOf(specOf(serialKind.config));
    expect(mqtt('options.record').label).toBe('Record every message exactly');
    expect(serial('options.record').label).toBe('Record every received byte');
    expect(mqtt('options.futureToleranceSeconds').advanced).toBe(true);
    expect(serial('options.futureToleranceSeconds').advanced).toBeUndefined();
    expect(serial('options.stopBits').choiceLabels).toEqual({ '1.5': '1.5 (Windows only)' });
  });

  it('decide what their sources reach on the machine', () => {
    expect(serialKind.hostAccess(serialKind.options.parse({ path: '/dev/ttyACM0' }))).toBe(
      'opens the device at options.path (/dev/ttyACM0)',
    );
    expect(mqttKind.hostAccess(mqttKind.options.parse({ url: 'mqtt://h' }))).toBeNull();
    expect(mqttBrokerKind.hostAccess(mqttBrokerKind.options.parse({}))).toBeNull();
  });
});

describe('kafka options', () => {
  const base = { brokers: ['127.0.0.1:9092'], topics: ['falco.events'] };
  const issues = (options: unknown) =>
    kafkaKind.options.safeParse(options).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  it('take brokers, topics and a mode; name the field at fault', () => {
    expect(kafkaKind.options.parse(base)).toMatchObject({ mode: 'inspect', start: { from: 'latest' } });
    expect(issues({ ...base, mode: 'group' })).toEqual(['groupId: group mode needs a consumer group']);
    expect(issues({ ...base, groupId: 'g' })).toEqual([
      'groupId: inspect mode joins no group: leave the consumer group empty, or choose group mode',
    ]);
    expect(issues({ ...base, brokers: ['kafka1'] })).toEqual([
      'brokers.0: host:port, e.g. kafka1.plant.local:9092',
    ]);
    expect(issues({ ...base, topics: ['bad topic'] })?.[0]).toMatch(/^topics\.0: a Kafka topic name/);
    expect(issues({ ...base, start: { from: 'timestamp' } })).toEqual([
      'start.timestamp: starting from a time needs the time',
    ]);
    expect(issues({ ...base, tls: { certFile: '/c.pem' } })).toEqual([
      'tls.keyFile: a client certificate needs both certFile and keyFile',
    ]);
    expect(
      issues({ ...base, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'kafka.pw' } }),
    ).toBeUndefined();
  });
});

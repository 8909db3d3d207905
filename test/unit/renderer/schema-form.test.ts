// Forms generated from zod schemas (renderer/src/schema-form.ts): what a schema turns into, the
// form's values for a configuration and back, optional blocks, secrets, and issues keyed by path.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  fromForm,
  getAt,
  issuesByPath,
  PRESENT,
  setAt,
  specAt,
  specOf,
  toForm,
  type FormValue,
} from '../../../renderer/src/schema-form';
import { MqttOptions, SecretRef } from '../../../shared/schemas';

const Tls = z.object({ verify: z.boolean().default(true), caFile: z.string().optional() });
const Example = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535).default(1883),
  mode: z.enum(['fast', 'safe']),
  level: z.union([z.literal(4), z.literal(5)]).default(5),
  retain: z.boolean().optional(),
  password: SecretRef.optional(),
  tls: Tls.optional(),
  tags: z.array(z.object({ name: z.string(), qos: z.union([z.literal(0), z.literal(1)]) })).default([]),
});
const spec = specOf(Example);
const noSecret = () => {
  throw new Error('no secret expected');
};

describe('specOf', () => {
  it('reads kinds, bounds, choices, defaults and optionality from the schema', () => {
    expect(specAt(spec, 'port')).toMatchObject({
      t: 'number',
      min: 1,
      max: 65_535,
      int: true,
      defaultValue: 1883,
    });
    expect(specAt(spec, 'mode')).toMatchObject({ t: 'choice', options: ['fast', 'safe'], optional: false });
    expect(specAt(spec, 'level')).toMatchObject({ t: 'choice', options: [4, 5], defaultValue: 5 });
    expect(specAt(spec, 'password')).toMatchObject({ t: 'secret', optional: true });
    expect(specAt(spec, 'tls.verify')).toMatchObject({ t: 'boolean', defaultValue: true });
    expect(specAt(spec, 'tags.3.qos')).toMatchObject({ t: 'choice', options: [0, 1] });
    expect(specAt(spec, 'tags.x')).toBeUndefined();
    expect(specAt(spec, 'nope.deeper')).toBeUndefined();
  });

  it('refuses what a form cannot edit, naming it', () => {
    expect(() => specOf(z.object({ m: z.record(z.string(), z.string()) }))).toThrow(
      /unsupported schema type record/,
    );
    expect(() => specOf(z.union([z.literal('a'), z.string()]))).toThrow(/only unions of literals/);
  });
});

describe('toForm and fromForm', () => {
  it('shows numbers as text and defaults where the configuration says nothing', () => {
    const form = toForm(spec, { host: 'h', mode: 'safe' });
    expect(getAt(form, 'port')).toBe('1883');
    expect(getAt(form, 'level')).toBe('5');
    expect(getAt(form, 'retain')).toBe(''); // optional boolean without default: unset, not false
    expect(getAt(form, 'password')).toEqual({ ref: null, typed: '', clear: false });
    expect(getAt(form, 'tags')).toEqual([]);
  });

  it('gives back the configuration it was made from', () => {
    const config = {
      host: 'broker.lan',
      port: 8883,
      mode: 'fast',
      level: 4,
      retain: false,
      password: 'bench.password',
      tls: { verify: false, caFile: '/etc/ca.pem' },
      tags: [{ name: 'a', qos: 1 }],
    };
    const { value, secrets } = fromForm(spec, toForm(spec, config), noSecret);
    expect(value).toEqual(config);
    expect(secrets).toEqual([]);
    expect(Example.parse(value)).toEqual(config);
  });

  it('turns number text into numbers, and leaves what is no number as text for the schema to report', () => {
    let form = toForm(spec, { host: 'h', mode: 'fast' });
    form = setAt(form, 'port', ' 1e3 ');
    expect(fromForm(spec, form, noSecret).value).toMatchObject({ port: 1000 });
    form = setAt(form, 'port', '12ab');
    const { value } = fromForm(spec, form, noSecret);
    expect(value).toMatchObject({ port: '12ab' });
    const issues = issuesByPath(Example.safeParse(value).error!);
    expect(issues.get('port')).toMatch(/expected number/);
    form = setAt(form, 'port', '');
    expect(fromForm(spec, form, noSecret).value).not.toHaveProperty('port');
  });

  it('leaves an optional block out while it holds only defaults, and in once something differs', () => {
    let form = toForm(spec, { host: 'h', mode: 'fast' });
    expect(fromForm(spec, form, noSecret).value).not.toHaveProperty('tls');
    form = setAt(form, 'tls.verify', false);
    expect(fromForm(spec, form, noSecret).value).toMatchObject({ tls: { verify: false } });
    // $present settles it either way, whatever the block holds.
    expect(fromForm(spec, setAt(form, `tls.${PRESENT}`, false), noSecret).value).not.toHaveProperty('tls');
    const kept = fromForm(
      spec,
      setAt(toForm(spec, { host: 'h', mode: 'fast' }), `tls.${PRESENT}`, true),
      noSecret,
    );
    expect(kept.value).toMatchObject({ tls: { verify: true } });
  });

  it('sends a typed secret by the name for its path and writes only that name', () => {
    let form = toForm(spec, { host: 'h', mode: 'fast', password: 'old.name' });
    expect(fromForm(spec, form, noSecret).value).toMatchObject({ password: 'old.name' });
    form = setAt(form, 'password', { ref: 'old.name', typed: 's3cret', clear: false });
    const { value, secrets } = fromForm(spec, form, (path) => `src.${path}`);
    expect(value).toMatchObject({ password: 'src.password' });
    expect(secrets).toEqual([{ name: 'src.password', value: 's3cret' }]);
    const cleared = fromForm(
      spec,
      setAt(form, 'password', { ref: 'old.name', typed: '', clear: true }),
      noSecret,
    );
    expect(cleared.value).not.toHaveProperty('password');
  });

  it('round-trips a real MQTT source configuration', () => {
    const mqtt = specOf(MqttOptions);
    const options = MqttOptions.parse({
      url: 'mqtts://broker.lan:8883',
      username: 'op',
      password: 'bench.password',
      subscriptions: [{ filter: 'plant/#', qos: 1 }],
      tls: { caFile: '/etc/ca.pem' },
    });
    const back = fromForm(mqtt, toForm(mqtt, options), noSecret).value;
    expect(MqttOptions.parse(back)).toEqual(options);
  });
});

describe('getAt and setAt', () => {
  it('reads and writes through objects and lists without touching the original', () => {
    const form: FormValue = { a: { list: ['x', 'y'] }, b: 'keep' };
    const next = setAt(form, 'a.list.1', 'z');
    expect(getAt(next, 'a.list.1')).toBe('z');
    expect(getAt(form, 'a.list.1')).toBe('y');
    expect(Array.isArray(getAt(next, 'a.list'))).toBe(true);
    expect((next as Record<string, FormValue>).b).toBe('keep');
    expect(getAt(form, 'a.missing.deeper')).toBeUndefined();
    expect(getAt(setAt(form, 'c.d', 'new'), 'c.d')).toBe('new');
  });
});

describe('issuesByPath', () => {
  it('keys each issue by its dotted path, the first one per path', () => {
    const result = Example.safeParse({ host: '', mode: 'slow', tags: [{ name: 'a', qos: 2 }] });
    const issues = issuesByPath(result.error!);
    expect([...issues.keys()].sort()).toEqual(['host', 'mode', 'tags.0.qos']);
  });
});

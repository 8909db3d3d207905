// A source kind is data: one folder (test/fixtures/source-kinds/counter) and one registration call
// make it known to SourceConfig, to the console's kind list and generated form, and to the engine,
// which runs it into DuckDB like any other source.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { registerSourceKind, sourceFactories } from '../../electron/engine/sources/registry';
import { hintsOf, specOf } from '../../renderer/src/schema-form';
import {
  defineSourceKind,
  parseOrThrow,
  SourceConfig,
  sourceKindOf,
  sourceKinds,
  type SourceConfig as SourceConfigType,
} from '../../shared/schemas';
import { counterKind } from '../fixtures/source-kinds/counter/source';
import { tempDir, waitFor } from '../helpers/tmp';

/** An engine on a new workspace holding these sources. */
async function engineWith(sources: unknown[], cleanups: (() => unknown)[]): Promise<Engine> {
  const tmp = tempDir();
  cleanups.push(tmp.cleanup);
  const dir = path.join(tmp.dir, 'ws');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'opsdeck.json'), JSON.stringify({ version: 2, name: 'kinds', sources }));
  const engine = await Engine.open(dir);
  cleanups.push(() => engine.close());
  return engine;
}

describe('source kinds as data', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('registers a kind from its folder: engine registry, console lists, form and a running source', async () => {
    const config = { id: 'count', kind: 'counter', name: 'Counter', options: { intervalMs: 20 } };
    expect(SourceConfig.safeParse(config).error?.issues).toEqual([
      expect.objectContaining({
        path: ['kind'],
        message: 'unknown source kind "counter": one of mqtt, mqtt-broker, kafka, serial, tail, syslog, sim',
      }),
    ]);
    expect(sourceFactories['counter']).toBeUndefined();

    registerSourceKind(counterKind);

    // The engine's registry and the list the console's "+ Source" form and sources panel read.
    expect(sourceFactories['counter']?.kind).toBe('counter');
    expect(sourceKinds().map((k) => k.kind)).toEqual([
      'mqtt',
      'mqtt-broker',
      'kafka',
      'serial',
      'tail',
      'syslog',
      'sim',
      'counter',
    ]);
    expect(sourceKindOf('counter')).toMatchObject({
      label: 'Counter (counts up)',
      idBase: 'count',
      capabilities: {
        topics: false,
        publish: false,
        console: false,
        ports: false,
        sparkplug: false,
        cluster: false,
      },
    });
    // Its configuration parses, defaults filled in, and a wrong option is named by its path.
    expect(SourceConfig.parse({ id: 'c', kind: 'counter', name: 'C' })).toEqual({
      id: 'c',
      kind: 'counter',
      name: 'C',
      enabled: true,
      options: { intervalMs: 50, start: 0 },
    });
    expect(() => parseOrThrow(SourceConfig, { ...config, options: { intervalMs: 1 } }, 'source')).toThrow(
      /^source: options\.intervalMs: Too small/,
    );
    // The console's generated form takes labels and hints from the kind's `.meta()`.
    const hint = hintsOf(specOf(sourceKindOf('counter')!.config));
    expect(hint('options.intervalMs')).toMatchObject({
      label: 'Every (ms)',
      help: 'How often the count goes up.',
    });
    expect(hint('options.start')).toMatchObject({ label: 'First value', advanced: true });
    expect(hint('kind').hidden).toBe(true);
    expect(hint('id').label).toBe('Id');

    // The engine runs it: its samples are stored like any source's.
    const engine = await engineWith([config], cleanups);
    const stored = await waitFor('five counts stored', async () => {
      const r = await engine.query(
        `SELECT count(*), min(value), max(value) FROM samples_v WHERE channel = 'count/count'`,
      );
      return Number(r.rows[0]![0]) >= 5 ? r.rows[0]! : null;
    });
    expect(Number(stored[1])).toBe(0);
    expect(Number(stored[2])).toBeGreaterThanOrEqual(4);
    expect(engine.status().sources).toEqual([
      expect.objectContaining({ id: 'count', kind: 'counter', state: 'connected' }),
    ]);
  });

  it('holds a kind to its descriptor: the same options schema, and the capabilities it declares', async () => {
    const options = z.object({}).strict();
    const descriptor = defineSourceKind({
      kind: 'promises-topics',
      label: 'Promises topics',
      options,
      optionsMayBeOmitted: true,
      capabilities: { topics: true },
      hostAccess: () => null,
    });
    const quiet = (ctx: Parameters<(typeof counterKind.factory)['create']>[1]) => ({
      start: async () => ctx.setState('connected'),
      stop: async () => ctx.setState('stopped'),
    });
    expect(() =>
      registerSourceKind({
        descriptor,
        factory: { kind: 'promises-topics', options: z.object({}).strict(), create: (_o, ctx) => quiet(ctx) },
      }),
    ).toThrow('source kind "promises-topics": the factory\'s options are not its descriptor\'s');
    registerSourceKind({
      descriptor,
      factory: { kind: 'promises-topics', options, create: (_o, ctx) => quiet(ctx) },
    });
    const source: SourceConfigType = { id: 'p', kind: 'promises-topics', name: 'P' } as never;
    const engine = await engineWith([source], cleanups);
    const status = await waitFor('the source refused', () =>
      engine.status().sources.find((s) => s.id === 'p' && s.state === 'error'),
    );
    expect(status.lastError).toBe(
      'source kind "promises-topics" declares topics but its source lacks topics, topicDetail',
    );
  });
});

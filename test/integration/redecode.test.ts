// Malformed payloads from a real Mosquitto land in quarantine; after the user sees the topic was
// given the wrong decoder, a re-decode job with the right one turns those very bytes into samples
// under a derived source, and the originals stay in quarantine.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import type { JobInfo } from '../../shared/jobs';
import { mosquittoPub, TestBroker } from '../helpers/mosquitto';
import { tempDir, waitFor } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let broker: TestBroker;
let engine: Engine;

beforeAll(async () => {
  tmp = tempDir();
  broker = await TestBroker.start();
  const dir = path.join(tmp.dir, 'ws');
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, 'opsdeck.json'),
    JSON.stringify({
      version: 1,
      sources: [
        {
          id: 'bench',
          kind: 'mqtt',
          name: 'bench',
          enabled: true,
          // The rig speaks key=value, but the topic was set to JSON: every message is quarantined.
          options: { url: broker.url, decoders: [{ filter: 'rig/#', decoder: 'json' }] },
        },
      ],
    }),
  );
  engine = await Engine.open(dir, { flushIntervalMs: 50 });
});

afterAll(async () => {
  await engine?.close();
  await broker?.close();
  tmp?.cleanup();
});

async function finished(id: string): Promise<JobInfo> {
  return waitFor(`job ${id} finished`, () => {
    const job = engine.jobs.get(id);
    return job && !['queued', 'running'].includes(job.state) ? job : null;
  });
}

describe('re-decoding quarantined items', () => {
  it('turns the quarantined payloads into samples with the right decoder, and keeps the originals', async () => {
    await waitFor(
      'connected',
      () => engine.status().sources.find((s) => s.id === 'bench')?.state === 'connected',
    );
    for (const [i, t] of [21.5, 22, 22.5].entries())
      mosquittoPub(broker, ['-t', 'rig/env', '-m', `temp=${t},seq=${i}`, '-q', '1']);
    const page = await waitFor('three items in quarantine', async () => {
      const q = await engine.investigate.quarantine({ source: 'bench', offset: 0, limit: 100 });
      return q.items.length === 3 ? q : null;
    });
    expect(page.items.map((i) => i.where)).toEqual(['rig/env', 'rig/env', 'rig/env']);

    const wrong = await finished(
      await engine.redecodeQuarantine({
        source: 'bench',
        ids: page.items.map((i) => i.id),
        decoder: 'number',
      }),
    );
    expect(wrong).toMatchObject({ state: 'done', rows: 0, quarantined: 3 });

    const job = await finished(
      await engine.redecodeQuarantine({ source: 'bench', ids: page.items.map((i) => i.id), decoder: 'kv' }),
    );
    expect(job).toMatchObject({ state: 'done', rows: 3, quarantined: 0, error: null });
    const samples = await engine.store.read(
      `SELECT channel, value FROM samples_v WHERE source = 'bench~redecoded' ORDER BY channel, value`,
    );
    expect(samples).toEqual([
      ['bench~redecoded/rig/env/seq', 0],
      ['bench~redecoded/rig/env/seq', 1],
      ['bench~redecoded/rig/env/seq', 2],
      ['bench~redecoded/rig/env/temp', 21.5],
      ['bench~redecoded/rig/env/temp', 22],
      ['bench~redecoded/rig/env/temp', 22.5],
    ]);
    const still = await engine.investigate.quarantine({ source: 'bench', offset: 0, limit: 100 });
    expect(still.items).toHaveLength(3); // the originals stay until cleared

    await expect(
      engine.redecodeQuarantine({ source: 'bench', ids: [1], decoder: 'no-such' }).then(finished),
    ).resolves.toMatchObject({ state: 'failed', error: expect.stringMatching(/unknown decoder "no-such"/) });
  });
});

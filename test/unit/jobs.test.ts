// The job board on a real DuckDB file: jobs run one at a time in the order asked, a job cancelled
// while queued never runs, a runner that throws fails its job with the reason, and each end is a
// row in `jobs` with its summary; a job left `running` by a previous engine is run again.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobBoard, type JobHandle } from '../../electron/engine/jobs/board';
import { Store } from '../../electron/engine/store/store';
import { StoreSettings } from '../../shared/schemas';
import { tempDir } from '../helpers/tmp';

const settings = StoreSettings.parse({ memoryLimitMb: 64, threads: 1 });

describe('job board', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function store(file?: string) {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const s = await Store.open(file ?? path.join(tmp.dir, 'data.duckdb'), {
      settings,
      flushIntervalMs: 60_000,
    });
    return s;
  }

  const ended = async (board: JobBoard, id: string) => {
    for (;;) {
      const job = board.get(id)!;
      if (job.state !== 'queued' && job.state !== 'running') return job;
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it('runs jobs in order, skips one cancelled while queued, fails one whose runner throws', async () => {
    const s = await store();
    cleanups.push(() => s.close());
    const board = new JobBoard({ store: s, audit: () => null, now: Date.now });
    const ran: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    board.register<{ name: string }>('import', async (spec, job: JobHandle) => {
      ran.push(spec.name);
      if (spec.name === 'first') await gate;
      if (spec.name === 'broken') throw new Error('the capture is unreadable');
      job.info.rows = 7;
      job.changed();
    });
    const first = await board.start('import', { name: 'first' }, 'first');
    const skipped = await board.start('import', { name: 'skipped' }, 'skipped');
    const broken = await board.start('import', { name: 'broken' }, 'broken');
    board.cancel(skipped);
    release();
    expect((await ended(board, first)).state).toBe('done');
    expect(await ended(board, skipped)).toMatchObject({ state: 'cancelled' });
    expect(await ended(board, broken)).toMatchObject({ state: 'failed', error: 'the capture is unreadable' });
    expect(ran).toEqual(['first', 'broken']);
    const rows = await s.read(`SELECT id, state, summary->>'rows' FROM jobs ORDER BY created_at, id`);
    expect(new Map(rows.map((r) => [r[0], [r[1], r[2]]]))).toEqual(
      new Map([
        [first, ['done', '7']],
        [skipped, ['cancelled', '0']],
        [broken, ['failed', '0']],
      ]),
    );
  });

  it('ends done, not cancelled, when the cancel comes after the runner said its work is whole', async () => {
    const s = await store();
    cleanups.push(() => s.close());
    const board = new JobBoard({ store: s, audit: () => null, now: Date.now });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const atEnd = new Promise<void>((r) => (reached = r));
    board.register<{ name: string }>('export', async (_spec, job: JobHandle) => {
      job.complete(); // the file is in place; what follows (an audit entry, a note) cannot undo it
      reached();
      await gate;
    });
    const id = await board.start('export', { name: 'late' }, 'late');
    await atEnd;
    board.cancel(id);
    release();
    expect((await ended(board, id)).state).toBe('done');
  });

  it('runs again, with its id and spec, a job a previous engine left running', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const file = path.join(tmp.dir, 'data.duckdb');
    const before = await Store.open(file, { settings, flushIntervalMs: 60_000 });
    const board = new JobBoard({ store: before, audit: () => null, now: Date.now });
    board.register('import', () => new Promise<void>(() => undefined)); // never ends by itself
    const id = await board.start('import', { paths: ['/evidence'] }, 'import /evidence');
    await new Promise((r) => setTimeout(r, 100));
    void board.close(); // the engine stops: the job is interrupted, its row stays `running`
    await before.close();

    const after = await Store.open(file, { settings, flushIntervalMs: 60_000 });
    cleanups.push(() => after.close());
    const again = new JobBoard({ store: after, audit: () => null, now: Date.now });
    const specs: unknown[] = [];
    again.register('import', async (spec) => void specs.push(spec));
    expect(await again.resume()).toBe(1);
    expect(await ended(again, id)).toMatchObject({
      state: 'done',
      notes: ['resumed after the engine restarted'],
    });
    expect(specs).toEqual([{ paths: ['/evidence'] }]);
  });
});

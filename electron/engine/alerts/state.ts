// Live alert instance states in `alert_state` (one row per instance, replaced as it changes and
// all rewritten on close), so pending timers and firing alerts survive an engine restart. A row
// carries a hash of its rule's definition: a changed rule starts over.
import { createHash } from 'node:crypto';
import type { AlertRule, AlertState } from '../../../shared/alerts';
import type { Store } from '../store/store';
import type { InstanceSeed } from './evaluator';
import { AckBook, type Ack } from './silences';

export interface SavedInstance extends InstanceSeed {
  rule: string;
  ruleHash: string;
  labels: Record<string, string>;
  ack: Ack | null;
}

export function ruleHash(rule: AlertRule): string {
  return createHash('sha256').update(JSON.stringify(rule)).digest('hex');
}

const UPSERT = `INSERT OR REPLACE INTO alert_state VALUES ($1, $2, $3, $4, $5, $6::DOUBLE, $7::DOUBLE, $8::INTEGER <> 0, $9)`;

/** Writes are chained so they land in order; failures are kept, not thrown (like TransitionWriter). */
export class AlertStateTable {
  private chain: Promise<void> = Promise.resolve();
  failed: string | null = null;

  constructor(private readonly store: Store) {}

  private enqueue(fn: () => Promise<void>): void {
    if (this.store.readOnly) return;
    this.chain = this.chain.then(fn).then(
      () => undefined,
      (error: unknown) => {
        this.failed = (error as Error).message;
      },
    );
  }

  private upsert(s: SavedInstance): Promise<void> {
    return this.store.write(
      UPSERT,
      [
        AckBook.key(s.rule, s.labels),
        s.rule,
        s.ruleHash,
        JSON.stringify(s.labels),
        s.state,
        s.since,
        Number.isFinite(s.value) ? s.value : null,
        s.active ? 1 : 0,
        s.ack ? JSON.stringify(s.ack) : null,
      ],
      'the alert state',
    );
  }

  /** Replaces one instance's row. */
  save(s: SavedInstance): void {
    this.enqueue(() => this.upsert(s));
  }

  /** Replaces every row with these. */
  saveAll(all: readonly SavedInstance[]): void {
    this.enqueue(async () => {
      await this.store.write('DELETE FROM alert_state', [], 'the alert state');
      for (const s of all) await this.upsert(s);
    });
  }

  async load(): Promise<SavedInstance[]> {
    const r = await this.store.read(
      `SELECT rule, rule_hash, labels, state, since, value, active, ack FROM alert_state`,
    );
    return r.map(([rule, hash, labels, state, since, value, active, ack]) => ({
      rule: rule as string,
      ruleHash: hash as string,
      labels: JSON.parse(labels as string) as Record<string, string>,
      state: state as AlertState,
      since: since as number,
      value: value === null ? NaN : (value as number),
      active: active === true,
      ack: ack === null ? null : (JSON.parse(ack as string) as Ack),
    }));
  }

  drain(): Promise<void> {
    return this.chain;
  }
}

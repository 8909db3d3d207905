// Writes alert transitions to `alert_transitions`, marked live or stored (from evaluating stored
// data) so a re-evaluation never mixes with what was paged live.
import type { AlertTransition } from '../../../shared/alerts';
import type { Store } from '../store/store';

export type TransitionMode = 'live' | 'stored';

const INSERT = `INSERT INTO alert_transitions
  (ts, rule, labels, from_state, state, value, severity, annotations, mode, evaluated_at, cause) VALUES (
  make_timestamp($1::BIGINT), $2, $3::JSON, $4, $5, $6, $7, $8::JSON, $9, make_timestamp($10::BIGINT), $11)`;

/** Transitions are rare next to samples, so one INSERT each, chained so they land in order. */
const WHAT = 'an alert transition';

export class TransitionWriter {
  private chain: Promise<void> = Promise.resolve();
  failed: string | null = null;

  constructor(
    /** None in a replay session: nothing is written. */
    private readonly store: Store | null,
    private readonly now: () => number,
  ) {}

  write(t: AlertTransition, mode: TransitionMode): void {
    const store = this.store;
    if (!store || store.readOnly) return;
    const values = [
      Math.round(t.ts * 1000),
      t.rule,
      JSON.stringify(t.labels),
      t.from,
      t.state,
      Number.isFinite(t.value) ? t.value : null,
      t.severity,
      JSON.stringify(t.annotations),
      mode,
      Math.round(this.now() * 1000),
      t.cause ?? null,
    ];
    this.chain = this.chain
      .then(() => store.write(INSERT, values, WHAT))
      .then(
        () => undefined,
        (error: unknown) => {
          this.failed = (error as Error).message;
        },
      );
  }

  /** Settles when every transition handed in so far is written (or failed). */
  drain(): Promise<void> {
    return this.chain;
  }
}

// Silences (kept in DuckDB `silences`: operational state, not configuration) and acknowledgements
// (in memory: an ack lasts until its instance resolves). Both are keyed by the instance's labels
// with `alertname` = the rule id, as notifications are.
import { randomUUID } from 'node:crypto';
import type { AlertTransition } from '../../../shared/alerts';
import { compileMatchers, silenceStatus, type Matcher, type SilenceStatus } from '../../../shared/silences';
import type { Store } from '../store/store';
import { alertLabels, fingerprint } from './notify/payload';

export interface Silence {
  id: string;
  matchers: Matcher[];
  /** Epoch ms. */
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  createdAt: number;
}

interface Entry {
  silence: Silence;
  test: (labels: Record<string, string>) => boolean;
  /** Its expiry is in the audit log (or it had expired before this engine started). */
  announced: boolean;
}

export class SilenceBook {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number) {}

  add(silence: Silence, announced = false): void {
    this.entries.set(silence.id, { silence, test: compileMatchers(silence.matchers), announced });
  }

  /** Ids of the silences active at `at` whose matchers all hold for these labels. */
  silencedBy(labels: Record<string, string>, at = this.now()): string[] {
    const out: string[] = [];
    for (const e of this.entries.values())
      if (silenceStatus(e.silence, at) === 'active' && e.test(labels)) out.push(e.silence.id);
    return out;
  }

  get(id: string): Silence | undefined {
    return this.entries.get(id)?.silence;
  }

  /** Ends a silence now; false when it is unknown or already expired. */
  expire(id: string): Silence | null {
    const e = this.entries.get(id);
    const at = this.now();
    if (!e || silenceStatus(e.silence, at) === 'expired') return null;
    e.silence = { ...e.silence, endsAt: at, startsAt: Math.min(e.silence.startsAt, at) };
    e.announced = true;
    return e.silence;
  }

  /** Silences that have run out since the last sweep (each reported once). */
  sweep(at = this.now()): Silence[] {
    const out: Silence[] = [];
    for (const e of this.entries.values())
      if (!e.announced && silenceStatus(e.silence, at) === 'expired') {
        e.announced = true;
        out.push(e.silence);
      }
    return out;
  }

  list(at = this.now()): (Silence & { status: SilenceStatus })[] {
    return [...this.entries.values()]
      .map((e) => ({ ...e.silence, status: silenceStatus(e.silence, at) }))
      .sort((a, b) => b.createdAt - a.createdAt);
  }
}

/** Reads and writes the `silences` table. */
export class SilenceTable {
  constructor(private readonly store: Store) {}

  async load(book: SilenceBook): Promise<void> {
    const announced = await this.store.read(
      `SELECT DISTINCT detail->>'id' FROM audit WHERE action IN ('silence.expired', 'silence.expire')`,
    );
    const done = new Set(announced.map((r) => r[0] as string));
    const r = await this.store.read(
      `SELECT id, matchers::VARCHAR, epoch_ms(starts_at)::DOUBLE, epoch_ms(ends_at)::DOUBLE, created_by,
         comment, epoch_ms(created_at)::DOUBLE FROM silences`,
    );
    for (const [id, matchers, startsAt, endsAt, createdBy, comment, createdAt] of r)
      book.add(
        {
          id: id as string,
          matchers: JSON.parse(matchers as string) as Matcher[],
          startsAt: startsAt as number,
          endsAt: endsAt as number,
          createdBy: createdBy as string,
          comment: comment as string,
          createdAt: createdAt as number,
        },
        done.has(id as string),
      );
  }

  insert(s: Silence): Promise<void> {
    return this.store.write(
      `INSERT INTO silences VALUES ($1, $2::JSON, make_timestamp($3::BIGINT), make_timestamp($4::BIGINT), $5, $6,
         make_timestamp($7::BIGINT))`,
      [
        s.id,
        JSON.stringify(s.matchers),
        Math.round(s.startsAt * 1000),
        Math.round(s.endsAt * 1000),
        s.createdBy,
        s.comment,
        Math.round(s.createdAt * 1000),
      ],
    );
  }

  updateEnds(s: Silence): Promise<void> {
    return this.store.write(
      `UPDATE silences SET starts_at = make_timestamp($2::BIGINT), ends_at = make_timestamp($3::BIGINT) WHERE id = $1`,
      [s.id, Math.round(s.startsAt * 1000), Math.round(s.endsAt * 1000)],
    );
  }
}

export function newSilenceId(): string {
  return randomUUID();
}

export interface Ack {
  by: string;
  at: number;
  comment: string;
}

/** States an ack is allowed in and survives; anything else means the instance resolved. */
const ACKABLE = new Set<AlertTransition['state']>(['pending', 'firing', 'recovering', 'nodata', 'error']);

export function ackable(state: AlertTransition['state']): boolean {
  return ACKABLE.has(state);
}

/** Acknowledgements by instance fingerprint; one lasts until its instance resolves. */
export class AckBook {
  private readonly acks = new Map<string, { rule: string; labels: Record<string, string>; ack: Ack }>();

  static key(rule: string, labels: Record<string, string>): string {
    return fingerprint(alertLabels({ rule, labels }));
  }

  get(rule: string, labels: Record<string, string>): Ack | undefined {
    return this.acks.get(AckBook.key(rule, labels))?.ack;
  }

  set(rule: string, labels: Record<string, string>, ack: Ack): void {
    this.acks.set(AckBook.key(rule, labels), { rule, labels, ack });
  }

  delete(rule: string, labels: Record<string, string>): Ack | null {
    const key = AckBook.key(rule, labels);
    const entry = this.acks.get(key);
    this.acks.delete(key);
    return entry?.ack ?? null;
  }

  /** The ack this transition clears (the instance resolved), if any. */
  onTransition(t: AlertTransition): Ack | null {
    return ackable(t.state) ? null : this.delete(t.rule, t.labels);
  }
}

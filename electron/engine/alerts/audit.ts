// The audit table: an append-only, hash-chained log of what people (and the engine) changed:
// acknowledgements, silences created, expired and removed, configuration edits, exports, evidence
// bundles, annotations removed, quarantine cleared. Each row's hash is
// sha256(prev_hash + canonical JSON of {seq, ts, actor, action, detail}), so editing, deleting or
// reordering a row breaks the chain at that row; verifyAuditChain names the first broken seq.
import { createHash } from 'node:crypto';
import type { Store } from '../store/store';

export interface AuditRow {
  seq: number;
  /** Epoch ms (whole milliseconds: that is what the hash covers). */
  ts: number;
  actor: string;
  action: string;
  detail: unknown;
  prevHash: string;
  hash: string;
}

/** The hash before the first row. */
export const GENESIS_HASH = '';

/** JSON with object keys sorted at every level, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

export function auditHash(
  prevHash: string,
  row: Pick<AuditRow, 'seq' | 'ts' | 'actor' | 'action' | 'detail'>,
): string {
  const body = canonicalJson({
    seq: row.seq,
    ts: row.ts,
    actor: row.actor,
    action: row.action,
    detail: row.detail,
  });
  return createHash('sha256')
    .update(prevHash + body)
    .digest('hex');
}

export type AuditVerdict =
  { ok: true; count: number } | { ok: false; count: number; brokenSeq: number; reason: string };

/**
 * Checks rows (in any order) form one unbroken chain from seq 1 — or, for a segment of the log (an
 * evidence bundle's), from `start.seq` on, its first row linking to whatever hash it names.
 */
export function verifyAuditChain(
  rows: readonly AuditRow[],
  start: { seq: number } = { seq: 1 },
): AuditVerdict {
  const sorted = [...rows].sort((a, b) => a.seq - b.seq);
  let prev = start.seq === 1 ? GENESIS_HASH : (sorted[0]?.prevHash ?? GENESIS_HASH);
  for (let i = 0; i < sorted.length; i++) {
    const row = sorted[i]!;
    const broken = (reason: string, brokenSeq = row.seq): AuditVerdict => ({
      ok: false,
      count: sorted.length,
      brokenSeq,
      reason,
    });
    const expected = start.seq + i;
    if (row.seq !== expected)
      return broken(
        `expected seq ${expected}, found ${row.seq} (a row is missing or was renumbered)`,
        expected,
      );
    if (row.prevHash !== prev)
      return broken(
        `prev_hash ${short(row.prevHash)} is not the hash ${short(prev)} of the row before (a row before it was removed or replaced)`,
      );
    const recomputed = auditHash(row.prevHash, row);
    if (recomputed !== row.hash)
      return broken(
        `its seq, ts, actor, action or detail changed after it was written: the stored hash is ${short(row.hash)}, ` +
          `the row as it reads now hashes to ${short(recomputed)} (action "${row.action}", actor "${row.actor}", detail ${canonicalJson(row.detail)})`,
      );
    prev = row.hash;
  }
  return { ok: true, count: sorted.length };
}

function short(hash: string): string {
  return hash === '' ? '(none: the first row)' : hash.slice(0, 16);
}

/** Every row of the audit table, in seq order (a read-only store included). */
export async function readAuditRows(store: Store, sinceSeq = 1): Promise<AuditRow[]> {
  const r = await store.read(
    `SELECT seq::DOUBLE, epoch_ms(ts)::DOUBLE, actor, action, detail::VARCHAR, prev_hash, hash
     FROM audit WHERE seq >= $1 ORDER BY seq`,
    [sinceSeq],
  );
  return r.map(([seq, ts, actor, action, detail, prevHash, hash]) => ({
    seq: seq as number,
    ts: ts as number,
    actor: actor as string,
    action: action as string,
    detail: JSON.parse(detail as string) as unknown,
    prevHash: prevHash as string,
    hash: hash as string,
  }));
}

const INSERT = `INSERT INTO audit VALUES ($1::BIGINT, make_timestamp($2::BIGINT), $3, $4, $5::JSON, $6, $7)`;

/** Appends rows in order on the store's write connection; seq and hashes are assigned at once. */
const WHAT = 'an audit entry';

export class AuditLog {
  private seq = 0;
  private last = GENESIS_HASH;
  private chain: Promise<void> = Promise.resolve();
  failed: string | null = null;

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  /** Continues the chain where the table ends. */
  async load(): Promise<void> {
    const r = await this.store.read(`SELECT seq::DOUBLE, hash FROM audit ORDER BY seq DESC LIMIT 1`);
    const row = r[0];
    if (row) {
      this.seq = row[0] as number;
      this.last = row[1] as string;
    }
  }

  append(actor: string, action: string, detail: Record<string, unknown>): AuditRow {
    const base = { seq: ++this.seq, ts: Math.round(this.now()), actor, action, detail };
    const row: AuditRow = { ...base, prevHash: this.last, hash: auditHash(this.last, base) };
    this.last = row.hash;
    const values = [row.seq, row.ts * 1000, actor, action, canonicalJson(detail), row.prevHash, row.hash];
    this.chain = this.chain
      .then(() => this.store.write(INSERT, values, WHAT))
      .then(
        () => undefined,
        (error: unknown) => {
          this.failed = (error as Error).message;
        },
      );
    return row;
  }

  drain(): Promise<void> {
    return this.chain;
  }

  async rows(sinceSeq = 1): Promise<AuditRow[]> {
    await this.drain();
    return readAuditRows(this.store, sinceSeq);
  }

  async verify(): Promise<AuditVerdict> {
    return verifyAuditChain(await this.rows());
  }
}

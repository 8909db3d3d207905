// Annotations and bookmarks: notes people put on an instant (tsEnd null) or a range of the
// timeline, with text, author and the channels they are about (table `annotations`, migration 4).
// Adding and deleting are audit entries, so a note cannot quietly vanish from the evidence.
import { randomUUID } from 'node:crypto';
import type { Annotation, AddAnnotationRequest } from '../../../shared/api';
import type { Store } from '../store/store';

type Audit = (actor: string, action: string, detail: Record<string, unknown>) => void;

const COLUMNS = `id, epoch_ms(ts)::DOUBLE, epoch_ms(ts_end)::DOUBLE, text, author, channels::VARCHAR, epoch_ms(created_at)::DOUBLE`;

function rowToAnnotation(row: unknown[]): Annotation {
  const [id, ts, tsEnd, text, author, channels, createdAt] = row;
  return {
    id: id as string,
    ts: ts as number,
    tsEnd: (tsEnd as number | null) ?? null,
    text: text as string,
    author: author as string,
    channels: JSON.parse(channels as string) as string[],
    createdAt: createdAt as number,
  };
}

export class Annotations {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    private readonly audit: Audit,
  ) {}

  private assertWritable(): void {
    if (this.store.readOnly)
      throw new Error(
        'annotations: the workspace is open read-only here; annotate through the engine that has it open (opsdeck serve, or the desktop app)',
      );
  }

  async add(request: AddAnnotationRequest): Promise<Annotation> {
    this.assertWritable();
    const tsEnd = request.tsEnd ?? null;
    if (tsEnd !== null && !(tsEnd > request.ts))
      throw new Error('annotation: the end of a range must be after its start');
    const annotation: Annotation = {
      id: randomUUID(),
      ts: request.ts,
      tsEnd,
      text: request.text,
      author: request.author,
      channels: request.channels ?? [],
      createdAt: Math.round(this.now()),
    };
    await this.store.write(
      `INSERT INTO annotations VALUES ($1, make_timestamp($2::BIGINT), make_timestamp($3::BIGINT), $4, $5, $6::JSON, make_timestamp($7::BIGINT))`,
      [
        annotation.id,
        Math.round(annotation.ts * 1000),
        tsEnd === null ? null : Math.round(tsEnd * 1000),
        annotation.text,
        annotation.author,
        JSON.stringify(annotation.channels),
        annotation.createdAt * 1000,
      ],
      'an annotation',
    );
    this.audit(annotation.author, 'annotation.add', { ...annotation });
    return annotation;
  }

  /** Annotations that overlap [from, to) (an instant: that lie in it), oldest first. */
  async list(range: { from?: number | undefined; to?: number | undefined } = {}): Promise<Annotation[]> {
    const where: string[] = [];
    if (range.to !== undefined) where.push(`ts < make_timestamp(${Math.round(range.to * 1000)}::BIGINT)`);
    if (range.from !== undefined)
      where.push(`coalesce(ts_end, ts) >= make_timestamp(${Math.round(range.from * 1000)}::BIGINT)`);
    const rows = await this.store.read(
      `SELECT ${COLUMNS} FROM annotations ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts, id`,
    );
    return rows.map(rowToAnnotation);
  }

  /** Deletes one annotation; the audit entry keeps what it said and who removed it. */
  async delete(id: string, actor: string): Promise<void> {
    this.assertWritable();
    const rows = await this.store.read(`SELECT ${COLUMNS} FROM annotations WHERE id = $1`, [id]);
    if (!rows[0]) throw new Error(`annotation: no annotation with id "${id}"`);
    await this.store.write(`DELETE FROM annotations WHERE id = $1`, [id], 'an annotation removed');
    this.audit(actor, 'annotation.delete', { ...rowToAnnotation(rows[0]) });
  }
}

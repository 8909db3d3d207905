// What the investigate views ask of the engine: the log view's pages, histogram, field statistics
// and surrounding lines, the quarantine browser, and exports of SQL console results. Every read
// goes through the user-SQL path (store/user-sql.ts) with the filter compiled to parameters
// (store/record-queries.ts); only clearing the quarantine writes, and it is an audit entry.
import type { z } from 'zod';
import type {
  FieldStatsRequest,
  HistogramRequest,
  QuarantineRequest,
  RecordContextRequest,
  RecordPositionRequest,
  RecordsRequest,
} from '../../shared/investigate';
import type {
  FieldStats,
  Histogram,
  QuarantineResult,
  RecordContext,
  RecordsPage,
} from '../../shared/investigate';
import type { AuditLog } from './alerts/audit';
import { exportQueryResult } from './store/export';
import type { ReadFlush } from './store/read-flush';
import {
  fieldStats,
  histogram,
  quarantineItems,
  recordContext,
  recordFields,
  recordPosition,
  recordsPage,
  type RunQuery,
} from './store/record-queries';
import type { Store } from './store/store';

export class Investigate {
  constructor(
    private readonly store: Store,
    private readonly readFlush: ReadFlush,
    private readonly audit: () => AuditLog | null,
    private readonly readOnly: boolean,
  ) {}

  /** Rows appended a moment ago are flushed first, so the view shows what the status bar counts. */
  private readonly run: RunQuery = async (sql, values, maxRows) => this.store.query({ sql, values, maxRows });

  async records(request: z.output<typeof RecordsRequest>): Promise<RecordsPage> {
    const started = performance.now();
    await this.readFlush.beforeRead();
    const rows = await recordsPage(this.run, request);
    return { rows, elapsedMs: performance.now() - started };
  }

  async histogram(request: z.output<typeof HistogramRequest>): Promise<Histogram> {
    const started = performance.now();
    await this.readFlush.beforeRead();
    const h = await histogram(this.run, request, request.buckets);
    return { ...h, elapsedMs: performance.now() - started };
  }

  fieldStats(request: z.output<typeof FieldStatsRequest>): Promise<FieldStats> {
    return fieldStats(this.run, request, request.field, request.limit);
  }

  async position(request: z.output<typeof RecordPositionRequest>): Promise<{ index: number }> {
    return { index: await recordPosition(this.run, request, request) };
  }

  fields(): Promise<string[]> {
    return recordFields(this.run);
  }

  context(request: z.output<typeof RecordContextRequest>): Promise<RecordContext> {
    return recordContext(this.run, request.id, request.before, request.after);
  }

  async quarantine(request: z.output<typeof QuarantineRequest>): Promise<QuarantineResult> {
    await this.readFlush.beforeRead();
    return quarantineItems(this.run, request.source, request.offset, request.limit);
  }

  /** A SQL console result written whole to a CSV file by the engine (the console cannot write files). */
  async exportQuery(request: { sql: string; path: string; id?: string | undefined }) {
    await this.readFlush.beforeRead();
    const rows = await exportQueryResult(this.store, request);
    if (!this.readOnly)
      await this.store.saveNotice('info', `exported ${rows} rows of a query to ${request.path}`);
    return { path: request.path, rows };
  }
}

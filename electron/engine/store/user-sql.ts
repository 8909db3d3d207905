// User SQL (the SQL console, `opsdeck query`, the `query` API): it reads the workspace and can
// change nothing, whatever the statement.
//
// Three walls, each enough on its own for what it covers:
// 1. The statement check: every statement is parsed by DuckDB itself (`json_serialize_sql`), which
//    only serialises queries (SELECT, WITH, VALUES, FROM-first, DESCRIBE, SHOW, SUMMARIZE), and the
//    whole parsed tree is walked: every table function must be on a list of harmless ones, and no
//    scalar function may touch a sequence. `EXPLAIN [ANALYZE]` is taken apart and its query checked
//    the same way, so `EXPLAIN ANALYZE DELETE …` never reaches DuckDB. CALL, PRAGMA, SET,
//    CHECKPOINT, ATTACH and every write are refused with the statement's number and kind.
// 2. The transaction: what passes runs inside `BEGIN TRANSACTION READ ONLY` on a connection of its
//    own, always rolled back, so DuckDB refuses any write the check might have missed.
// 3. The instance: file access, extension loading and settings are off and locked (duckdb.ts).
//
// It never holds up the engine: at most `MAX_RUNNING` user queries run at once (DuckDB's client
// runs each call on one of libuv's four pool threads, which ingest, plots and the API need too);
// others wait in a short queue. Each has a deadline (`store.queryTimeoutSeconds`) and can be
// cancelled by the id its caller gave; both interrupt DuckDB, and so does closing the store. A
// result stops at `maxRows` rows or `maxBytes` of JSON, whichever comes first, and says which.
import type { DuckDBConnection, DuckDBInstance, DuckDBResult } from '@duckdb/node-api';
import { StatementType } from '@duckdb/node-api';
import type { QueryResult } from '../../../shared/api';
import { sqlString } from './duckdb';
import { toJsonSafe } from './values';

/** How many user queries run at once; the rest queue. Leaves libuv's pool to the engine. */
const MAX_RUNNING = 2;
const MAX_QUEUED = 16;

/** Table functions that only read the workspace or compute; anything else is refused. */
export const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  'range',
  'generate_series',
  'unnest',
  'repeat',
  'repeat_row',
  'json_each',
  'json_tree',
  'histogram',
  'histogram_values',
  'summary',
  'icu_calendar_names',
  'pg_timezone_names',
  'duckdb_columns',
  'duckdb_constraints',
  'duckdb_databases',
  'duckdb_dependencies',
  'duckdb_functions',
  'duckdb_indexes',
  'duckdb_keywords',
  'duckdb_memory',
  'duckdb_optimizers',
  'duckdb_schemas',
  'duckdb_sequences',
  'duckdb_settings',
  'duckdb_tables',
  'duckdb_types',
  'duckdb_views',
  'pragma_collations',
  'pragma_database_size',
  'pragma_metadata_info',
  'pragma_platform',
  'pragma_show',
  'pragma_storage_info',
  'pragma_table_info',
  'pragma_version',
]);

/** Scalar functions that write (sequences advance even in a query). */
const REFUSED_SCALAR_FUNCTIONS: ReadonlySet<string> = new Set(['nextval', 'currval', 'setval']);

const EXPLAIN_PREFIX = /^EXPLAIN\s+(ANALYZE\s+|ANALYSE\s+)?/i;
const READS =
  'the SQL console only reads: SELECT, WITH, VALUES, FROM, DESCRIBE, SHOW, SUMMARIZE and EXPLAIN [ANALYZE] of these';

export class UserSqlError extends Error {}

export interface UserSqlLimits {
  timeoutMs: number;
  maxBytes: number;
}

export interface UserQuery {
  sql: string;
  maxRows: number;
  /** The caller's id for `cancel`; unique among its running queries. */
  id?: string | undefined;
  /**
   * Values for the statement's `?` parameters: the engine's own compiled queries (the log view's,
   * store/record-queries.ts) pass user input this way, never inside the SQL text.
   */
  values?: readonly (string | number | boolean | null)[] | undefined;
}

/** Removes leading whitespace and SQL comments, so a statement's first keyword can be read. */
export function stripLeadingComments(sql: string): string {
  let s = sql;
  for (;;) {
    const t = s.trimStart();
    if (t.startsWith('--')) {
      const nl = t.indexOf('\n');
      s = nl < 0 ? '' : t.slice(nl + 1);
    } else if (t.startsWith('/*')) {
      const end = t.indexOf('*/', 2);
      s = end < 0 ? '' : t.slice(end + 2);
    } else return t;
  }
}

/**
 * Walks DuckDB's parsed tree of the statements (the output of json_serialize_sql) and names the
 * first thing a read-only console must not run, or returns null. Iterative: trees can be deep.
 */
export function refusalInTree(tree: unknown): string | null {
  const statements = (tree as { statements?: unknown[] }).statements ?? [];
  for (let s = 0; s < statements.length; s++) {
    const stack: unknown[] = [statements[s]];
    while (stack.length > 0) {
      const node = stack.pop();
      if (node === null || typeof node !== 'object') continue;
      if (Array.isArray(node)) {
        for (const child of node) stack.push(child);
        continue;
      }
      const n = node as Record<string, unknown>;
      if (n['type'] === 'TABLE_FUNCTION') {
        const fn = (n['function'] as { function_name?: unknown } | null)?.function_name;
        const name = typeof fn === 'string' ? fn.toLowerCase() : String(fn);
        if (!ALLOWED_TABLE_FUNCTIONS.has(name))
          return `statement ${s + 1} calls table function ${name}(), which the SQL console does not run (it runs ${[...ALLOWED_TABLE_FUNCTIONS].join(', ')})`;
      }
      if (n['class'] === 'FUNCTION' && typeof n['function_name'] === 'string') {
        const name = n['function_name'].toLowerCase();
        if (REFUSED_SCALAR_FUNCTIONS.has(name))
          return `statement ${s + 1} calls ${name}(), which changes a sequence; the SQL console only reads`;
      }
      for (const value of Object.values(n))
        if (value !== null && typeof value === 'object') stack.push(value);
    }
  }
  return null;
}

/** One user query from its arrival: waiting for a slot, then running on its own connection. */
interface UserRun {
  /** Set while it waits for a slot: lets it be refused without running. */
  refuse: ((error: Error) => void) | null;
  connection: DuckDBConnection | null;
  /** Why it was stopped, once it was. */
  stopped: string | null;
  /** Interrupts again until the run ends: one that lands between two statements is forgotten. */
  insist?: ReturnType<typeof setInterval>;
}

export class UserSql {
  /** Every query that arrived and has not ended, waiting or running. */
  private readonly runs = new Set<UserRun>();
  private readonly byId = new Map<string, UserRun>();
  private readonly queue: (() => void)[] = [];
  private active = 0;
  private closed = false;

  constructor(
    /** The store's current instance: it is replaced when the store reopens the database. */
    private readonly instance: () => DuckDBInstance,
    private readonly limits: () => UserSqlLimits,
  ) {}

  async run(query: UserQuery): Promise<QueryResult> {
    const started = performance.now();
    const { maxBytes } = this.limits();
    const read = await this.execute(query, (result) => readCapped(result, query.maxRows, maxBytes));
    return { ...read, elapsedMs: performance.now() - started };
  }

  /**
   * Runs the query with the same walls, deadline and cancel, and hands its whole streaming result
   * to `consume` (an export writing it to a file): no row or byte cap, since nothing is held.
   */
  stream<T>(query: Omit<UserQuery, 'maxRows'>, consume: (result: DuckDBResult) => Promise<T>): Promise<T> {
    return this.execute({ ...query, maxRows: 0 }, consume);
  }

  private async execute<T>(query: UserQuery, consume: (result: DuckDBResult) => Promise<T>): Promise<T> {
    const { timeoutMs } = this.limits();
    if (this.closed) throw new UserSqlError('query: the engine is shutting down');
    if (query.id !== undefined && this.byId.has(query.id))
      throw new UserSqlError(`query: id "${query.id}" is already running`);
    const run: UserRun = { refuse: null, connection: null, stopped: null };
    this.runs.add(run);
    if (query.id !== undefined) this.byId.set(query.id, run);
    const timer = setTimeout(
      () => this.stop(run, `stopped after ${timeoutMs / 1000} s (store.queryTimeoutSeconds)`),
      timeoutMs,
    );
    try {
      await this.slot(run);
      try {
        return await this.runInSlot(run, query, consume);
      } finally {
        this.release();
      }
    } finally {
      clearTimeout(timer);
      clearInterval(run.insist);
      this.runs.delete(run);
      if (query.id !== undefined) this.byId.delete(query.id);
    }
  }

  private async runInSlot<T>(
    run: UserRun,
    query: UserQuery,
    consume: (result: DuckDBResult) => Promise<T>,
  ): Promise<T> {
    const connection = await this.instance().connect();
    run.connection = connection;
    try {
      if (run.stopped) throw new UserSqlError(`query: ${run.stopped}`);
      await connection.run('BEGIN TRANSACTION READ ONLY');
      const statement = await this.check(connection, query.sql);
      if (query.values !== undefined) statement.bind([...query.values]);
      if (run.stopped) throw new UserSqlError(`query: ${run.stopped}`);
      return await consume(await statement.stream());
    } catch (error) {
      if (run.stopped) throw new UserSqlError(`query: ${run.stopped}`);
      if (error instanceof UserSqlError) throw error;
      throw new UserSqlError(`query: ${firstLine(error)}`);
    } finally {
      clearInterval(run.insist);
      // Ends the transaction (and any pending stream) whatever happened; nothing is ever committed.
      await connection.run('ROLLBACK').catch(() => undefined);
      try {
        connection.closeSync();
      } catch {
        // the store reopened the database under it; the connection went with the old instance
      }
    }
  }

  /** Stops the query with this id, running or waiting. False when there is none. */
  cancel(id: string): boolean {
    const run = this.byId.get(id);
    if (!run) return false;
    this.stop(run, 'cancelled');
    return true;
  }

  /** Stops every query, running or waiting (the store is closing or reopening the database). */
  interruptAll(why: string): void {
    for (const run of this.runs) this.stop(run, why);
  }

  /** Stops everything and waits (a few seconds at most) until no query holds a connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.interruptAll('the engine is shutting down');
    for (let waited = 0; this.runs.size > 0 && waited < 5_000; waited += 20)
      await new Promise((r) => setTimeout(r, 20));
  }

  /** Queries running or waiting for a slot. */
  get count(): number {
    return this.runs.size;
  }

  /** Queries holding a slot. */
  get runningCount(): number {
    return this.active;
  }

  private stop(run: UserRun, why: string): void {
    if (run.stopped) return;
    run.stopped = why;
    if (run.refuse) run.refuse(new UserSqlError(`query: ${why}`));
    const connection = run.connection;
    if (connection) {
      connection.interrupt();
      run.insist = setInterval(() => connection.interrupt(), 250);
    }
  }

  private async slot(run: UserRun): Promise<void> {
    if (this.active < MAX_RUNNING) {
      this.active++;
      return;
    }
    if (this.queue.length >= MAX_QUEUED)
      throw new UserSqlError(
        `query: ${MAX_RUNNING} queries are running and ${MAX_QUEUED} waiting; cancel one or try again`,
      );
    await new Promise<void>((resolve, reject) => {
      const take = () => {
        run.refuse = null;
        resolve();
      };
      run.refuse = (error) => {
        run.refuse = null;
        this.queue.splice(this.queue.indexOf(take), 1);
        reject(error);
      };
      this.queue.push(take);
    });
  }

  /** Hands the slot to the next waiting query, or frees it. */
  private release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.active--;
  }

  /** The statement to run (the last one; earlier ones are only checked), once every wall agrees. */
  private async check(connection: DuckDBConnection, sql: string) {
    const extracted = await connection.extractStatements(sql).catch((error: unknown) => {
      throw new UserSqlError(`query: ${firstLine(error)}`);
    });
    if (extracted.count === 0) throw new UserSqlError('query: no SQL statement given');
    const head = stripLeadingComments(sql);
    const explain = EXPLAIN_PREFIX.exec(head);
    if (explain && extracted.count > 1) throw new UserSqlError('query: EXPLAIN must be the only statement');
    const body = explain ? head.slice(explain[0].length) : sql;
    // json_serialize_sql takes only a constant: the text goes in as an escaped literal.
    const serialized = (
      await connection.runAndReadAll(`SELECT json_serialize_sql(${sqlString(body)})`)
    ).getRows()[0]![0];
    const tree = JSON.parse(String(serialized)) as { error?: boolean; error_message?: string };
    if (tree.error) {
      if (explain) throw new UserSqlError(`query: EXPLAIN of something that is not a query; ${READS}`);
      for (let i = 0; i < extracted.count; i++) {
        const type = (await extracted.prepare(i)).statementType;
        if (type !== StatementType.SELECT)
          throw new UserSqlError(`query: statement ${i + 1} is ${StatementType[type] ?? type}; ${READS}`);
      }
      throw new UserSqlError(`query: ${tree.error_message ?? 'the statement could not be parsed'}`);
    }
    const refusal = refusalInTree(tree);
    if (refusal) throw new UserSqlError(`query: ${refusal}`);
    return extracted.prepare(extracted.count - 1);
  }
}

/** Reads a streaming result chunk by chunk until it ends, `maxRows` rows or `maxBytes` of JSON. */
async function readCapped(
  result: DuckDBResult,
  maxRows: number,
  maxBytes: number,
): Promise<Omit<QueryResult, 'elapsedMs'>> {
  const columns = result
    .columnNames()
    .map((name, c) => ({ name, type: result.columnTypes()[c]!.toString() }));
  const rows: unknown[][] = [];
  let bytes = 2;
  let truncatedBy: 'rows' | 'bytes' | null = null;
  read: for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    for (const raw of chunk.getRows()) {
      if (rows.length === maxRows) {
        truncatedBy = 'rows';
        break read;
      }
      const row = raw.map(toJsonSafe);
      bytes += JSON.stringify(row).length + 1;
      if (bytes > maxBytes) {
        truncatedBy = 'bytes';
        break read;
      }
      rows.push(row);
    }
  }
  return { columns, rows, truncated: truncatedBy !== null, truncatedBy };
}

function firstLine(error: unknown): string {
  return (error as Error)?.message?.split('\n')[0] || String(error);
}

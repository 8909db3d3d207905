// Opening DuckDB the one way the engine does it: deliberate memory and thread limits, no file or
// network access from SQL, no extension loading, configuration locked so SQL cannot undo any of it.
// The parquet, json and icu extensions are compiled in; nothing else may be fetched.
import os from 'node:os';
import { DuckDBInstance } from '@duckdb/node-api';
import type { StoreSettings } from '../../../shared/schemas';

/** What opening DuckDB takes from the store settings. */
export type DuckDBLimits = Pick<StoreSettings, 'memoryLimitMb' | 'threads'>;

export function duckdbThreads(settings: DuckDBLimits): number {
  if (settings.threads > 0) return settings.threads;
  // Leave a core to the ingest loop; DuckDB queries are bursty, ingest is steady (not measured).
  return Math.max(1, os.availableParallelism() - 1);
}

export interface OpenOptions {
  readOnly?: boolean;
  /** Only for the private export instance, which writes the file the user asked for. */
  externalAccess?: boolean;
  /** Where DuckDB spills when a query outgrows memory_limit (default: beside the database file). */
  tempDirectory?: string;
  /**
   * The workspace's writer checkpoints by itself, between its transactions (Store.flushOnce):
   * DuckDB's own checkpoint runs inside a COMMIT, where running out of memory fails the commit and
   * invalidates the database.
   */
  manualCheckpoints?: boolean;
}

/** WAL bytes after which the log is folded into the file: by DuckDB at a commit, or by the store. */
export function checkpointThresholdBytes(settings: DuckDBLimits): number {
  // Checkpoint often: rows appended since the last checkpoint stay pinned in memory, so a small
  // threshold keeps the working set small and each checkpoint short.
  // At 256 MiB, a 16 MiB log opens and checkpoints in 4 MiB (bench.js checkpoint-memory); /16 not compared.
  return Math.max(4, Math.floor(settings.memoryLimitMb / 16)) * 1024 ** 2;
}

export async function openDuckDB(
  path: string,
  settings: DuckDBLimits,
  options: OpenOptions = {},
): Promise<DuckDBInstance> {
  const config: Record<string, string> = {
    memory_limit: `${settings.memoryLimitMb}MB`,
    threads: String(duckdbThreads(settings)),
    enable_external_access: options.externalAccess ? 'true' : 'false',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
    checkpoint_threshold: options.manualCheckpoints
      ? '1000000GB' // never at a commit
      : `${checkpointThresholdBytes(settings) / 1024 ** 2}MB`,
    lock_configuration: 'true',
  };
  if (options.readOnly) config['access_mode'] = 'READ_ONLY';
  if (options.tempDirectory) config['temp_directory'] = options.tempDirectory;
  try {
    return await DuckDBInstance.create(path, config);
  } catch (error) {
    throw new Error(`cannot open database ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** epoch ms (fractional) → TIMESTAMP micros written as two int32 halves: no BigInt per value. */
export function writeMicros(target: BigInt64Array, ms: Float64Array, from: number, n: number, at = 0): void {
  const words = new Int32Array(target.buffer, target.byteOffset + at * 8, n * 2);
  for (let i = 0; i < n; i++) {
    const us = Math.round(ms[from + i]! * 1000);
    const hi = Math.floor(us / 4294967296);
    words[2 * i] = (us - hi * 4294967296) | 0;
    words[2 * i + 1] = hi | 0;
  }
}

export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

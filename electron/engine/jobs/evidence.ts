// The evidence jobs: an export of a range (store/export.ts) and a signed bundle (evidence/bundle.ts),
// each on the jobs board with progress and cancel. What they write takes its name only once whole
// (a hidden partial name beside it until then, tagged with the job's id so a resumed job removes
// what its first run left); each leaves an audit entry of what it wrote, the board one of its end.
import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import type { BundleRequest, ExportRequest } from '../../../shared/api';
import { writeBundle, type BundleSource, type Manifest } from '../evidence/bundle';
import { loadSigningKey, signingKeyFromPem } from '../evidence/signing';
import type { SecretVault } from '../secrets';
import { exportData } from '../store/export';
import type { Store } from '../store/store';
import type { JobRunner } from './board';

type Audit = (actor: string, action: string, detail: Record<string, unknown>) => boolean;

export interface ExportSpec {
  request: ExportRequest;
  actor: string;
}

export function exportRunner(host: { store: Store; audit: Audit }): JobRunner<ExportSpec> {
  return async ({ request, actor }, job) => {
    await host.store.flush();
    const target = path.resolve(request.path);
    job.info.detail = `exporting to ${target}`;
    const rows = await exportData(
      host.store,
      request,
      (p) => {
        job.info.rows = p.done;
        job.info.rowsTotal = p.total;
        job.changed();
      },
      job.signal,
      job.id,
    );
    job.complete(); // the file is in place: a cancel now is too late
    await host.store.saveNotice('info', `exported ${rows} rows to ${request.path}`);
    host.audit(actor, 'export', {
      table: request.table ?? 'samples',
      format: request.format,
      from: request.from,
      to: request.to,
      channels: request.channels ?? [],
      sources: request.sources ?? [],
      partitionBy: request.partitionBy ?? [],
      path: target,
      rows,
    });
    job.note(`${rows} rows written to ${target}`);
  };
}

/**
 * The user's signing key for a bundle: a key file outside the workspace, or the desktop's vault
 * (the OS key store, through the Electron main process); never a file in the workspace.
 */
export async function signingKey(
  request: BundleRequest,
  workspaceDir: string,
  vault: SecretVault | undefined,
): Promise<KeyObject> {
  if (request.keyFile !== undefined) return loadSigningKey(request.keyFile, workspaceDir);
  const name = request.keyVault!;
  if (!vault)
    throw new Error(
      `bundle: no key store here to take the key "${name}" from (the desktop app keeps one); give a key file with --key`,
    );
  const pem = await vault.get(name);
  if (pem === undefined)
    throw new Error(
      `bundle: the key store has no key "${name}" (make one with "opsdeck keygen --vault ${name}")`,
    );
  return signingKeyFromPem(pem, `the key "${name}" in the key store`);
}

export interface BundleSpec {
  request: BundleRequest;
  actor: string;
}

export interface WrittenBundle {
  path: string;
  manifest: Manifest;
  manifestSha256: string;
  auditBroken: string | null;
  audited: boolean;
}

export function bundleRunner(host: {
  store: Store;
  source: () => BundleSource;
  vault: SecretVault | undefined;
  audit: Audit;
  /** What a finished bundle wrote, by job id: the call waiting for it takes it from here. */
  written: Map<string, WrittenBundle>;
}): JobRunner<BundleSpec> {
  return async ({ request, actor }, job) => {
    const source = host.source();
    // The key first: nothing is written for a bundle that cannot be signed.
    const key = await signingKey(request, source.dir, host.vault);
    await host.store.flush();
    const written = await writeBundle(source, request, key, {
      signal: job.signal,
      partialTag: job.id,
      step: (detail, rows) => {
        job.info.detail = detail;
        job.info.rows = rows;
        job.changed();
      },
    });
    job.complete(); // the bundle is in place: a cancel now is too late
    const { manifest, manifestSha256 } = written;
    const audited = host.audit(actor, 'bundle.create', {
      from: request.from,
      to: request.to,
      channels: request.channels ?? [],
      path: written.path,
      signer: manifest.signer.fingerprint,
      key:
        request.keyFile !== undefined ? { file: path.resolve(request.keyFile) } : { vault: request.keyVault },
      manifestSha256,
      files: manifest.files.length,
    });
    host.written.set(job.id, { ...written, audited });
    job.note(
      `${manifest.files.length} files signed by ${manifest.signer.fingerprint}; manifest SHA-256 ${manifestSha256}`,
    );
  };
}

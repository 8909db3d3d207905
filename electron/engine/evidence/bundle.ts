// Evidence bundles: a folder that proves what was handed over. It holds a range's samples, records,
// alert transitions and annotations as Parquet, the rules, the audit log from the range's start to
// its head, the hashes of imported capture files (when the workspace has them), and manifest.json
// listing every file with its SHA-256 and size, signed with the user's Ed25519 key (manifest.sig,
// the public key beside it). verifyBundle checks all of it against a key the verifier trusts.
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AlertRule } from '../../../shared/alerts';
import { readAuditRows, verifyAuditChain, type AuditRow } from '../alerts/audit';
import { exportData, finishPartial, partialPath } from '../store/export';
import type { Store } from '../store/store';
import { fingerprint, publicKeyFromPem } from './signing';

export const BUNDLE_FORMAT = 'opsdeck-evidence-bundle/1';
export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';
export const SIGNER_FILE = 'signer.pub.pem';
/** The files that sign the manifest rather than being listed in it. */
const SIGNING_FILES = new Set([MANIFEST_FILE, SIGNATURE_FILE, SIGNER_FILE]);

export interface ManifestFile {
  path: string;
  sha256: string;
  bytes: number;
}

export interface Manifest {
  format: typeof BUNDLE_FORMAT;
  createdAt: string;
  workspace: string;
  range: { from: string; to: string };
  channels: string[];
  rows: Record<string, number>;
  /** The audit log's last entry when the bundle was made: the segment in audit.jsonl ends there. */
  auditHead: { seq: number; hash: string } | null;
  /** The original capture files imported into the workspace (captures.jsonl has the rest of each row). */
  captures: { path: string; sha256: string; size: number }[];
  files: ManifestFile[];
  signer: { algorithm: 'Ed25519'; fingerprint: string; publicKey: typeof SIGNER_FILE };
}

export interface BundleSource {
  store: Store;
  /** The workspace folder: the signing key may not be inside it. */
  dir: string;
  name: string;
  rules: readonly AlertRule[];
  now: () => number;
}

export interface BundleRequest {
  from: number;
  to: number;
  channels?: string[] | undefined;
  /** A new or empty folder. */
  out: string;
}

/** How a bundle job reports and stops: progress lines and rows written, and the user's cancel. */
export interface BundleProgress {
  signal?: AbortSignal;
  /** Names the hidden folder it is written in (the job's id: a resumed job removes its first run's). */
  partialTag?: string;
  step?(detail: string, rows: number): void;
}

/** The file's SHA-256, read 1 MiB at a time: a range's Parquet can be larger than memory should hold. */
function sha256File(file: string): string {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1 << 20);
  const fd = fs.openSync(file, 'r');
  try {
    for (let n = fs.readSync(fd, buffer); n > 0; n = fs.readSync(fd, buffer))
      hash.update(buffer.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** Every file under `dir`, as paths relative to it with forward slashes, sorted. */
function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

/**
 * Writes the bundle into a hidden folder beside `request.out` and gives it that name only once it
 * is whole and signed: a cancelled or failed bundle leaves nothing that looks like one. `key` is
 * the user's Ed25519 private key, read before anything is written (signing.ts: a key file outside
 * the workspace, or the desktop's vault).
 */
export async function writeBundle(
  source: BundleSource,
  request: BundleRequest,
  key: KeyObject,
  progress: BundleProgress = {},
): Promise<{ path: string; manifest: Manifest; manifestSha256: string; auditBroken: string | null }> {
  if (!(request.to > request.from)) throw new Error('bundle: --to must be after --from');
  const target = path.resolve(request.out);
  if (fs.existsSync(target) && (!fs.statSync(target).isDirectory() || fs.readdirSync(target).length > 0))
    throw new Error(`bundle: ${target} exists and is not an empty folder; a bundle is written to a new one`);
  if (!fs.existsSync(path.dirname(target)))
    throw new Error(`bundle: folder ${path.dirname(target)} does not exist`);
  const out = partialPath(target, progress.partialTag);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out);
  try {
    const written = await writeBundleInto(source, request, key, out, progress);
    if (progress.signal?.aborted) throw new Error(`bundle cancelled: nothing written to ${target}`);
    finishPartial(out, target);
    return { ...written, path: target };
  } catch (error) {
    fs.rmSync(out, { recursive: true, force: true });
    throw error;
  }
}

async function writeBundleInto(
  source: BundleSource,
  request: BundleRequest,
  key: KeyObject,
  out: string,
  progress: BundleProgress,
): Promise<{ manifest: Manifest; manifestSha256: string; auditBroken: string | null }> {
  const stopIfAsked = () => {
    if (progress.signal?.aborted) throw new Error(`bundle cancelled: nothing written to ${request.out}`);
  };

  const range = { from: request.from, to: request.to };
  const rows: Record<string, number> = {};
  const tables = ['samples', 'records', 'transitions'] as const;
  let written = 0;
  for (const table of tables) {
    progress.step?.(`writing ${table}.parquet`, written);
    rows[table] = await exportData(
      source.store,
      {
        ...range,
        table,
        format: 'parquet',
        path: path.join(out, `${table}.parquet`),
        ...(table === 'samples' && request.channels?.length ? { channels: request.channels } : {}),
      },
      (p) => progress.step?.(`writing ${table}.parquet`, written + p.done),
      progress.signal,
    );
    written += rows[table];
  }
  if (await source.store.hasTable('annotations')) {
    rows['annotations'] = await exportData(
      source.store,
      { ...range, table: 'annotations', format: 'parquet', path: path.join(out, 'annotations.parquet') },
      undefined,
      progress.signal,
    );
    written += rows['annotations'];
  }
  stopIfAsked();

  fs.writeFileSync(path.join(out, 'rules.json'), JSON.stringify({ rules: source.rules }, null, 2) + '\n');

  // The audit log from the first entry at or after the range's start to the head: each entry's
  // prev_hash links it to the one before, so the segment proves its own order up to the head.
  const audit = await readAuditRows(source.store);
  const head = audit.at(-1);
  const firstInRange = audit.findIndex((row) => row.ts >= request.from);
  const segment = firstInRange < 0 ? [] : audit.slice(firstInRange);
  rows['audit'] = segment.length;
  // A broken chain is handed over as it is (it is evidence too), and said: verify will name it.
  const chain = verifyAuditChain(audit);
  const auditBroken = chain.ok ? null : `entry ${chain.brokenSeq}: ${chain.reason}`;
  fs.writeFileSync(path.join(out, 'audit.jsonl'), segment.map((row) => JSON.stringify(row) + '\n').join(''));

  // The imported capture files with their SHA-256 and size (migration 5); a workspace opened
  // read-only from before it has no such table, and its bundle no captures.
  const captureFiles: Manifest['captures'] = [];
  if (await source.store.hasTable('captures')) {
    const captures = await source.store.read(
      `SELECT to_json(t)::VARCHAR, path, sha256, size FROM captures t ORDER BY started_at`,
    );
    rows['captures'] = captures.length;
    fs.writeFileSync(
      path.join(out, 'captures.jsonl'),
      captures.map(([json]) => `${json as string}\n`).join(''),
    );
    for (const [, file, sha256, size] of captures)
      captureFiles.push({ path: String(file), sha256: String(sha256), size: Number(size) });
  }
  progress.step?.('hashing the files', written);
  stopIfAsked();

  const signerKey = fingerprint(key);
  const manifest: Manifest = {
    format: BUNDLE_FORMAT,
    createdAt: new Date(source.now()).toISOString(),
    workspace: source.name,
    range: { from: new Date(request.from).toISOString(), to: new Date(request.to).toISOString() },
    channels: request.channels ?? [],
    rows,
    auditHead: head ? { seq: head.seq, hash: head.hash } : null,
    captures: captureFiles,
    files: listFiles(out).map((rel) => ({
      path: rel,
      sha256: sha256File(path.join(out, rel)),
      bytes: fs.statSync(path.join(out, rel)).size,
    })),
    signer: { algorithm: 'Ed25519', fingerprint: signerKey, publicKey: SIGNER_FILE },
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
  fs.writeFileSync(path.join(out, MANIFEST_FILE), manifestBytes);
  fs.writeFileSync(path.join(out, SIGNATURE_FILE), sign(null, manifestBytes, key).toString('base64') + '\n');
  fs.writeFileSync(path.join(out, SIGNER_FILE), createPublicKey(key).export({ type: 'spki', format: 'pem' }));
  return {
    manifest,
    manifestSha256: createHash('sha256').update(manifestBytes).digest('hex'),
    auditBroken,
  };
}

/** The key a verifier trusts: a public key (PEM file) or its fingerprint. */
export type TrustedKey = { publicKey: KeyObject; from: string } | { fingerprint: string; from: string };

export interface BundleVerdict {
  /** Every hash, the file list and the signature hold, and the signer is the trusted key. */
  ok: boolean;
  /** The fingerprint of the key that signed, when the bundle names one. */
  signer: string | null;
  /** Whether the signer was compared with a trusted key at all. */
  trustChecked: boolean;
  checked: string[];
  problems: string[];
}

export function verifyBundle(dir: string, trusted?: TrustedKey): BundleVerdict {
  const checked: string[] = [];
  const problems: string[] = [];
  const verdict = (signer: string | null): BundleVerdict => ({
    ok: problems.length === 0 && trusted !== undefined,
    signer,
    trustChecked: trusted !== undefined,
    checked,
    problems,
  });
  const root = path.resolve(dir);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    problems.push(`${root} is not a folder`);
    return verdict(null);
  }
  for (const f of SIGNING_FILES) if (!fs.existsSync(path.join(root, f))) problems.push(`${f} is missing`);
  if (problems.length) return verdict(null);

  const manifestBytes = fs.readFileSync(path.join(root, MANIFEST_FILE));
  let manifest: Manifest;
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8')) as Manifest;
    if (manifest.format !== BUNDLE_FORMAT || !Array.isArray(manifest.files))
      throw new Error(`format is not ${BUNDLE_FORMAT}`);
  } catch (error) {
    problems.push(`${MANIFEST_FILE} is not an OpsDeck evidence manifest: ${(error as Error).message}`);
    return verdict(null);
  }

  // The signature, with the key the bundle carries.
  let signerKey: KeyObject;
  try {
    signerKey = publicKeyFromPem(fs.readFileSync(path.join(root, SIGNER_FILE)), SIGNER_FILE);
  } catch (error) {
    problems.push((error as Error).message);
    return verdict(null);
  }
  const signer = fingerprint(signerKey);
  const signature = Buffer.from(fs.readFileSync(path.join(root, SIGNATURE_FILE), 'utf8').trim(), 'base64');
  if (verify(null, manifestBytes, signerKey, signature))
    checked.push(`the signature of ${MANIFEST_FILE} is valid for the key in ${SIGNER_FILE} (${signer})`);
  else
    problems.push(
      `the signature in ${SIGNATURE_FILE} does not match ${MANIFEST_FILE} and the key in ${SIGNER_FILE}: the manifest changed after signing`,
    );
  if (manifest.signer?.fingerprint !== signer)
    problems.push(
      `${MANIFEST_FILE} names signer ${manifest.signer?.fingerprint ?? '(none)'}, but ${SIGNER_FILE} is ${signer}`,
    );

  // The signer against the key the verifier trusts.
  if (trusted) {
    const trustedFingerprint = 'publicKey' in trusted ? fingerprint(trusted.publicKey) : trusted.fingerprint;
    if (trustedFingerprint.toLowerCase() !== signer.toLowerCase())
      problems.push(`signed by ${signer}, not by the trusted key ${trustedFingerprint} (${trusted.from})`);
    else if ('publicKey' in trusted && !verify(null, manifestBytes, trusted.publicKey, signature))
      problems.push(`the signature does not verify with the trusted key (${trusted.from})`);
    else checked.push(`the signer is the trusted key ${trustedFingerprint} (${trusted.from})`);
  }

  // Every listed file, byte for byte; nothing unlisted.
  const listed = new Set<string>();
  for (const file of manifest.files) {
    listed.add(file.path);
    const at = path.join(root, file.path);
    if (path.relative(root, at).startsWith('..')) {
      problems.push(`${file.path}: a path outside the bundle`);
      continue;
    }
    if (!fs.existsSync(at)) {
      problems.push(`${file.path}: listed in the manifest but missing (removed after signing)`);
      continue;
    }
    const bytes = fs.statSync(at).size;
    const sha = sha256File(at);
    if (sha !== file.sha256)
      problems.push(
        `${file.path}: SHA-256 is ${sha}, the manifest says ${file.sha256}` +
          (bytes !== file.bytes
            ? ` (and ${bytes} bytes, not ${file.bytes})`
            : ' (same size: changed in place)'),
      );
    else checked.push(`${file.path}: ${bytes} bytes, SHA-256 ${sha}`);
  }
  for (const rel of listFiles(root))
    if (!listed.has(rel) && !SIGNING_FILES.has(rel))
      problems.push(`${rel}: not in the manifest (added after signing)`);

  // The original captures, as the signed manifest names them (a bundle from before lists none).
  for (const capture of manifest.captures ?? [])
    checked.push(
      `original capture ${capture.path}: ${capture.size} bytes, SHA-256 ${capture.sha256} (as signed)`,
    );

  // The audit segment: each entry's hash and link, ending at the head the manifest names.
  if (listed.has('audit.jsonl') && fs.existsSync(path.join(root, 'audit.jsonl'))) {
    const text = fs.readFileSync(path.join(root, 'audit.jsonl'), 'utf8');
    const rows = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AuditRow);
    if (rows.length) {
      const chain = verifyAuditChain(rows, { seq: rows[0]!.seq });
      const last = rows.at(-1)!;
      if (!chain.ok) problems.push(`audit.jsonl: entry ${chain.brokenSeq}: ${chain.reason}`);
      else if (manifest.auditHead && last.hash !== manifest.auditHead.hash)
        problems.push(
          `audit.jsonl ends at seq ${last.seq}, not at the head the manifest names (seq ${manifest.auditHead.seq})`,
        );
      else
        checked.push(
          `audit.jsonl: entries ${rows[0]!.seq}–${last.seq} chain to the head ${last.hash.slice(0, 16)}`,
        );
    }
  }
  return verdict(signer);
}

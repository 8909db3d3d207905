// A worker thread of an import's first pass (scan.ts): hashes the file, or reads a range of its
// lines for their line ends and quick counts, and posts the answer once.
import { parentPort, workerData } from 'node:worker_threads';
import { scanRange, sha256Of, type ScanWork } from './scan';

const work = workerData as ScanWork;
parentPort!.postMessage(
  work.kind === 'hash'
    ? { sha256: await sha256Of(work.path) }
    : await scanRange(work.path, work.start, work.end, work.count),
);

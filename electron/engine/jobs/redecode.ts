// The quarantine browser's "re-decode": quarantined items of a source, read back byte for byte
// with where they came from, go through the ingest stage again with the decoder the user chose
// (after fixing a device or picking the right format). Their rows are stored under a derived
// source (`<source>~redecoded`), never over what was stored; the originals stay in quarantine until
// the user clears them, and what still does not decode is quarantined under the derived source.
import { parseHex } from '../../../shared/hex';
import { redecodedSource, type RedecodeRequest } from '../../../shared/jobs';
import { decoderByName, FrameDecoder } from '../decode/registry';
import type { SourceContext } from '../sources/source';
import type { Store } from '../store/store';
import type { JobHandle, JobRunner } from './board';

export interface RedecodeHost {
  store: Store;
  ingestContext(id: string, kind: string): SourceContext;
}

/** Items read back per query: bounded memory whatever the selection. */
const ITEMS_PER_READ = 500;

export function redecodeRunner(host: RedecodeHost): JobRunner<RedecodeRequest> {
  return (request, job) => redecode(host, request, job);
}

async function redecode(host: RedecodeHost, request: RedecodeRequest, job: JobHandle): Promise<void> {
  const decoder = decoderByName(request.decoder); // an unknown name fails the job, saying the known ones
  const target = redecodedSource(request.source);
  const ctx = host.ingestContext(target, 'redecode');
  const info = job.info;
  info.bytesTotal = null;
  const frames = new FrameDecoder(
    target,
    {
      channel: (p, unit) => ctx.channel(p, unit),
      quarantine: (raw, reason, where) => {
        info.quarantined++;
        stage.addQuarantine(raw, reason, where);
      },
    },
    { candidates: [decoder], choose: () => decoder.name },
  );
  const stage = ctx.ingest({ decoder: frames, policy: 'pause' });
  const started = Date.now();
  for (let at = 0; at < request.ids.length && !job.signal.aborted; at += ITEMS_PER_READ) {
    const ids = request.ids.slice(at, at + ITEMS_PER_READ);
    const rows = await host.store.read(
      `SELECT q.rowid, epoch_ms(q.rx)::DOUBLE, q."where", hex(q.raw) FROM quarantine q
       WHERE q.source_id = (SELECT id FROM sources WHERE key = ?) AND q.rowid IN (${ids.map(() => '?').join(', ')})
       ORDER BY q.rowid`,
      [request.source, ...ids],
    );
    if (at === 0 && rows.length === 0)
      throw new Error(
        `none of the ${request.ids.length} items is in ${request.source}'s quarantine (cleared?)`,
      );
    stage.pushFrames(() => {
      for (const [, rx, where, hex] of rows) {
        const bytes = parseHex(String(hex)) ?? new Uint8Array();
        info.bytesDone += bytes.length;
        // The key is where the item came from (a topic, a port): the channels it gives hang there.
        if (stage.pushFrame({ rx: Number(rx), key: String(where) || request.source, bytes })) info.rows++;
      }
      return undefined;
    });
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    info.rowsPerSecond = info.rows / seconds;
    info.detail = `re-decoding ${Math.min(at + ids.length, request.ids.length)} of ${request.ids.length} items with ${decoder.name}`;
    job.changed();
  }
  await stage.stop(); // everything handed over is durable (or the store said why not)
  job.note(
    `${info.rows} of ${request.ids.length} items decoded with ${decoder.name} into ${target}; ${info.quarantined} still not decodable; the originals stay in ${request.source}'s quarantine`,
  );
}

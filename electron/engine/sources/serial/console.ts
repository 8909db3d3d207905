// The serial console: the last N KiB of raw traffic both ways, in the chunks it arrived or left
// in, each with a sequence number so a client asks only for what is new. Chunks never change once
// added; the oldest are dropped when the byte budget is spent.
import type { ConsoleChunk, SourceConsoleResult } from '../../../../shared/api';
import { decodeUtf8 } from '../../decode/decoder';

interface Entry {
  seq: number;
  ts: number;
  dir: 'rx' | 'tx';
  bytes: Uint8Array;
}

/** Text when the bytes are UTF-8 without control characters other than tab, CR and LF. */
function printable(bytes: Uint8Array): string | null {
  for (const b of bytes) if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) return null;
  return decodeUtf8(bytes);
}

export class ConsoleRing {
  private entries: Entry[] = [];
  private head = 0;
  private bytes = 0;
  private seq = 0;

  constructor(private readonly maxBytes: number) {}

  add(dir: 'rx' | 'tx', bytes: Uint8Array, ts: number): void {
    this.entries.push({ seq: ++this.seq, ts, dir, bytes: new Uint8Array(bytes) });
    this.bytes += bytes.length;
    while (this.bytes > this.maxBytes && this.entries.length - this.head > 1) {
      this.bytes -= this.entries[this.head]!.bytes.length;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Chunks after `after` (every kept one when undefined), at most `limit`. An `after` from before
   * a restart of the source (beyond the last seq) reads from the start, flagged as truncated.
   */
  read(after: number | undefined, limit: number): SourceConsoleResult {
    const reset = after !== undefined && after > this.seq;
    const from = after === undefined || reset ? 0 : after;
    const first = this.entries[this.head];
    // Sequence numbers are consecutive, so the entry after `from` is found by arithmetic.
    const i = first ? this.head + Math.max(0, from - first.seq + 1) : this.entries.length;
    const picked = this.entries.slice(i, i + limit);
    const chunks: ConsoleChunk[] = picked.map((e) => {
      const text = printable(e.bytes);
      return {
        seq: e.seq,
        ts: e.ts,
        dir: e.dir,
        bytes: e.bytes.length,
        text,
        hex: text === null ? Buffer.from(e.bytes).toString('hex') : null,
      };
    });
    const dropped = after !== undefined && first !== undefined && first.seq > from + 1;
    return {
      chunks,
      next: picked.length ? picked[picked.length - 1]!.seq : from,
      truncated: reset || dropped || i + limit < this.entries.length,
    };
  }
}

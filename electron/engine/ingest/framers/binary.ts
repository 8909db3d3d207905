// Binary framers for a user-declared layout (decode/binary.ts): fixed-length frames (with or
// without sync bytes) and SLIP-delimited frames, each verified by the layout's check.
import { type CompiledLayout, SLIP_END, slipUnescape } from '../../decode/binary';
import type { FrameSinks, Framer } from './framer';

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  if (needle.length === 0) return from;
  const first = needle[0]!;
  outer: for (let i = haystack.indexOf(first, from); i >= 0; i = haystack.indexOf(first, i + 1)) {
    if (i + needle.length > haystack.length) return -1;
    for (let k = 1; k < needle.length; k++) if (haystack[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Fixed-length frames. With sync bytes: a frame starts at a sync; one whose check fails was a
 * false sync or a torn frame, and the search goes on from the next byte. Without: frames follow
 * each other, and a failed check slides one byte at a time until a frame checks out again.
 * Skipped bytes go out as one bad run, with the reason for the first skip, in pieces of at most
 * `maxSkipped` bytes whatever the chunks they arrived in.
 */
export class FixedFramer implements Framer {
  private pending: Uint8Array = new Uint8Array(0);
  private skipped: number[] = [];
  /** Why the run of skipped bytes in progress (from the last good frame on) began; null when none is. */
  private runReason: string | null = null;
  private readonly length: number;

  constructor(
    private readonly layout: CompiledLayout,
    private readonly maxSkipped: number,
  ) {
    if (layout.length === null) throw new Error('binary.length: fixed-length frames need a length');
    this.length = layout.length;
  }

  private skip(bytes: Uint8Array, reason: string, sinks: FrameSinks): void {
    this.runReason ??= reason;
    for (const b of bytes) {
      this.skipped.push(b);
      if (this.skipped.length === this.maxSkipped) this.flushSkipped(sinks);
    }
  }

  private flushSkipped(sinks: FrameSinks, suffix = ''): void {
    if (this.skipped.length === 0) return;
    sinks.bad(Uint8Array.from(this.skipped), `${this.runReason}${suffix}`);
    this.skipped = [];
  }

  push(chunk: Uint8Array, sinks: FrameSinks): void {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const length = this.length;
    const syncBytes = this.layout.sync;
    let pos = 0;
    for (;;) {
      let start = pos;
      if (syncBytes.length) {
        start = indexOf(buf, syncBytes, pos);
        if (start < 0) {
          // Keep a tail that may be the beginning of a sync split across chunks.
          const keep = Math.max(pos, buf.length - syncBytes.length + 1);
          if (keep > pos) this.skip(buf.subarray(pos, keep), 'bytes before a sync', sinks);
          pos = keep;
          break;
        }
        if (start > pos) this.skip(buf.subarray(pos, start), 'bytes before a sync', sinks);
      }
      if (buf.length - start < length) {
        pos = start;
        break;
      }
      const frame = buf.subarray(start, start + length);
      const problem = this.layout.problem(frame);
      if (problem) {
        this.skip(frame.subarray(0, 1), `${problem}; resynced`, sinks);
        pos = start + 1;
        continue;
      }
      this.flushSkipped(sinks);
      this.runReason = null;
      sinks.frame(new Uint8Array(frame));
      pos = start + length;
    }
    this.pending = new Uint8Array(buf.subarray(pos));
  }

  end(sinks: FrameSinks, why: string): void {
    // What is left belongs to the run in progress, if any; otherwise it is a frame cut short (the
    // reason of a run that ended at a good frame must not stick to it).
    this.runReason ??= 'incomplete frame';
    for (const b of this.pending) this.skipped.push(b);
    this.flushSkipped(sinks, ` (${why})`);
    this.pending = new Uint8Array(0);
    this.runReason = null;
  }
}

/**
 * SLIP frames: bytes between two ENDs, unescaped, then held to the layout (length, check). Empty
 * frames (back-to-back ENDs, a leading END to flush line noise) are ignored. A frame longer than
 * `maxBytes` is bad and skipped to the next END.
 */
export class SlipFramer implements Framer {
  private wire: number[] = [];
  private overlong = false;
  /** Set while the first frame after opening may have been cut (its start sent before we listened). */
  firstMayBeCut = false;

  constructor(
    private readonly layout: CompiledLayout,
    private readonly maxBytes: number,
  ) {}

  push(chunk: Uint8Array, sinks: FrameSinks): void {
    for (const b of chunk) {
      if (b !== SLIP_END) {
        this.wire.push(b);
        if (this.wire.length > this.maxBytes) {
          sinks.bad(Uint8Array.from(this.wire), `no SLIP END within ${this.maxBytes} bytes`);
          this.wire = [];
          this.overlong = true;
        }
        continue;
      }
      const wire = Uint8Array.from(this.wire);
      this.wire = [];
      const cut = this.firstMayBeCut;
      this.firstMayBeCut = false;
      if (this.overlong) {
        this.overlong = false;
        if (wire.length) sinks.bad(wire, `end of a frame longer than ${this.maxBytes} bytes`);
        continue;
      }
      if (wire.length === 0) continue;
      if (cut) {
        sinks.bad(wire, 'partial frame: the port opened in the middle of it');
        continue;
      }
      const frame = slipUnescape(wire);
      const problem = typeof frame === 'string' ? frame : this.layout.problem(frame);
      if (problem) sinks.bad(wire, problem);
      else sinks.frame(frame as Uint8Array);
    }
  }

  end(sinks: FrameSinks, why: string): void {
    if (this.wire.length) sinks.bad(Uint8Array.from(this.wire), `incomplete frame (${why})`);
    this.wire = [];
    this.overlong = false;
  }
}

// Lines out of a byte stream: CR, LF and CRLF all end a line; empty lines are skipped. A line with
// no end within `maxBytes` goes out as bad bytes in pieces of `maxBytes`, so memory stays bounded
// whatever the device sends (a wrong baud rate looks like that). How the stream is cut into chunks
// changes nothing: the same bytes give the same lines and the same bad pieces.
import type { FrameSinks, Framer } from './framer';

const CR = 0x0d;
const LF = 0x0a;

export class LineFramer implements Framer {
  private partial: Uint8Array[] = [];
  private partialBytes = 0;
  private overlong = false;
  /** Set while the first line after opening may have been cut (its start sent before we listened). */
  firstMayBeCut = false;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Uint8Array, sinks: FrameSinks): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b !== LF && b !== CR) continue;
      this.line(chunk.subarray(start, i), sinks);
      start = i + 1;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start), sinks);
  }

  private keep(bytes: Uint8Array, sinks: FrameSinks): void {
    this.partial.push(new Uint8Array(bytes));
    this.partialBytes += bytes.length;
    while (this.partialBytes > this.maxBytes) {
      const all = this.take();
      sinks.bad(all.subarray(0, this.maxBytes), `no line end within ${this.maxBytes} bytes`);
      this.overlong = true;
      if (all.length > this.maxBytes) {
        this.partial = [all.slice(this.maxBytes)];
        this.partialBytes = all.length - this.maxBytes;
      }
    }
  }

  private take(): Uint8Array {
    const all = this.partial.length === 1 ? this.partial[0]! : Buffer.concat(this.partial, this.partialBytes);
    this.partial = [];
    this.partialBytes = 0;
    return all;
  }

  private line(tail: Uint8Array, sinks: FrameSinks): void {
    let line = this.partialBytes ? Buffer.concat([this.take(), tail]) : tail;
    const cut = this.firstMayBeCut;
    this.firstMayBeCut = false;
    // A long line that arrived whole is cut as `keep` cuts one that arrived in pieces.
    while (line.length > this.maxBytes) {
      sinks.bad(new Uint8Array(line.subarray(0, this.maxBytes)), `no line end within ${this.maxBytes} bytes`);
      line = line.subarray(this.maxBytes);
      this.overlong = true;
    }
    if (this.overlong) {
      this.overlong = false;
      if (line.length) sinks.bad(new Uint8Array(line), `end of a line longer than ${this.maxBytes} bytes`);
      return;
    }
    if (line.length === 0) return;
    if (cut) sinks.bad(new Uint8Array(line), 'partial line: the port opened in the middle of it');
    else sinks.frame(line);
  }

  end(sinks: FrameSinks, why: string): void {
    if (this.partialBytes) sinks.bad(this.take(), `incomplete line (${why})`);
    this.overlong = false;
  }
}

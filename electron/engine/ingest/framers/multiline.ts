// Multi-line records out of a text stream: a record is a first line and the lines that continue
// it (a stack trace's `\tat …` and `Caused by: …`, indented lines, `... 12 more`, and, when the
// first line began with a timestamp, any line that does not), joined with `\n`. Each record goes
// out with the number of its first line (counting every line of the stream from 1, blank ones
// too), for provenance. Memory is bounded: a record longer than `maxRecordBytes` is cut there,
// the rest of it dropped and counted (`cutRecords`, `cutBytes`), whatever the chunks it came in.
// A record is complete when the next first line arrives, at `end` (the last line needs no line
// end), or at `flush` (a tail that has gone quiet).
import { decodeUtf8 } from '../../decode/decoder';
import { leadingTime } from '../../decode/logs/time';
import type { FrameSinks, Framer } from './framer';

const CR = 0x0d;
const LF = 0x0a;
/** How much of a line the continuation rules look at: a timestamp and a keyword fit. */
const HEAD_BYTES = 64;

/** Whether a line (text) continues the record above whatever that record looks like. */
export function isContinuation(line: string): boolean {
  const c = line[0];
  return (
    c === ' ' ||
    c === '\t' ||
    line.startsWith('at ') ||
    line.startsWith('Caused by:') ||
    line.startsWith('Suppressed:') ||
    line.startsWith('...')
  );
}

const latin1 = new TextDecoder('latin1');

/** The start of a line as text: UTF-8 when it is, Latin-1 otherwise (a cut character, say). */
function head(bytes: Uint8Array): string {
  const h = bytes.subarray(0, HEAD_BYTES);
  return decodeUtf8(h) ?? latin1.decode(h);
}

export class MultilineFramer implements Framer {
  /** The line being read: its pieces so far, at most `maxRecordBytes` in all. */
  private line: Uint8Array[] = [];
  private lineBytes = 0;
  private lineNumber = 1;
  private afterCR = false;
  /** The current line was cut by `keep` (longer than a whole record may be). */
  private recordCutPending = false;
  /** The record being built. */
  private record: Uint8Array[] = [];
  private recordBytes = 0;
  private recordLine = 0;
  private recordTimed = false;
  private recordCut = false;
  /** Records that were cut at `maxRecordBytes`, and the bytes dropped from them. */
  cutRecords = 0;
  cutBytes = 0;

  constructor(private readonly maxRecordBytes: number) {
    if (!(maxRecordBytes >= 1)) throw new Error('multi-line records need a size bound of at least 1 byte');
  }

  push(chunk: Uint8Array, sinks: FrameSinks): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b !== LF && b !== CR) continue;
      if (b === LF && this.afterCR && i === start) {
        // The LF of a CRLF whose CR ended the line already.
        this.afterCR = false;
        start = i + 1;
        continue;
      }
      this.keep(chunk.subarray(start, i));
      this.endLine(sinks);
      this.afterCR = b === CR;
      start = i + 1;
    }
    if (start < chunk.length) {
      this.afterCR = false;
      this.keep(chunk.subarray(start));
    }
  }

  /** Part of the current line; what passes the bound is dropped and counted when the line ends. */
  private keep(bytes: Uint8Array): void {
    const room = this.maxRecordBytes - this.lineBytes;
    if (bytes.length > room) {
      this.cutBytes += bytes.length - Math.max(room, 0);
      this.recordCutPending = true;
    }
    const kept = bytes.subarray(0, Math.max(0, Math.min(room, bytes.length)));
    if (kept.length) {
      this.line.push(new Uint8Array(kept));
      this.lineBytes += kept.length;
    }
  }

  private endLine(sinks: FrameSinks): void {
    const number = this.lineNumber++;
    const cut = this.recordCutPending;
    this.recordCutPending = false;
    const bytes = this.line.length === 1 ? this.line[0]! : Buffer.concat(this.line, this.lineBytes);
    this.line = [];
    this.lineBytes = 0;
    if (bytes.length === 0) return; // blank lines join nothing and start nothing
    const text = head(bytes);
    const continues =
      this.recordBytes > 0 &&
      (isContinuation(text) || (this.recordTimed && leadingTime(text, {}, 0) === null));
    if (continues) {
      if (this.recordBytes + 1 + bytes.length > this.maxRecordBytes) {
        // Keep what fits (with its LF), drop and count the rest.
        const room = this.maxRecordBytes - this.recordBytes - 1;
        if (room > 0) this.append(bytes.subarray(0, room));
        this.cutBytes += room > 0 ? bytes.length - room : bytes.length + 1;
        this.recordCut = true;
      } else this.append(bytes);
      if (cut) this.recordCut = true;
      return;
    }
    this.flush(sinks);
    this.record = [bytes];
    this.recordBytes = bytes.length;
    this.recordLine = number;
    this.recordTimed = leadingTime(text, {}, 0) !== null;
    this.recordCut = cut;
  }

  private append(bytes: Uint8Array): void {
    this.record.push(Uint8Array.of(LF), bytes);
    this.recordBytes += 1 + bytes.length;
  }

  /** Hands out the record being built, if any (a tail gone quiet: its next line may never come). */
  flush(sinks: FrameSinks): void {
    if (this.recordBytes === 0) return;
    const bytes = this.record.length === 1 ? this.record[0]! : Buffer.concat(this.record, this.recordBytes);
    if (this.recordCut) this.cutRecords++;
    this.record = [];
    this.recordBytes = 0;
    this.recordCut = false;
    sinks.frame(bytes, this.recordLine);
  }

  /** The last line (with or without its line end) ends the last record; numbering starts afresh. */
  end(sinks: FrameSinks): void {
    if (this.lineBytes > 0 || this.recordCutPending) this.endLine(sinks);
    this.flush(sinks);
    this.lineNumber = 1;
    this.afterCR = false;
  }
}

// Syslog over a stream (TCP, TLS), RFC 6587: octet counting (`LEN SP MSG`, RFC 5425's framing for
// TLS) and non-transparent framing (the message ends at LF, as rsyslog and `logger` send by
// default). With `auto`, each message says which by its first byte: a digit starts a length (a
// syslog message itself starts with `<`). Memory is bounded by `maxBytes` either way; how the
// stream is cut into chunks changes nothing.
import type { FrameSinks, Framer } from './framer';

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
/** Digits in a length: 9 are enough for any message we take (maxBytes is far below 10^9). */
const MAX_LENGTH_DIGITS = 9;

export type SyslogFraming = 'auto' | 'octet-counted' | 'newline';

export class SyslogStreamFramer implements Framer {
  /** Bytes of the message (or length) being read. */
  private parts: Uint8Array[] = [];
  private partBytes = 0;
  /** What is being read: the start of a message, a length, a counted body, or a line. */
  private state: 'start' | 'length' | 'counted' | 'line' | 'skip-line' = 'start';
  private length = 0;
  private digits = 0;
  /** Why the line being skipped is bad. */
  private skipReason = '';

  constructor(
    private readonly framing: SyslogFraming,
    private readonly maxBytes: number,
  ) {}

  push(chunk: Uint8Array, sinks: FrameSinks): void {
    let i = 0;
    while (i < chunk.length) {
      switch (this.state) {
        case 'start': {
          const b = chunk[i]!;
          if (b === LF || b === CR || b === SP) {
            i++; // between messages
            continue;
          }
          const digit = b >= 0x30 && b <= 0x39;
          if (this.framing === 'octet-counted' && !digit) {
            this.skip('not an octet-counted syslog message');
            this.keep(chunk.subarray(i, i + 1));
            i++;
            continue;
          }
          if (digit && this.framing !== 'newline') {
            this.state = 'length';
            this.length = 0;
            this.digits = 0;
          } else this.state = 'line';
          continue;
        }
        case 'length': {
          const b = chunk[i]!;
          if (b === SP && this.digits > 0) {
            i++;
            this.state = 'counted';
            if (this.length > this.maxBytes || this.length === 0) {
              sinks.bad(
                new TextEncoder().encode(String(this.length)),
                this.length === 0
                  ? 'an octet count of 0'
                  : `an octet count of ${this.length}, over ${this.maxBytes}`,
              );
              this.skip('the rest of a message whose octet count was refused');
            }
            continue;
          }
          if (b < 0x30 || b > 0x39 || this.digits >= MAX_LENGTH_DIGITS) {
            // Not a length after all: in auto mode a line that starts with digits.
            if (this.framing === 'auto') {
              this.keep(new TextEncoder().encode(this.digits ? String(this.length) : ''));
              this.state = 'line';
            } else {
              sinks.bad(new TextEncoder().encode(String(this.length)), 'no octet count before the message');
              this.skip('the rest of a message with no octet count');
            }
            continue;
          }
          this.length = this.length * 10 + (b - 0x30);
          this.digits++;
          i++;
          continue;
        }
        case 'counted': {
          const take = Math.min(this.length - this.partBytes, chunk.length - i);
          this.keep(chunk.subarray(i, i + take));
          i += take;
          if (this.partBytes === this.length) {
            sinks.frame(this.take());
            this.state = 'start';
          }
          continue;
        }
        case 'line':
        case 'skip-line': {
          const nl = chunk.indexOf(LF, i);
          const end = nl < 0 ? chunk.length : nl;
          this.keep(chunk.subarray(i, end));
          i = nl < 0 ? chunk.length : nl + 1;
          // Cut in pieces of maxBytes, so the pieces are the same however the stream was cut.
          while (this.partBytes > this.maxBytes) {
            const all = this.take();
            sinks.bad(
              all.subarray(0, this.maxBytes),
              this.state === 'line' ? `no line end within ${this.maxBytes} bytes` : this.skipReason,
            );
            if (this.state === 'line') this.skip(`the end of a line longer than ${this.maxBytes} bytes`);
            this.keep(all.subarray(this.maxBytes));
          }
          if (nl < 0) continue;
          let line = this.take();
          if (line.length && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
          if (this.state === 'line') {
            if (line.length) sinks.frame(line);
          } else if (line.length) sinks.bad(line, this.skipReason);
          this.state = 'start';
          continue;
        }
      }
    }
  }

  private skip(reason: string): void {
    this.state = 'skip-line';
    this.skipReason = reason;
  }

  private keep(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.parts.push(new Uint8Array(bytes));
    this.partBytes += bytes.length;
  }

  private take(): Uint8Array {
    const all = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partBytes);
    this.parts = [];
    this.partBytes = 0;
    return all;
  }

  end(sinks: FrameSinks, why: string): void {
    if (this.partBytes) {
      const rest = this.take();
      // A last line without its LF is still a whole message; a counted one cut short is not.
      if (this.state === 'line') sinks.frame(rest);
      else sinks.bad(rest, `incomplete message (${why})`);
    }
    this.state = 'start';
  }
}

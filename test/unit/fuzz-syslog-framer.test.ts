// Property-based tests of the syslog stream framer (RFC 6587): however a TCP stream is cut into
// chunks, the same messages and the same bad bytes come out, nothing throws, and messages framed
// either way come out as they went in.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FrameSinks } from '../../electron/engine/ingest/framers/framer';
import { SyslogStreamFramer, type SyslogFraming } from '../../electron/engine/ingest/framers/syslog-stream';
import { anyBytes, byteByByte, chunk, cuts, enc } from './fuzz-support';

function run(framing: SyslogFraming, chunks: Uint8Array[], maxBytes = 64): string[] {
  const events: string[] = [];
  const sinks: FrameSinks = {
    frame: (b) => events.push(`frame ${Buffer.from(b).toString('hex')}`),
    bad: (b, reason) => {
      expect(reason.trim()).not.toBe('');
      events.push(`bad ${Buffer.from(b).toString('hex')} ${reason}`);
    },
  };
  const framer = new SyslogStreamFramer(framing, maxBytes);
  for (const c of chunks) framer.push(c, sinks);
  framer.end(sinks, 'the connection closed');
  return events;
}

const FRAMINGS: SyslogFraming[] = ['auto', 'octet-counted', 'newline'];
/** A syslog message: starts with `<`, holds no LF (it may hold spaces and digits). */
const message = fc
  .string({ minLength: 1, maxLength: 40 })
  .map((s) => `<13>1 ${s.replace(/[\n\r]/g, ' ')}`.trimEnd());

describe('syslog stream framer', () => {
  it('gives the same events however the stream is cut', () => {
    fc.assert(
      fc.property(anyBytes, cuts, fc.constantFrom(...FRAMINGS), (bytes, at, framing) => {
        const whole = run(framing, [bytes]);
        expect(run(framing, chunk(bytes, at))).toEqual(whole);
        expect(run(framing, byteByByte(bytes))).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('takes messages as they were sent, octet-counted and line by line mixed (auto)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(message, fc.boolean()), { maxLength: 10 }), cuts, (messages, at) => {
        const stream = messages
          .map(([m, counted]) => (counted ? `${enc(m).length} ${m}` : `${m}\n`))
          .join('');
        const events = run('auto', chunk(enc(stream), at), 4096);
        expect(events).toEqual(messages.map(([m]) => `frame ${Buffer.from(enc(m)).toString('hex')}`));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses an octet count over the bound and a counted message cut short', () => {
    expect(run('octet-counted', [enc('99999 <13>1 x\n')], 64)[0]).toMatch(/octet count of 99999, over 64/);
    expect(run('auto', [enc('40 <13>1 short')], 64)).toEqual([
      `bad ${Buffer.from('<13>1 short').toString('hex')} incomplete message (the connection closed)`,
    ]);
  });
});

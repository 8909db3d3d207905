// LineEndScan (import/files.ts): what DuckDB's reader needs known of a file before the fast path
// may trust its line numbers — CRs before LFs or alone, UTF-8 throughout, the count of lines —
// fed in chunks cut anywhere, a CR or a multi-byte character split between two of them.
import { describe, expect, it } from 'vitest';
import { LineEndScan } from '../../electron/engine/import/files';

function scan(text: Buffer, cuts: number[]) {
  const s = new LineEndScan();
  let at = 0;
  for (const cut of [...cuts, text.length]) {
    s.push(text.subarray(at, cut));
    at = cut;
  }
  return s.end();
}

describe('LineEndScan', () => {
  it('counts lines with and without a last LF', () => {
    expect(scan(Buffer.from('a\nb\nc\n'), [3]).lines).toBe(3);
    expect(scan(Buffer.from('a\nb\nc'), [1]).lines).toBe(3);
    expect(scan(Buffer.from(''), []).lines).toBe(0);
  });

  it('tells CRLF from a lone CR, across a chunk boundary too', () => {
    const crlf = Buffer.from('a\r\nb\r\n');
    for (const cut of [0, 1, 2, 3, 4]) expect(scan(crlf, [cut])).toMatchObject({ crlf: true, loneCr: false });
    const lone = Buffer.from('a\rb\n');
    for (const cut of [1, 2, 3]) expect(scan(lone, [cut])).toMatchObject({ loneCr: true });
    expect(scan(Buffer.from('a\nb\r'), [])).toMatchObject({ loneCr: true });
    expect(scan(Buffer.from('a\nb\n'), [])).toMatchObject({ crlf: false, loneCr: false });
  });

  it('judges UTF-8 whole when a character is cut by a chunk, and finds a bad byte', () => {
    const good = Buffer.from('héllo\nwörld\n', 'utf8');
    for (let cut = 0; cut <= good.length; cut++) expect(scan(good, [cut]).utf8).toBe(true);
    const bad = Buffer.concat([Buffer.from('ok\n'), Buffer.from([0x4e, 0xff, 0x0a]), Buffer.from('ok\n')]);
    for (let cut = 0; cut <= bad.length; cut++) expect(scan(bad, [cut]).utf8).toBe(false);
    expect(scan(Buffer.from([0x61, 0x0a, 0xc3]), []).utf8).toBe(false); // cut at the file's end
  });
});

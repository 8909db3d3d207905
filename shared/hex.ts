// Bytes written as hex, the way people type them ("AA 55", "aa55", "01 03 00 00"): the serial
// layout's sync bytes, hex payloads to publish or send to a device, and the console's hex chunks.

/** The bytes of hex text (white space ignored; "" is no bytes), or null when it is not pairs of 0-9, a-f. */
export function parseHex(text: string): Uint8Array | null {
  const clean = text.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) return null;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** `value` as `bytes` bytes of upper-case hex, e.g. formatHex(0x1a, 2) → "001A". */
export function formatHex(value: number, bytes: number): string {
  return value
    .toString(16)
    .toUpperCase()
    .padStart(bytes * 2, '0');
}

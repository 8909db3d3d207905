// Payloads a console or the CLI hands in as text (utf8, hex, base64), as the bytes a source sends.
import type { PublishRequest, SendToSourceRequest } from '../../shared/api';
import { parseHex } from '../../shared/hex';

function hexBytes(text: string): Uint8Array {
  const bytes = parseHex(text);
  if (!bytes) throw new Error('payload: not hex (pairs of 0-9, a-f)');
  return bytes;
}

function base64Bytes(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) throw new Error('payload: not base64');
  return new Uint8Array(Buffer.from(clean, 'base64'));
}

/** The bytes of a message to publish. */
export function publishBytes(request: Pick<PublishRequest, 'encoding' | 'payload'>): Uint8Array {
  return request.encoding === 'utf8'
    ? new TextEncoder().encode(request.payload)
    : request.encoding === 'hex'
      ? hexBytes(request.payload)
      : base64Bytes(request.payload);
}

/** The bytes to write to a device: `data` (text or hex) and the line ending. */
export function sendBytes(
  request: Pick<SendToSourceRequest, 'encoding' | 'data' | 'lineEnding'>,
): Uint8Array {
  const body = request.encoding === 'hex' ? hexBytes(request.data) : new TextEncoder().encode(request.data);
  const ending = new TextEncoder().encode({ none: '', lf: '\n', cr: '\r', crlf: '\r\n' }[request.lineEnding]);
  const bytes = new Uint8Array(body.length + ending.length);
  bytes.set(body);
  bytes.set(ending, body.length);
  return bytes;
}

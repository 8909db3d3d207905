// A stand-in for Electron's safeStorage under Node: XOR with a fixed key behind a marker. It is NOT
// encryption and exists for tests only; it does make the stored bytes differ from the secret, so a
// test can search the vault's folder for the clear text and expect to find nothing.
import type { SecretCipher } from '../../electron/main/secret-vault';

const MARKER = Buffer.from('FAKE-XOR-FOR-TESTS:');
const KEY = Buffer.from('not-a-real-key-0123456789');

const xor = (data: Buffer) => Buffer.from(data.map((b, i) => b ^ KEY[i % KEY.length]!));

export class FakeXorCipherForTests implements SecretCipher {
  /** Set to a reason to play a desktop without a key store. */
  unavailableBecause: string | null = null;

  async unavailable(): Promise<string | null> {
    return this.unavailableBecause;
  }

  async encrypt(plain: string): Promise<Buffer> {
    return Buffer.concat([MARKER, xor(Buffer.from(plain, 'utf8'))]);
  }

  async decrypt(data: Buffer): Promise<string> {
    if (!data.subarray(0, MARKER.length).equals(MARKER)) throw new Error('not sealed by the fake cipher');
    return xor(data.subarray(MARKER.length)).toString('utf8');
  }
}

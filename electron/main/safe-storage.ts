// The vault's cipher on the desktop: Electron's safeStorage, whose key the OS keeps (Keychain on
// macOS, DPAPI on Windows, libsecret or KWallet on Linux). Where Linux has no key store, Electron
// falls back to a key written in its own source ("basic_text"): that hides nothing, so secrets are
// then kept for the session only.
import { safeStorage } from 'electron';
import type { SecretCipher } from './secret-vault';

export const safeStorageCipher: SecretCipher = {
  async unavailable() {
    if (!(await safeStorage.isAsyncEncryptionAvailable())) return 'the OS key store is not available';
    if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text')
      return 'this Linux desktop has no key store (libsecret or KWallet)';
    return null;
  },
  encrypt: (plain) => safeStorage.encryptStringAsync(plain),
  decrypt: async (data) => (await safeStorage.decryptStringAsync(data)).result,
};

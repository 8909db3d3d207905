// What the sources panel says in place of a source's topics when it does not run.
import { describe, expect, it } from 'vitest';
import { whyNotRunning } from '../../../renderer/src/source-state';

describe('whyNotRunning', () => {
  it('tells a source that stopped on an error by its error, not by "enable the source"', () => {
    expect(
      whyNotRunning({ state: 'error', lastError: 'tls.keyPassphrase does not decrypt tls.keyFile' }),
    ).toBe(
      'Not running: tls.keyPassphrase does not decrypt tls.keyFile. Fix it in Edit…, and it starts again.',
    );
    expect(whyNotRunning({ state: 'error', lastError: 'options: url: Invalid input.' })).toBe(
      'Not running: options: url: Invalid input. Fix it in Edit…, and it starts again.',
    );
  });

  it('asks to enable a source that is turned off, and says nothing of one that runs or retries', () => {
    expect(whyNotRunning({ state: 'stopped', lastError: null })).toBe(
      'Not running: enable the source to see its topics.',
    );
    for (const state of ['connected', 'reconnecting', 'starting', 'disconnected'] as const)
      expect(whyNotRunning({ state, lastError: 'user name or password refused' })).toBeNull();
  });
});

// What the sources panel says about a source's state, as pure functions the tests can reach.
import type { SourceStatus } from '../../shared/api';

/**
 * Why a source's topics cannot be shown, or null when they can: a source turned off says how to
 * turn it on; one that stopped on an error (its toggle still on) says the error, since turning it
 * on is not the fix.
 */
export function whyNotRunning(source: Pick<SourceStatus, 'state' | 'lastError'>): string | null {
  if (source.state === 'stopped') return 'Not running: enable the source to see its topics.';
  if (source.state === 'error')
    return `Not running: ${(source.lastError ?? 'it stopped on an error').replace(/\.$/, '')}. Fix it in Edit…, and it starts again.`;
  return null;
}

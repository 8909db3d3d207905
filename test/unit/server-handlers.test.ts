// The engine's handlers are typed by a mapped type over the methods (electron/engine/server/bind.ts):
// each gets its method's validated params and must return its result. These checks are the
// compiler's (`npx tsc -p tsconfig.json` covers test/); the test only makes them part of the suite.
import { describe, expect, it } from 'vitest';
import type { Handlers } from '../../electron/engine/server/bind';

type One<M extends keyof Handlers> = Pick<Handlers, M>;

describe('server handlers', () => {
  it('are refused by the compiler when missing or mistyped', () => {
    const right: One<'cancelQuery' | 'unsubscribe'> = {
      cancelQuery: (p) => ({ cancelled: p.id.length > 0 }),
      unsubscribe: () => ({ ok: true }),
    };
    // @ts-expect-error a method without its handler
    const missing: One<'cancelQuery' | 'unsubscribe'> = { cancelQuery: () => ({ cancelled: false }) };
    const wrongResult: One<'cancelQuery'> = {
      // @ts-expect-error a result of the wrong shape
      cancelQuery: () => ({ cancelled: 'yes' }),
    };
    const wrongParams: One<'cancelQuery'> = {
      // @ts-expect-error params read as what they are not
      cancelQuery: (p: { sql: string }) => ({ cancelled: p.sql === '' }),
    };
    expect(right.cancelQuery({ id: 'q' })).toEqual({ cancelled: true });
    expect([missing, wrongResult, wrongParams]).toHaveLength(3);
  });
});

// Where a binary layout's bytes land (shared/binary-layout.ts), as the engine decodes frames by it
// and as the serial form previews it while it is typed (renderer/src/panels/sources/binary-layout.ts):
// both place by the same function, so the layout the form shows is the layout the engine reads.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompiledLayout } from '../../../electron/engine/decode/binary';
import { previewLayout } from '../../../renderer/src/panels/sources/binary-layout';
import { placeLayout, type LayoutPlan } from '../../../shared/binary-layout';
import {
  BINARY_CHECK_BYTES,
  BINARY_CHECKS,
  BINARY_FIELD_BYTES,
  BINARY_FIELD_TYPES,
} from '../../../shared/schemas';

const plan = (over: Partial<LayoutPlan>): LayoutPlan => ({
  framing: 'fixed',
  syncBytes: 0,
  fields: [],
  check: null,
  length: null,
  ...over,
});
const paths = (p: LayoutPlan) => placeLayout(p).problems.map((x) => x.path);

describe('placeLayout', () => {
  it('puts the first field after the sync bytes and each next one after the previous', () => {
    const placed = placeLayout(
      plan({
        syncBytes: 2,
        fields: [
          { size: 2, at: null },
          { size: 4, at: null },
          { size: 1, at: 10 }, // its own position …
          { size: 2, at: null }, // … and the next one follows it
        ],
      }),
    );
    expect(placed.fields).toEqual([
      { pos: 2, size: 2 },
      { pos: 4, size: 4 },
      { pos: 10, size: 1 },
      { pos: 11, size: 2 },
    ]);
    expect(placed.length).toBe(13);
    expect(placed.problems).toEqual([]);
  });

  it('puts the check at the end of a fixed frame unless it is placed, covering from `from`', () => {
    const fields = [{ size: 4, at: null }];
    const atEnd = placeLayout(plan({ syncBytes: 1, fields, check: { size: 2, at: null, from: 1 } }));
    expect(atEnd.check).toEqual({ at: -2, size: 2, from: 1 });
    expect(atEnd.minLength).toBe(7);
    expect(atEnd.length).toBe(7);
    const placed = placeLayout(plan({ fields, check: { size: 1, at: 8, from: 0 } }));
    expect(placed.minLength).toBe(9);
    // A check from the end that covers from past the fields makes the frame that much longer.
    expect(placeLayout(plan({ fields, check: { size: 1, at: null, from: 6 } })).minLength).toBe(7);
  });

  it('leaves a SLIP frame of undeclared length unbounded: nothing is past its end', () => {
    const placed = placeLayout(plan({ framing: 'slip', fields: [{ size: 8, at: 100 }] }));
    expect(placed.length).toBeNull();
    expect(placed.minLength).toBe(108);
    expect(placed.problems).toEqual([]);
  });

  it('names every place that does not fit, in the order the engine reports them', () => {
    expect(paths(plan({ fields: [{ size: 1, at: null }], check: { size: 2, at: -1, from: 0 } }))).toEqual([
      'check.at',
    ]);
    expect(paths(plan({ fields: [{ size: 1, at: null }], check: { size: 1, at: 2, from: 3 } }))).toEqual([
      'check.from',
    ]);
    expect(
      paths(
        plan({
          syncBytes: 3,
          fields: [
            { size: 2, at: null },
            { size: 4, at: 0 },
          ],
          length: 2,
          check: { size: 1, at: null, from: 0 },
        }),
      ),
    ).toEqual(['fields.0', 'fields.1', 'check', 'sync']);
    const past = placeLayout(plan({ fields: [{ size: 2, at: 4 }], length: 5 })).problems[0];
    expect(past).toEqual({ path: 'fields.0', message: 'bytes 4–5 are past the 5-byte frame' });
  });
});

describe('the serial form preview', () => {
  it('reads the layout as typed: hex sync, empty positions, a check from the end', () => {
    const p = previewLayout({
      framing: 'fixed',
      sync: 'AA 55',
      length: '',
      fields: [
        { type: 'uint16', at: '' },
        { type: 'float32', at: ' ' },
      ],
      check: { kind: 'crc16-modbus', at: '', from: '2' },
    });
    expect(p.syncBytes).toBe(2);
    expect(p.fields).toEqual([
      { pos: 2, size: 2 },
      { pos: 4, size: 4 },
    ]);
    expect(p.check).toEqual({ pos: 8, size: 2, from: 2 });
    expect(p.length).toBe(10);
    expect(p.problems).toEqual([]);
  });

  it('shows no position for a check at the end of SLIP frames of unknown length, and ignores sync there', () => {
    const p = previewLayout({
      framing: 'slip',
      sync: 'AA',
      length: '',
      fields: [{ type: 'int8', at: '' }],
      check: { kind: 'xor', at: '', from: '' },
    });
    expect(p.syncBytes).toBe(0);
    expect(p.check?.pos).toBeNull();
    expect(p.length).toBeNull();
  });

  it('counts half-typed sync bytes as none, and says in words which field is past the frame', () => {
    const p = previewLayout({
      framing: 'fixed',
      sync: 'AA 5',
      length: '3',
      fields: [
        { type: 'uint8', at: '' },
        { type: 'uint32', at: '' },
      ],
      check: null,
    });
    expect(p.syncBytes).toBe(0);
    expect(p.problems).toEqual(['field 2: bytes 1–4 are past the 3-byte frame']);
  });
});

describe('the engine and the form place alike', () => {
  const field = fc.record({
    type: fc.constantFrom(...BINARY_FIELD_TYPES),
    at: fc.option(fc.integer({ min: 0, max: 24 }), { nil: undefined }),
  });
  const layout = fc.record({
    framing: fc.constantFrom('fixed' as const, 'slip' as const),
    syncBytes: fc.integer({ min: 0, max: 3 }),
    length: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
    fields: fc.array(field, { minLength: 1, maxLength: 5 }),
    check: fc.option(
      fc.record({
        kind: fc.constantFrom(...BINARY_CHECKS),
        at: fc.option(fc.integer({ min: -6, max: 24 }), { nil: undefined }),
        from: fc.integer({ min: 0, max: 10 }),
      }),
      { nil: undefined },
    ),
  });

  it('accept and refuse the same layouts, with the same positions and the same reason', () => {
    fc.assert(
      fc.property(layout, (l) => {
        const sync = l.framing === 'fixed' && l.syncBytes > 0 ? 'AB '.repeat(l.syncBytes).trim() : undefined;
        const text = (n: number | undefined) => (n === undefined ? '' : String(n));
        const preview = previewLayout({
          framing: l.framing,
          sync: sync ?? '',
          length: text(l.length),
          fields: l.fields.map((f) => ({ type: f.type, at: text(f.at) })),
          check: l.check ? { kind: l.check.kind, at: text(l.check.at), from: String(l.check.from) } : null,
        });
        let engine: CompiledLayout | null = null;
        let refusal = '';
        try {
          engine = new CompiledLayout({
            framing: l.framing,
            sync,
            length: l.length,
            fields: l.fields.map((f, i) => ({
              name: `f${i}`,
              type: f.type,
              at: f.at,
              endian: 'little',
              scale: 1,
              offset: 0,
              unit: '',
            })),
            check: l.check,
          });
        } catch (error) {
          refusal = (error as Error).message;
        }
        if (engine === null) {
          expect(preview.problems.length).toBeGreaterThan(0);
          expect(refusal).toContain(preview.problems[0]!.split(': ').slice(1).join(': '));
          return;
        }
        expect(preview.problems).toEqual([]);
        expect(preview.fields).toEqual(engine.fields.map((f) => ({ pos: f.pos, size: f.size })));
        expect(preview.fields.map((f) => f.size)).toEqual(l.fields.map((f) => BINARY_FIELD_BYTES[f.type]));
        expect(preview.length).toBe(engine.length);
        expect(preview.minLength).toBe(engine.minLength);
        if (l.check) expect(preview.check?.size).toBe(BINARY_CHECK_BYTES[l.check.kind]);
      }),
      { numRuns: 500 },
    );
  });
});

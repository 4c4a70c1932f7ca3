import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createLfScanner, lfScanModuleBytes, LF_WINDOW } from './simd.js';

describe('WebAssembly SIMD LF kernel', () => {
  it('the hand-assembled module validates', () => {
    const W = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
    expect(W.validate(lfScanModuleBytes())).toBe(true);
  });

  it('fast-check: lists exactly the LFs, counts CRs and CRLF pairs, at any offset and length', () => {
    const s = createLfScanner();
    expect(s).toBeDefined();
    fc.assert(
      fc.property(fc.array(fc.constantFrom(10, 13, 46, 65, 0, 255), { maxLength: 700 }), fc.nat(40), (arr, pad) => {
        const src = new Uint8Array(pad + arr.length + 3);
        src.set(arr, pad);
        const n = s!.scan(src, pad, pad + arr.length);
        const lfs: number[] = [];
        let cr = 0;
        let pairs = 0;
        arr.forEach((x, i) => {
          if (x === 10) {
            lfs.push(i);
            if (i > 0 && arr[i - 1] === 13) pairs++;
          }
          if (x === 13) cr++;
        });
        expect(n).toBe(lfs.length);
        expect([...s!.positions.subarray(0, n)]).toEqual(lfs);
        expect(s!.crCount).toBe(cr);
        expect(s!.crlfCount).toBe(pairs);
      }),
      { numRuns: 500 },
    );
  });

  it('handles a full window of LFs', () => {
    const s = createLfScanner()!;
    const src = new Uint8Array(LF_WINDOW).fill(10);
    expect(s.scan(src, 0, src.length)).toBe(LF_WINDOW);
    expect(s.positions[LF_WINDOW - 1]).toBe(LF_WINDOW - 1);
  });
});

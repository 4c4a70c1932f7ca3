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

  it('fast-check: fast() counts CR/LF/CRLF, bounds LF-free runs and lists every dot after an LF', () => {
    const s = createLfScanner()!;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(10, 13, 46, 65, 66, 67, 68), { maxLength: 900 }), fc.nat(40), (arr, pad) => {
        const src = new Uint8Array(pad + arr.length + 3);
        src.set(arr, pad);
        const n = s.fast(src, pad, pad + arr.length);
        let cr = 0;
        let pairs = 0;
        let lf = 0;
        const dots: number[] = [];
        arr.forEach((x, i) => {
          if (x === 13) cr++;
          if (x === 10) {
            lf++;
            if (i > 0 && arr[i - 1] === 13) pairs++;
          }
          if (x === 46 && i > 0 && arr[i - 1] === 10) dots.push(i);
        });
        // reference: longest run of whole 32-octet blocks without LF
        let run = 0;
        let maxRun = 0;
        for (let b0 = 0; b0 + 32 <= arr.length; b0 += 32) {
          run = arr.slice(b0, b0 + 32).includes(10) ? 0 : run + 1;
          maxRun = Math.max(maxRun, run);
        }
        expect(n).toBe(dots.length);
        expect([...s.positions.subarray(0, n)]).toEqual(dots);
        expect([s.crCount, s.crlfCount, s.lfCount, s.maxRun]).toEqual([cr, pairs, lf, maxRun]);
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

/**
 * Operation records for model-based tests: plain data, so a failing sequence
 * prints, shrinks and replays.
 *
 * `target`/`source` pick a live skb by index modulo the number of live skbs; `frac`
 * scales with the target's current `len` (`round(frac * len)`), so trims and pulls
 * land inside paged data as often as in the linear part.
 *
 * @module
 */

/** One operation of a model test. */
export type SkbOp =
  | { readonly kind: 'alloc'; readonly size: number }
  | { readonly kind: 'reserve'; readonly target: number; readonly n: number }
  | { readonly kind: 'put'; readonly target: number; readonly bytes: Uint8Array }
  | { readonly kind: 'push'; readonly target: number; readonly bytes: Uint8Array }
  | { readonly kind: 'pull'; readonly target: number; readonly n: number }
  | { readonly kind: 'trim'; readonly target: number; readonly frac: number }
  | { readonly kind: 'mayPull'; readonly target: number; readonly frac: number }
  | { readonly kind: 'addFrag'; readonly target: number; readonly bytes: Uint8Array; readonly off: number }
  | { readonly kind: 'appendFragList'; readonly target: number; readonly source: number }
  | { readonly kind: 'cowHead' | 'cow'; readonly target: number; readonly headroom: number }
  | { readonly kind: 'ensureWritable'; readonly target: number; readonly frac: number }
  | { readonly kind: 'storeBits'; readonly target: number; readonly frac: number; readonly bytes: Uint8Array }
  | { readonly kind: 'expandHead'; readonly target: number; readonly nhead: number; readonly ntail: number }
  | {
      readonly kind:
        | 'clone'
        | 'copy'
        | 'pskbCopy'
        | 'unshare'
        | 'linearize'
        | 'free'
        | 'headerRelease'
        | 'setDataPart';
      readonly target: number;
    };

/** The `kind`s of {@link SkbOp}. */
export type SkbOpKind = SkbOp['kind'];

/**
 * Run settings shared by every benchmark: the number of measured rounds, the
 * warm-up rounds before them, and the target length of one round of a
 * micro-benchmark loop.
 *
 * Defaults: 5 rounds after 2 warm-up rounds, 200 ms per loop round.
 * `--quick` (or `NETLAYERS_BENCH_QUICK=1`): 5 rounds after 1 warm-up round,
 * 40 ms per loop round, and each bench shrinks its transfer sizes.
 * `NETLAYERS_BENCH_ROUNDS=N` sets the rounds (never fewer than 5).
 */
export interface BenchConfig {
  quick: boolean;
  /** Measured rounds per case (>= 5). */
  rounds: number;
  /** Unmeasured rounds per case before the first measured one (>= 1). */
  warmup: number;
  /** Target wall time of one round of a calibrated loop, in ms. */
  roundMs: number;
}

/** The minimum number of samples a summary is computed from. */
export const MIN_ROUNDS = 5;

export function benchConfig(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const quick = argv.includes('--quick') || env['NETLAYERS_BENCH_QUICK'] === '1';
  const asked = Number(env['NETLAYERS_BENCH_ROUNDS'] ?? MIN_ROUNDS);
  const rounds = Number.isInteger(asked) && asked > MIN_ROUNDS ? asked : MIN_ROUNDS;
  return { quick, rounds, warmup: quick ? 1 : 2, roundMs: quick ? 40 : 200 };
}

/** `full` by default, `quick` under `--quick`. */
export function pick<T>(cfg: BenchConfig, full: T, quick: T): T {
  return cfg.quick ? quick : full;
}

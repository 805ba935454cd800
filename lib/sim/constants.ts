/**
 * Tunable numbers of the simulator. Defaults of a run live here so the engine, the CLI, the fault
 * compiler and the tests agree on one value.
 */

/**
 * Virtual time 0 as a local clock reads it (ms since the Unix epoch, 2023-11-14). Processes see
 * epoch-like timestamps so code that compares with "now ± 30 s" (BFT time, certificate validity)
 * runs unchanged; the run itself counts virtual ms from 0.
 */
export const SIM_EPOCH_MS = 1_700_000_000_000

/** Default length of a run, in virtual ms. */
export const DEFAULT_DURATION_MS = 10_000

/**
 * Where the "heal everything" point of a fault schedule falls by default, as a fraction of the
 * run's duration. The rest of the run (and more, if the liveness deadline asks) checks recovery.
 */
export const DEFAULT_HEAL_FRACTION = 0.6

/** Hard cap on processed events per run: a zero-delay timer loop ends as a violation, not a hang. */
export const DEFAULT_MAX_EVENTS = 50_000_000

/** At most this many violations are kept in a report (when the run does not stop at the first). */
export const MAX_RECORDED_VIOLATIONS = 100

/** Smallest one-way latency of the default plane topology, in ms. */
export const PLANE_MIN_LATENCY_MS = 5

/** One-way latency added across the whole side of the default plane topology, in ms. */
export const PLANE_SPAN_LATENCY_MS = 80

/** Default uniform jitter added to each message, in ms (from 0 to this). */
export const DEFAULT_JITTER_MS = 5

/** Default extra delay bound of a reordered message, in ms. */
export const DEFAULT_REORDER_MS = 100

/** Default downtime of a crashed node that restarts, range in ms. */
export const DEFAULT_RESTART_AFTER_MS: readonly [number, number] = [500, 3_000]

/** Default maximum clock offset of the `skew` fault, in ms (each node gets a value in ±this). */
export const DEFAULT_SKEW_MS = 500

/** Largest allowed `--validators`/`--nodes` total, so a typo does not allocate gigabytes. */
export const MAX_HOSTS = 10_000

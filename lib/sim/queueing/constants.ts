/** Defaults of the queueing simulator and its scenarios. */

/** Attempts per job (the first included) before it is dropped, unless `maxAttempts` says otherwise. */
export const QUEUEING_DEFAULT_MAX_ATTEMPTS = 8

/** Default arrivals per scenario run: 11 policies × 10 seeds × 11 scenarios stay within minutes. */
export const QUEUEING_DEFAULT_JOBS = 30_000

/** Default servers per scenario run (the affinity scenario uses 20). */
export const QUEUEING_DEFAULT_SERVERS = 30

/** Mean job size of the scenarios' common workload, work units (ms on a speed-1 peer). */
export const QUEUEING_MEAN_SIZE = 100

/** Share of a scenario's expected horizon (jobs / λ) used as warm-up. */
export const QUEUEING_WARMUP_SHARE = 0.1

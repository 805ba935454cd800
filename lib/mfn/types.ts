/**
 * The routing contract shared by the MFN router, its baselines and the queueing simulator
 * (DESIGN.md §6). A router is pure: time and randomness come in as arguments or ports, never from
 * Date.now or Math.random, so a simulated run is reproducible per seed.
 *
 * One decision: the caller hands the router the job and the candidates as it sees them *now*
 * (its own in-flight counts are exact; anything learned from gossip is stale and says how stale),
 * the router returns the index of the chosen candidate, and later reports how the job went.
 */

/** What a router is told about one candidate executor at decision time. */
export interface CandidateView {
  /**
   * Stable identity of the candidate (a server index in the simulator, a peer in the mesh). A
   * router keeps per-candidate state (EWMAs, neurons) keyed by it across decisions.
   */
  readonly id: number
  /** Round-trip time predicted by network coordinates (Vivaldi), ms; null when unknown. */
  readonly predictedRttMs: number | null
  /** Jobs this router has sent to it that have not come back: always exact. */
  readonly inFlight: number
  /** Queue length (waiting + running) it last announced by gossip; null when never heard. */
  readonly reportedQueue: number | null
  /** Age of `reportedQueue`, ms (0 = fresh; meaningless when the queue is null). */
  readonly reportAgeMs: number
  /** Advertised speed, work units per ms (1 = the reference peer); null when unknown. */
  readonly capacity: number | null
}

/** The job to place. */
export interface JobView {
  /** Job class (0 … JOB_CLASSES − 1): jobs of one class share code and hardware needs. */
  readonly jobClass: number
  /** The submitter's estimate of the job's work, in work units; null when none is given. */
  readonly sizeHint: number | null
}

/** How a job placed by this router ended. */
export interface RoutingOutcome {
  /** `CandidateView.id` of the executor it was sent to. */
  readonly candidate: number
  readonly job: JobView
  /** Dispatch → result back at the router, ms (network both ways + queueing + service). */
  readonly latencyMs: number
  /** False when the executor failed or vanished; `latencyMs` is then the time until that was known. */
  readonly ok: boolean
  /** When the outcome arrived, ms (the router's clock). */
  readonly now: number
}

/** A routing policy. Build one per router (per node); never share one between routers. */
export interface Router {
  /** Short name for tables ("p2c-pewma", "mfn", "mfn/no-noise", …). */
  readonly name: string
  /**
   * Choose an executor for `job` among `candidates` (non-empty) at time `now` (ms).
   *
   * @returns the index into `candidates` of the chosen one
   */
  choose(job: JobView, candidates: readonly CandidateView[], now: number): number
  /** The result of an earlier `choose` came back. */
  feedback(outcome: RoutingOutcome): void
}

/** Builds a router from a seeded random source (one independent stream per router). */
export type RouterFactory = (random: import('../ports').Random) => Router

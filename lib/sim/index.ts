/**
 * The deterministic network simulator (DESIGN.md §1 "Simulator", §11): virtual time, a simulated
 * network with latency, loss, duplication, reordering and partitions, crashes with and without
 * storage loss, clock skew, churn, Byzantine wrappers and twins, invariants after every event,
 * liveness after healing, and byte-for-byte replay of a seed. See lib/sim/README.md.
 */
export * from './byzantine'
export * from './constants'
export type { KindStats, LivenessResult, MessageTotals, TraceLine, Violation } from './engine'
export * from './errors'
export * from './fault-schedule'
export * from './fault-spec'
export * from './heap'
export * from './metrics'
export * from './network'
export * from './random'
export * from './registry'
export * from './run'
export * from './store'
export * from './types'

/**
 * lib/mfn: the MFN router (DESIGN.md §6), its baselines and the registry the bench and the UI
 * pick them from. See README.md for what each mechanism adds.
 */
export type { CandidateView, JobView, Router, RouterFactory, RoutingOutcome } from './types'
export * from './errors'
export * from './constants'
export * from './lif'
export * from './features'
export * from './learning'
export * from './pending'
export * from './id-table'
export * from './random'
export * from './options'
export * from './baselines'
export * from './router'
export * from './registry'

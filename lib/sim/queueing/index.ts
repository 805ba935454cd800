/**
 * The seeded discrete-event queueing simulator: the test bench of routing policies (DESIGN.md §6).
 * See README.md for the model and its definitions.
 */
export * from './config'
export * from './constants'
export * from './distributions'
export * from './errors'
export * from './scenarios'
export * from './simulate'
export * from './speed-profiles'
export * from './stats'

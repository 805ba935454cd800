/**
 * Errors raised by the routers of lib/mfn. One class per failure, each with a stable `name` and
 * `code` spelled out (they survive minification and are what tests and callers match on, never the
 * message). A routing decision that merely goes badly is not an error: it is an outcome.
 */

/** The serialisable form of a routing error (what crosses the worker boundary). */
export interface SerializedMfnError {
  name: string
  code: string
  message: string
}

/** Base class of every lib/mfn error. */
export abstract class MfnError extends Error {
  /** Stable identifier of the failure. */
  abstract readonly code: string

  /** The `{ name, code, message }` form, so `JSON.stringify` and logs keep the identity. */
  toJSON(): SerializedMfnError {
    return { name: this.name, code: this.code, message: this.message }
  }
}

/** Options given to a router builder that cannot describe a router (unknown key, out of range…). */
export class MfnOptionsError extends MfnError {
  override readonly name = 'MfnOptionsError'
  readonly code = 'ERR_MFN_OPTIONS'

  /**
   * @param where - the builder that refused them (`mfn`, `p2cPeakEwma`, …)
   * @param option - the offending key
   * @param reason - what is wrong with it
   */
  constructor(
    readonly where: string,
    readonly option: string,
    reason: string,
  ) {
    super(`${where}: option "${option}" ${reason}`)
  }
}

/** A call to `choose` or `feedback` that breaks the Router contract (no candidates, NaN time…). */
export class MfnInputError extends MfnError {
  override readonly name = 'MfnInputError'
  readonly code = 'ERR_MFN_INPUT'
}

/** No router of that name is in the registry. */
export class UnknownRouterError extends MfnError {
  override readonly name = 'UnknownRouterError'
  readonly code = 'ERR_MFN_UNKNOWN_ROUTER'

  /**
   * @param router - the requested name
   * @param known - the registered names, for the message
   */
  constructor(
    readonly router: string,
    known: readonly string[],
  ) {
    super(`No router "${router}"; known routers: ${known.join(', ')}.`)
  }
}

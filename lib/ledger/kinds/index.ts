/**
 * The transaction kinds of the ledger, as a registry. A later kind (asset, job, exchange) is one
 * more module implementing `TxKind`, listed here or passed to `createLedgerApp({ kinds })`.
 */
import { LedgerArgumentError } from '../errors'
import type { TxKind, TxKindRegistry } from '../types'
import { attestKind } from './attest'
import { registerNodeKind } from './register-node'
import { slashKind } from './slash'
import { stakeKind } from './stake'
import { transferKind } from './transfer'
import { unstakeKind } from './unstake'

export { attestKind, type AttestBody } from './attest'
export { registerNodeKind, registrationResource, type RegisterNodeBody } from './register-node'
export { slashKind, type SlashBody } from './slash'
export { stakeKind, type StakeBody } from './stake'
export { transferKind, type TransferBody } from './transfer'
export { unstakeKind } from './unstake'

/**
 * A registry of `kinds`, by name.
 *
 * @throws {LedgerArgumentError} when two kinds share a name
 * @example
 * ```ts
 * const kinds = txKindRegistry([...DEFAULT_TX_KINDS.values(), assetKind])
 * ```
 */
export function txKindRegistry(kinds: readonly TxKind<unknown>[]): TxKindRegistry {
  const map = new Map<string, TxKind<unknown>>()
  for (const kind of kinds) {
    if (map.has(kind.kind)) {
      throw new LedgerArgumentError('txKindRegistry.kinds', `lists "${kind.kind}" twice`)
    }
    map.set(kind.kind, kind)
  }
  return map
}

/** The kinds of this version: register-node, transfer, stake, unstake, attest, slash. */
export const DEFAULT_TX_KINDS: TxKindRegistry = txKindRegistry([
  registerNodeKind,
  transferKind,
  stakeKind,
  unstakeKind,
  attestKind,
  slashKind,
])

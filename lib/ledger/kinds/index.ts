/**
 * The transaction kinds of the ledger, as a registry. A later kind (job, exchange) is one
 * more module implementing `TxKind`, listed here or passed to `createLedgerApp({ kinds })`.
 */
import { LedgerArgumentError } from '../errors'
import type { TxKind, TxKindRegistry } from '../types'
import { attestKind } from './attest'
import { registerAssetKind } from './register-asset'
import { registerNodeKind } from './register-node'
import { retireAssetKind } from './retire-asset'
import { slashKind } from './slash'
import { stakeKind } from './stake'
import { transferKind } from './transfer'
import { unstakeKind } from './unstake'
import { updateAssetKind } from './update-asset'

export { attestKind, type AttestBody } from './attest'
export { registerAssetKind, type RegisterAssetBody } from './register-asset'
export { registerNodeKind, registrationResource, type RegisterNodeBody } from './register-node'
export { retireAssetKind, type RetireAssetBody } from './retire-asset'
export { slashKind, type SlashBody } from './slash'
export { stakeKind, type StakeBody } from './stake'
export { transferKind, type TransferBody } from './transfer'
export { unstakeKind } from './unstake'
export { updateAssetKind, type UpdateAssetBody } from './update-asset'

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

/**
 * The kinds of this version: register-node, transfer, stake, unstake, attest, slash,
 * register-asset, update-asset, retire-asset.
 */
export const DEFAULT_TX_KINDS: TxKindRegistry = txKindRegistry([
  registerNodeKind,
  transferKind,
  stakeKind,
  unstakeKind,
  attestKind,
  slashKind,
  registerAssetKind,
  updateAssetKind,
  retireAssetKind,
])

/** Rules the three asset kinds share (docs/ledger.md, "Assets"). */
import type { AssetId } from '../../assets/asset-id'
import {
  checkShare,
  InvalidShareError,
  isRegistered,
  type PrivacyLevel,
} from '../../assets/privacy'
import {
  assetShareOf,
  measuredCapacityOf,
  type AssetCapacity,
  type AssetRecord,
  type LedgerAssetShare,
} from '../assets'
import { equalBytes, toHex } from '../codec'
import {
  AssetRetiredError,
  BadAssetError,
  NotAssetOwnerError,
  UnknownAssetError,
  type BadAssetReason,
} from '../errors'
import type { LedgerView } from '../state'

/**
 * The level must be one the ledger publishes (lib/assets `isRegistered`: public-network,
 * full-public), and the share must pass lib/assets' `checkShare` against the capacity it comes
 * with: what was not measured cannot be offered, and no more than was measured.
 *
 * @throws {BadAssetError} (`level`, or `checkShare`'s reason)
 */
export function checkOffer(
  id: AssetId,
  level: PrivacyLevel,
  share: LedgerAssetShare,
  capacity: AssetCapacity,
): void {
  const offered = assetShareOf(id.type, share)
  if (!isRegistered({ level, share: offered, paused: false })) throw new BadAssetError('level')
  try {
    checkShare(id.type, offered, measuredCapacityOf(id.type, capacity))
  } catch (err) {
    if (err instanceof InvalidShareError) throw new BadAssetError(err.reason as BadAssetReason)
    throw err
  }
}

/**
 * The live asset `id` that the sender owns, for an update or a retirement.
 *
 * @throws {UnknownAssetError} when no asset has its UUID, or the one that has is of another type
 * @throws {NotAssetOwnerError} when the sender is not its owner
 * @throws {AssetRetiredError} when it is retired
 */
export function ownedLiveAsset(view: LedgerView, from: Uint8Array, id: AssetId): AssetRecord {
  const record = view.asset(id.uuid)
  if (record === undefined || record.type !== id.type) throw new UnknownAssetError(toHex(id.uuid))
  if (!equalBytes(record.owner, from)) throw new NotAssetOwnerError(toHex(id.uuid))
  if (record.retiredHeight !== null) throw new AssetRetiredError(toHex(id.uuid))
  return record
}

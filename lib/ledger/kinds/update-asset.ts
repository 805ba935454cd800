/**
 * `update-asset`: change the level, share and capacity of a live asset. Body `{ id: bytes(17),
 * level, share, capacity }`. Only its owner may send it; the level must still be one the ledger
 * publishes and the share must pass `checkShare` against the new capacity. Owner, address, port,
 * creation time and content hash never change.
 *
 * Effect: the record gets the new level, share and capacity, `updatedAt` = block time and
 * `updatedHeight` = block height (which also count as a sign of life, docs/ledger.md "Online").
 */
import type { PrivacyLevel } from '../../assets/privacy'
import {
  bodyAssetId,
  readAssetCapacity,
  readAssetId,
  readAssetShare,
  readLevel,
  type AssetCapacity,
  type LedgerAssetShare,
  type RegisteredLevel,
} from '../assets'
import { readMap } from '../codec'
import type { TxKind } from '../types'
import { checkOffer, ownedLiveAsset } from './asset-common'

/** Body of an `update-asset`. */
export interface UpdateAssetBody {
  /** The asset as registered: type code ‖ UUID, 17 bytes. */
  id: Uint8Array
  /** New privacy level (public-network or full-public). */
  level: PrivacyLevel
  /** New share, checked against `capacity`. */
  share: LedgerAssetShare
  /** New measurement. */
  capacity: AssetCapacity
}

/** The `update-asset` kind. */
export const updateAssetKind: TxKind<UpdateAssetBody> = {
  kind: 'update-asset',
  decodeBody(raw) {
    const m = readMap(raw, 'body', ['id', 'level', 'share', 'capacity'])
    const { bytes, id } = readAssetId(m.id, 'body.id')
    return {
      id: bytes,
      level: readLevel(m.level, 'body.level'),
      share: readAssetShare(m.share, 'body.share', id.type),
      capacity: readAssetCapacity(m.capacity, 'body.capacity'),
    }
  },
  check(view, tx) {
    const { level, share, capacity } = tx.body
    const id = bodyAssetId(tx.body.id)
    ownedLiveAsset(view, tx.from, id)
    checkOffer(id, level, share, capacity)
  },
  apply(view, tx) {
    const { level, share, capacity } = tx.body
    const id = bodyAssetId(tx.body.id)
    const record = ownedLiveAsset(view, tx.from, id)
    view.putAsset(id.uuid, {
      ...record,
      level: level as RegisteredLevel,
      share,
      capacity,
      updatedAt: view.time,
      updatedHeight: view.height,
    })
  },
}

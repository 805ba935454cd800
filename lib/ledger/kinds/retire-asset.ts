/**
 * `retire-asset`: withdraw a live asset. Body `{ id: bytes(17) }`. Only its owner may send it.
 *
 * Effect: the record stays (history: a proof of state can still show what was registered and
 * when) with `retiredAt` = block time and `retiredHeight` = block height; it is never online
 * again, cannot be updated, and its UUID cannot be registered again. It leaves the owner's live
 * list (`node-assets/<owner>`), so it no longer counts towards the live limit.
 */
import { bodyAssetId, readAssetId } from '../assets'
import { equalBytes, readMap } from '../codec'
import type { TxKind } from '../types'
import { ownedLiveAsset } from './asset-common'

/** Body of a `retire-asset`. */
export interface RetireAssetBody {
  /** The asset as registered: type code ‖ UUID, 17 bytes. */
  id: Uint8Array
}

/** The `retire-asset` kind. */
export const retireAssetKind: TxKind<RetireAssetBody> = {
  kind: 'retire-asset',
  decodeBody(raw) {
    const m = readMap(raw, 'body', ['id'])
    return { id: readAssetId(m.id, 'body.id').bytes }
  },
  check(view, tx) {
    ownedLiveAsset(view, tx.from, bodyAssetId(tx.body.id))
  },
  apply(view, tx) {
    const id = bodyAssetId(tx.body.id)
    const record = ownedLiveAsset(view, tx.from, id)
    view.putAsset(id.uuid, { ...record, retiredAt: view.time, retiredHeight: view.height })
    const index = view.nodeAssets(tx.from)
    view.putNodeAssets(tx.from, {
      live: index.live.filter((u) => !equalBytes(u, id.uuid)),
      total: index.total,
    })
  },
}

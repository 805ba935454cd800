/**
 * `register-asset`: publish one of the sender node's assets (DESIGN.md §5). Body `{ id:
 * bytes(17), port: uint ≤ 65535, level, share: { amount, hours }, capacity, createdUs: uint }`
 * (lib/ledger/assets.ts has the shapes).
 *
 * Accepted when the sender is a registered node (on a chain with a TrustChain root the envelope
 * has already required its valid certificate: PoStake's "who"); the level is one the ledger
 * publishes and the share passes lib/assets' `checkShare` against the capacity; `createdUs` is
 * not more than 300 s after the block time; no asset has this UUID (live or retired); the node
 * has fewer than 16 live assets and has registered fewer than 256 in all.
 *
 * Effect: the record `asset/<uuid>` — owner, type, the global address derived from the owner's
 * peer ID, port, level, share, capacity, createdUs and the content hash, registration time
 * (the block's BFT time: PoTime) and height — and the UUID appended to `node-assets/<owner>`.
 */
import { assetContentHash } from '../../assets/asset-id'
import type { PrivacyLevel } from '../../assets/privacy'
import {
  assetAddress,
  bodyAssetId,
  MAX_ASSET_PORT,
  readAssetCapacity,
  readAssetId,
  readAssetShare,
  readLevel,
  type AssetCapacity,
  type LedgerAssetShare,
  type RegisteredLevel,
} from '../assets'
import { readMap, readUint, toHex } from '../codec'
import {
  MAX_ASSET_CREATED_FUTURE_US,
  MAX_ASSET_REGISTRATIONS_PER_NODE,
  MAX_LIVE_ASSETS_PER_NODE,
} from '../constants'
import { AssetLimitError, BadAssetError, DuplicateAssetError, UnknownNodeError } from '../errors'
import type { TxKind } from '../types'
import { checkOffer } from './asset-common'

/** Body of a `register-asset`. */
export interface RegisterAssetBody {
  /** The asset: type code ‖ UUID, 17 bytes (lib/assets `encodeAssetId`). */
  id: Uint8Array
  /** Service port of the owning node that answers for it, 0–65535. */
  port: number
  /** Privacy level: only public-network and full-public are accepted. */
  level: PrivacyLevel
  /** What is offered, checked against `capacity`. */
  share: LedgerAssetShare
  /** What was measured. */
  capacity: AssetCapacity
  /** Creation time, µs since the epoch (input of the content hash). */
  createdUs: number
}

/** The `register-asset` kind. */
export const registerAssetKind: TxKind<RegisterAssetBody> = {
  kind: 'register-asset',
  decodeBody(raw) {
    const m = readMap(raw, 'body', ['id', 'port', 'level', 'share', 'capacity', 'createdUs'])
    const { bytes, id } = readAssetId(m.id, 'body.id')
    return {
      id: bytes,
      port: readUint(m.port, 'body.port', MAX_ASSET_PORT),
      level: readLevel(m.level, 'body.level'),
      share: readAssetShare(m.share, 'body.share', id.type),
      capacity: readAssetCapacity(m.capacity, 'body.capacity'),
      createdUs: readUint(m.createdUs, 'body.createdUs'),
    }
  },
  check(view, tx) {
    const { level, share, capacity, createdUs } = tx.body
    const id = bodyAssetId(tx.body.id)
    if (view.node(tx.from) === undefined) throw new UnknownNodeError(toHex(tx.from))
    checkOffer(id, level, share, capacity)
    if (createdUs > view.time * 1000 + MAX_ASSET_CREATED_FUTURE_US) {
      throw new BadAssetError('future')
    }
    if (view.asset(id.uuid) !== undefined) throw new DuplicateAssetError(toHex(id.uuid))
    const index = view.nodeAssets(tx.from)
    if (index.live.length >= MAX_LIVE_ASSETS_PER_NODE) {
      throw new AssetLimitError('live', MAX_LIVE_ASSETS_PER_NODE)
    }
    if (index.total >= MAX_ASSET_REGISTRATIONS_PER_NODE) {
      throw new AssetLimitError('total', MAX_ASSET_REGISTRATIONS_PER_NODE)
    }
  },
  apply(view, tx) {
    const { port, level, share, capacity, createdUs } = tx.body
    const id = bodyAssetId(tx.body.id)
    view.putAsset(id.uuid, {
      type: id.type,
      owner: tx.from,
      address: assetAddress(tx.from, id.uuid, port),
      port,
      level: level as RegisteredLevel,
      share,
      capacity,
      createdUs,
      contentHash: assetContentHash(id, createdUs),
      registeredAt: view.time,
      registeredHeight: view.height,
      updatedAt: view.time,
      updatedHeight: view.height,
      retiredAt: null,
      retiredHeight: null,
    })
    const index = view.nodeAssets(tx.from)
    view.putNodeAssets(tx.from, {
      live: [...index.live, id.uuid],
      total: index.total + 1,
    })
  },
}

/**
 * This tab's assets (DESIGN.md §5): measured once the node runs, offered under the owner's
 * privacy settings, and the memory asset served to peers holding a capability. Runs in the node's
 * bundle (boot.js) beside chain-bridge.ts; pages reach it through a slot on `globalThis`
 * ({@link ASSETS_SLOT_KEY}, read by use-assets.ts), as they reach the MFN bridge. The pure rules
 * are in assets-model.ts.
 *
 * Decisions (where the design leaves a choice):
 *
 * - **When**: the measurement (CPU calibration in a worker, a 4 MiB IndexedDB write probe,
 *   WebGPU, the links) starts {@link MEASURE_AFTER_JOIN_MS} after the first direct peer, or
 *   {@link MEASURE_FALLBACK_MS} after start for a lone tab: never on the join's path.
 * - **Link goodput**: measured, not guessed. Every tab answers goodput probes
 *   (`/hypermesh/goodput/1`, lib/mesh/perf.ts) from its direct peers: at most 1 MiB a probe, one
 *   at a time, never over a relayed link. At measurement time a tab sends
 *   {@link GOODPUT_PROBE_BYTES} to each of up to {@link GOODPUT_PROBE_PEERS} direct WebRTC peers,
 *   one after the other; a probe that fails or takes longer than {@link GOODPUT_PROBE_TIMEOUT_MS}
 *   leaves that link's goodput unknown. The network asset's capacity is the median of what was
 *   measured, so it can be offered once one probe got through.
 * - **Which assets**: one per type the tab can say something about: cpu, memory, storage, network,
 *   and gpu only when WebGPU gives an adapter. An asset whose capacity was not measured (network
 *   throughput, when no goodput probe got through) exists, shows why, and cannot be offered
 *   (lib/assets: what is not measured cannot be offered): its level stays private.
 * - **Default level: private.** Nothing leaves the tab before its owner chooses; the card makes
 *   the choice one click away.
 * - **Persistence**: asset IDs, creation times, ports and settings live in the tab slot's
 *   IndexedDB database beside its identity key (`readSlotValue`/`putSlotValue`, key `assets`), so
 *   a reopened tab (same slot, same key) keeps its assets and addresses. Loading checks every
 *   field with lib/assets' codecs: damaged data gives defaults, never a crash. If the read itself
 *   fails, nothing is written back, so a passing IndexedDB hiccup cannot replace stored IDs.
 * - **Memory served**: the memory asset's share says what the owner offers (up to the measured
 *   `deviceMemory`); the tab serves `min(share, 64 MiB)` ({@link MEMORY_SERVE_CAP_BYTES}) from
 *   one buffer allocated on first use and grown in 1 MiB steps. The bytes live in the tab's RAM:
 *   they are gone when the tab closes (the asset and its address stay).
 * - **Storage served**: the storage asset serves `min(share, 16 MiB)`
 *   ({@link STORAGE_SERVE_CAP_BYTES}) over the same protocol, from bytes kept in IndexedDB
 *   (database `hypermesh-storage-<slot>`, lib/assets/stored-bytes.ts) that survive a reload.
 *   The server core answers synchronously, so the tab keeps a copy of the bytes in RAM, loaded
 *   when the runtime starts: reads and proofs come from it at once, and a write is first stored
 *   (one atomic IndexedDB transaction, `strict` durability), then applied to the copy, and only
 *   then acknowledged (the server core awaits an asset's write when it returns a promise). So an
 *   acknowledged write survives the tab, and a write IndexedDB refuses changes nothing. The RAM
 *   copy costs up to 16 MiB per tab; the cap keeps it at that. The bytes are dropped only when
 *   the owner lowers the share (past the new size), never because a measurement changed: a
 *   storage quota the browser did not tell this time must not erase what peers stored. They
 *   belong to the tab's storage asset whatever its ID: a renewed asset (new ID, see Ledger)
 *   keeps them. If IndexedDB cannot be opened, the storage asset answers `ASSET_UNAVAILABLE`
 *   and the card says why.
 * - **Proofs of retrievability**: the storage asset answers `prove` requests (read right on the
 *   range) from its bytes; the memory asset refuses them (`PROOF_NOT_SUPPORTED`): RAM is lost
 *   when the tab closes, so a passing audit would promise what memory does not keep. An audit
 *   (`audit` of the test API, the card's Audit button) draws its chunks from
 *   `crypto.getRandomValues` (lib/ports `cryptoRandom`), so the storing node cannot predict
 *   them, and verifies against the commitment its caller computed from the bytes it wrote
 *   (`commit`): the storing node is never trusted for the commitment. The answer's deadline is
 *   the client's request timeout (30 s); `ms` reports how long it took so a caller can judge.
 * - **Service ports**: the memory asset answers on port 1 (`REMOTE_MEMORY_PORT`) of its
 *   GlobalAddress, the storage asset on port 2 (`STORAGE_PORT`), both over the remote memory
 *   protocol; the others, with no protocol yet, have port 0. A storage asset saved with port 0
 *   (before storage was served) moves to port 2 when loaded; if it was registered on the ledger,
 *   that registration is retired and the asset renewed (the ledger cannot change a port).
 * - **Order of checks** on a request: frame, token present (`NO_CAPABILITY`), the capability
 *   (`CAPABILITY_*`), then the owner's settings — paused (`ASSET_PAUSED`), level does not reach
 *   this peer (`ASSET_NOT_SHARED`) — then the address and range (`NOT_FOUND`, `OUT_OF_RANGE`).
 *   The capability comes first so that a peer without one learns nothing about the asset.
 * - **Who is a direct peer** (`mayReach`'s relation): a peer with a direct WebRTC link to this
 *   tab. A tab knows no other node of its owner, so `private-network` reaches nobody yet.
 * - **Verifier**: the server's `authorize` port is synchronous, so tokens are checked with the
 *   project's Ed25519 rule in JavaScript (`verifyByRule`), with a verdict cache: a token is used
 *   for many requests, and only its first use costs a verification.
 * - **Grants**: signed with the node's key (root issuer = the owner the server checks), only
 *   within the bytes the memory (or storage) asset serves, valid from now for 1 ms to 30 days, a
 *   fresh nonce each. There is no revocation yet: Pause is the owner's way to stop every access at once.
 * - **Pause**: one switch sets `paused` on every asset; requests are refused from the next one
 *   on. It persists. It does not touch the ledger (lib/assets: pausing is instant and local).
 * - **Test API**: `window.hypermeshAssets` is always there. It does only what the owner can do
 *   from the card in this tab; it gives remote peers nothing.
 * - **Ledger** ({@link syncLedger}): assets at public-network or full-public are registered on
 *   the ledger once this node is; level and share changes are sent as updates; an asset made
 *   narrower is retired. The ledger never takes a retired UUID again, so an asset widened again
 *   after a retirement gets a new ID (and address: capabilities for the old one stop working).
 */
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { measureBrowserResources } from '@/lib/adapters/browser-resources'
import { openIdbKvStore } from '@/lib/adapters/idb-kv-store'
import { putSlotValue, readSlotValue } from '@/lib/adapters/idb-slot'
import {
  handleRemoteMemory,
  remoteMemoryClient,
  type RemoteMemoryClient,
} from '@/lib/adapters/libp2p-remote-memory'
import {
  GOODPUT_PROBE_MAX_BYTES,
  GOODPUT_PROTOCOL,
  handlePerf,
  measureStream,
} from '@/lib/mesh/perf'
import {
  AssetArgumentError,
  InvalidShareError,
  RemoteMemoryError,
  RemoteMemoryFrameError,
  capabilityAuthorizer,
  checkShare,
  createChallenge,
  createRemoteMemoryServer,
  createRetrievabilityProver,
  encodeCapability,
  encodeGlobalAddress,
  formatAssetId,
  formatGlobalAddress,
  formatHypermeshUri,
  globalAddressOf,
  isPrivacyLevel,
  isRegistered,
  issueCapability,
  newAssetId,
  openStoredBytes,
  verifyRetrievability,
  type AssetShare,
  type GlobalAddress,
  type MeasuredCapacity,
  type PrivacyLevel,
  type RemoteMemoryAsset,
  type ResourceReasons,
  type Resources,
  type RetrievabilityResponse,
  type StoredBytes,
} from '@/lib/assets'
import { KeyCheckCache, SignatureCache, verifyByRule } from '@/lib/crypto/ed25519-rule'
import type { MeshNode } from '@/lib/mesh/node'
import { cryptoRandom, systemClock, type SignatureVerifier } from '@/lib/ports'
import {
  ASSETS_SLOT_KEY,
  ASSETS_STORAGE_KEY,
  LEDGER_RETRY_MS,
  LEDGER_SYNC_PERIOD_MS,
  MEASURE_AFTER_JOIN_MS,
  GOODPUT_PROBE_BYTES,
  GOODPUT_PROBE_PEERS,
  GOODPUT_PROBE_TIMEOUT_MS,
  MEASURE_FALLBACK_MS,
  MAX_COMMIT_BYTES,
  MEMORY_GROW_STEP_BYTES,
  MEMORY_SERVE_CAP_BYTES,
  STORAGE_DB_PREFIX,
  STORAGE_SERVE_CAP_BYTES,
  STORAGE_STORE_NAME,
} from './assets-constants'
import {
  AssetAccessError,
  WAITING_VIEW,
  assetAuthorizer,
  base64ToBytes,
  bytesToBase64,
  capacityFromResources,
  checkRange,
  describeAccessError,
  encodeStoredAssets,
  fitShare,
  formatCommitment,
  gateAccess,
  grantFor,
  grantedAssetOf,
  isOwnAssetType,
  linkMeasurements,
  loadStoredAssets,
  measuredLines,
  ownAssetTypes,
  parseAudit,
  planLedgerSync,
  relationOf,
  resolveTarget,
  unknownCapacity,
  type AssetsSlot,
  type AssetsView,
  type FittedShare,
  type GatedAsset,
  type HypermeshAssetsApi,
  type OwnAssetRecord,
  type OwnAssetType,
  type OwnAssetView,
} from './assets-model'
import { meshStore } from './store'

declare global {
  interface Window {
    /** This tab's assets: the card's actions, for e2e tests and curious users. */
    hypermeshAssets?: HypermeshAssetsApi
  }
}

/** What the runtime needs from the node runtime. */
export interface AssetsRuntimeInit {
  node: MeshNode
  /** The node's Ed25519 key: signs capabilities, and its public half is the assets' owner. */
  privateKey: PrivateKey
  /** The tab slot: where the assets are persisted (beside the identity key). */
  slot: number
}

/** One asset while the tab runs. */
interface Live {
  record: OwnAssetRecord
  /** Whether the current measurement gives this type (a stored GPU asset may wait for its GPU). */
  present: boolean
  capacity: MeasuredCapacity
  fitted: FittedShare
  address: GlobalAddress
  addressBytes: Uint8Array
}

/** How long an access waits for a direct link to the target's node before trying anyway, ms. */
const REACH_TIMEOUT_MS = 10_000

/**
 * Goodput of up to {@link GOODPUT_PROBE_PEERS} direct WebRTC links, bytes/s by peer ID: one
 * probe at a time (parallel probes would share the tab's uplink and each report a fraction).
 */
async function measureGoodput(
  libp2p: Libp2p,
  connections: readonly { peerId: string; transport: string }[],
): Promise<Map<string, number>> {
  const peers = [
    ...new Set(connections.filter((c) => c.transport === 'webrtc').map((c) => c.peerId)),
  ].slice(0, GOODPUT_PROBE_PEERS)
  const out = new Map<string, number>()
  for (const peer of peers) {
    try {
      const r = await measureStream(libp2p, peerIdFromString(peer), GOODPUT_PROBE_BYTES, {
        protocol: GOODPUT_PROTOCOL,
        signal: AbortSignal.timeout(GOODPUT_PROBE_TIMEOUT_MS),
      })
      out.set(peer, r.bytes / (r.ms / 1000))
    } catch {
      // An old peer without the protocol, a dropped link, a timeout: this link stays unknown.
    }
  }
  return out
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/**
 * Start this tab's assets: register the pages' slot and `window.hypermeshAssets` now, measure
 * once the node has joined, then serve the memory asset and keep the ledger in step. Call once,
 * after the node has started.
 */
export function startAssets(init: AssetsRuntimeInit): void {
  const { node, privateKey, slot } = init
  const owner = privateKey.publicKey.raw
  let view: AssetsView = WAITING_VIEW
  const listeners = new Set<() => void>()
  let lives: Live[] = []
  let resources: Resources | null = null
  let reasons: ResourceReasons = {}
  // False when the stored assets could not be read: writing then could replace stored IDs.
  let persistable = true
  // What went wrong, by stage, as sentences for the card.
  const problems = new Map<'load' | 'save' | 'serve' | 'storage', string>()
  let ledgerNote: string | null = null
  let memory = new Uint8Array(0)
  // The storage asset's bytes, once opened (null before, or when IndexedDB refused).
  let stored: StoredBytes | null = null
  let client: RemoteMemoryClient | null = null

  const set = (patch: Partial<AssetsView>): void => {
    view = { ...view, ...patch }
    for (const l of listeners) l()
  }

  // ---- views ---------------------------------------------------------------------------------

  const memoryLive = (): Live | undefined =>
    lives.find((l) => l.present && l.record.id.type === 'memory')

  /** Bytes the memory asset serves (whatever the level and pause: the gate decides who reaches). */
  const memorySize = (): number => {
    const m = memoryLive()
    if (m === undefined || !m.fitted.offerable || m.record.settings.share.type !== 'memory')
      return 0
    return Math.min(m.record.settings.share.bytes, MEMORY_SERVE_CAP_BYTES)
  }

  const storageLive = (): Live | undefined =>
    lives.find((l) => l.present && l.record.id.type === 'storage')

  /** Bytes the storage asset serves: min(share, cap), 0 while its bytes cannot be opened. */
  const storageSize = (): number => {
    const l = storageLive()
    if (
      stored === null ||
      l === undefined ||
      !l.fitted.offerable ||
      l.record.settings.share.type !== 'storage'
    ) {
      return 0
    }
    return Math.min(l.record.settings.share.bytes, STORAGE_SERVE_CAP_BYTES)
  }

  const viewOf = (l: Live): OwnAssetView => {
    const { settings } = l.record
    const type = l.record.id.type as OwnAssetType
    const shared = l.fitted.offerable && !settings.paused && settings.level !== 'private'
    return {
      type,
      assetId: formatAssetId(l.record.id),
      globalAddress: formatGlobalAddress(l.address),
      uri: formatHypermeshUri({
        peerId: node.peerId,
        assetUuid: l.record.id.uuid,
        port: l.record.port,
      }),
      level: settings.level,
      paused: settings.paused,
      share: settings.share,
      capacity: l.capacity,
      offerable: l.fitted.offerable,
      why: l.fitted.why,
      measured: resources === null ? [] : measuredLines(type, resources, reasons),
      servedBytes:
        type === 'memory'
          ? shared
            ? memorySize()
            : 0
          : type === 'storage'
            ? shared
              ? storageSize()
              : 0
            : null,
      registered: isRegistered(settings),
    }
  }

  const publish = (): void => {
    const assets = lives.filter((l) => l.present).map(viewOf)
    set({
      assets,
      paused: assets.length > 0 && assets.every((a) => a.paused),
      problem: problems.size === 0 ? null : [...problems.values()].join(' '),
      ledger: ledgerNote,
      noGpu:
        resources === null || resources.gpu !== null
          ? null
          : (reasons.gpu ?? 'WebGPU gave no adapter'),
    })
    meshStore.update({
      assets: assets.map((a) => ({
        assetId: a.assetId,
        globalAddress: a.globalAddress,
        uri: a.uri,
        type: a.type,
        privacy: a.level,
        paused: a.paused,
      })),
    })
  }

  // ---- persistence ---------------------------------------------------------------------------

  let writing: Promise<void> = Promise.resolve()
  /** Persist the records; resolves once written (writes are queued, last one wins). */
  const persist = (): Promise<void> => {
    if (!persistable) return Promise.resolve()
    const value = encodeStoredAssets(lives.map((l) => l.record))
    writing = writing.then(
      () => putSlotValue(slot, ASSETS_STORAGE_KEY, value),
      () => putSlotValue(slot, ASSETS_STORAGE_KEY, value),
    )
    return writing.then(
      () => {
        if (problems.delete('save')) publish()
      },
      (err: unknown) => {
        problems.set(
          'save',
          `Your asset settings apply now but could not be saved (${(err as Error).message}): they will be lost when the tab closes.`,
        )
        publish()
      },
    )
  }

  const liveOf = (record: OwnAssetRecord, present: boolean): Live => {
    const type = record.id.type as OwnAssetType
    const capacity =
      present && resources !== null ? capacityFromResources(type, resources) : unknownCapacity(type)
    const fitted = fitShare(type, record.settings.share, capacity)
    const settings =
      fitted.share === record.settings.share
        ? record.settings
        : { ...record.settings, share: fitted.share }
    const address = globalAddressOf(node.peerId, record.id, record.port)
    return {
      record: { ...record, settings },
      present,
      capacity,
      fitted,
      address,
      addressBytes: encodeGlobalAddress(address),
    }
  }

  // ---- the memory asset ----------------------------------------------------------------------

  /** Drop bytes past what is served (after the share shrank). */
  const trimMemory = (): void => {
    const size = memorySize()
    if (memory.length > size) memory = memory.slice(0, size)
  }

  const memoryAsset: RemoteMemoryAsset = {
    get size() {
      return memorySize()
    },
    read(offset, length) {
      // A view where the bytes exist (the server copies it); zeros past what was ever written.
      if (offset + length <= memory.length) return memory.subarray(offset, offset + length)
      const out = new Uint8Array(length)
      if (offset < memory.length) {
        out.set(memory.subarray(offset, Math.min(memory.length, offset + length)))
      }
      return out
    },
    write(offset, bytes) {
      const end = offset + bytes.length
      if (end > memory.length) {
        // Grown in steps (at least doubling) so a run of small writes does not copy each time.
        const wanted = Math.max(
          end,
          Math.ceil(end / MEMORY_GROW_STEP_BYTES) * MEMORY_GROW_STEP_BYTES,
          memory.length * 2,
        )
        const grown = new Uint8Array(Math.min(memorySize(), wanted))
        grown.set(memory)
        memory = grown
      }
      memory.set(bytes, offset)
    },
  }

  // ---- the storage asset ---------------------------------------------------------------------

  const storageAsset: RemoteMemoryAsset = {
    get size() {
      return storageSize()
    },
    // The server calls these only after its checks, within `size` (0 while `stored` is null).
    read: (offset, length) => stored!.read(offset, length),
    write: (offset, bytes) => stored!.write(offset, bytes),
    prove: (offset, length, challenge) => stored!.prove(offset, length, challenge),
  }

  const gated = (address: Uint8Array): (GatedAsset & { live: Live }) | null => {
    const l = lives.find((x) => x.present && sameBytes(x.addressBytes, address))
    return l === undefined
      ? null
      : {
          settings: l.record.settings,
          offerable: l.fitted.offerable,
          available: l.record.id.type !== 'storage' || stored !== null,
          live: l,
        }
  }

  // Asked on every request: kept until the node's next change (node.state() built the whole
  // state, relay check included, for each small read or write).
  let direct: Set<string> | null = null
  node.addEventListener('change', () => (direct = null))
  const directPeers = (): Set<string> =>
    (direct ??= new Set(
      node
        .state()
        .connections.filter((c) => c.transport === 'webrtc')
        .map((c) => c.peerId),
    ))

  // Ed25519 by the project's rule, synchronously (the server's authorize port is synchronous).
  const keyChecks = new KeyCheckCache(256)
  const verdicts = new SignatureCache(1_024)
  const verifier: SignatureVerifier = {
    verify(publicKey, message, signature) {
      const known = verdicts.get(publicKey, message, signature)
      if (known !== undefined) return known
      const ok = verifyByRule(publicKey, message, signature, keyChecks)
      verdicts.set(publicKey, message, signature, ok)
      return ok
    },
  }

  const server = createRemoteMemoryServer({
    assets: (address) => {
      const m = memoryLive()
      if (m !== undefined && sameBytes(m.addressBytes, address)) return memoryAsset
      const st = storageLive()
      return st !== undefined && sameBytes(st.addressBytes, address) ? storageAsset : null
    },
    authorize: assetAuthorizer({
      capability: capabilityAuthorizer({ owner, verifier }),
      lookup: gated,
      relationOf: (peer) => relationOf(peer, node.peerId, directPeers()),
    }),
    clock: systemClock,
  })

  // ---- actions -------------------------------------------------------------------------------

  const requireReady = (): void => {
    if (view.status !== 'ready') throw new AssetAccessError('NOT_READY')
  }

  const setPrivacy = async (
    type: OwnAssetType,
    level: PrivacyLevel,
    share?: AssetShare,
  ): Promise<void> => {
    requireReady()
    if (!isPrivacyLevel(level)) {
      throw new AssetArgumentError('setPrivacy.level', 'must be a privacy level')
    }
    const index = lives.findIndex((l) => l.present && l.record.id.type === type)
    if (!isOwnAssetType(type) || index < 0) {
      throw new AssetArgumentError(
        'setPrivacy.type',
        'must be the type of one of this tab’s assets',
      )
    }
    const l = lives[index]!
    const next = share ?? l.record.settings.share
    if (share !== undefined) checkShare(type, share, l.capacity)
    else if (level !== 'private' && !l.fitted.offerable) {
      throw new InvalidShareError('unmeasured', l.fitted.why ?? 'This asset cannot be offered.')
    }
    const record = { ...l.record, settings: { ...l.record.settings, level, share: next } }
    lives = lives.map((x, i) => (i === index ? liveOf(record, true) : x))
    trimMemory()
    publish()
    scheduleSync()
    // A lowered storage share gives the disk back: the bytes past it are dropped (only on the
    // owner's choice, never on a new measurement).
    const trimmed =
      type === 'storage' && share !== undefined && stored !== null
        ? stored.truncate(storageSize())
        : null
    await persist()
    await trimmed
  }

  const pause = async (paused: boolean): Promise<void> => {
    requireReady()
    if (typeof paused !== 'boolean') {
      throw new AssetArgumentError('pause.paused', 'must be true or false')
    }
    // Every asset at once, those waiting for their hardware too: "pause" means nothing is offered.
    lives = lives.map((l) => ({
      ...l,
      record: { ...l.record, settings: { ...l.record.settings, paused } },
    }))
    publish()
    await persist()
  }

  const grant: HypermeshAssetsApi['grant'] = async (granteePeerId, request) => {
    requireReady()
    const asset = grantedAssetOf(request)
    const m = asset === 'memory' ? memoryLive() : storageLive()
    if (m === undefined) {
      throw new AssetAccessError(asset === 'memory' ? 'NO_MEMORY_ASSET' : 'NO_STORAGE_ASSET')
    }
    if (asset === 'storage' && stored === null) throw new AssetAccessError('STORAGE_UNAVAILABLE')
    const fields = grantFor(granteePeerId, request, {
      address: m.address,
      servedBytes: asset === 'memory' ? memorySize() : storageSize(),
      now: Date.now(),
      nonce: crypto.getRandomValues(new Uint8Array(16)),
    })
    const token = await issueCapability(fields, {
      publicKey: owner,
      sign: (data) => privateKey.sign(data),
    })
    return bytesToBase64(encodeCapability(token))
  }

  /**
   * The owner's own access through its address: no token needed, but a pause still stops it.
   * Returns the asset the address names.
   */
  const accessOwn = (address: GlobalAddress, offset: number, length: number): RemoteMemoryAsset => {
    const g = gated(encodeGlobalAddress(address))
    const asset =
      g === null
        ? null
        : g.live === memoryLive()
          ? memoryAsset
          : g.live === storageLive()
            ? storageAsset
            : null
    if (g === null || asset === null) throw new AssetAccessError('NOT_FOUND')
    const verdict = gateAccess(g, 'self')
    if (!verdict.ok) throw new AssetAccessError(verdict.code)
    if (offset + length > asset.size) throw new AssetAccessError('OUT_OF_RANGE')
    return asset
  }

  const target = (text: string) => {
    const st = node.state()
    const known = new Set([
      node.peerId,
      ...st.connections.map((c) => c.peerId),
      ...st.nodes.map((n) => n.peerId),
    ])
    return resolveTarget(text, known)
  }

  const client0 = (): RemoteMemoryClient => (client ??= remoteMemoryClient(node.libp2p))
  /**
   * The client, once a direct link to `peerId` is open: the remote memory protocol runs only on
   * direct links, and the mesh may have closed or never made the one to this peer (a tab dialled
   * by it knows no address to dial back with libp2p alone). A failed dial is left to the client,
   * whose own attempt then fails with `UNREACHABLE` and the dial's reason.
   */
  const remote = async (peerId: string): Promise<RemoteMemoryClient> => {
    await node.connect(peerId, { signal: AbortSignal.timeout(REACH_TIMEOUT_MS) }).catch(() => {})
    return client0()
  }

  const asAccessError = (err: unknown): Error => {
    if (err instanceof AssetAccessError) return err
    if (err instanceof RemoteMemoryError || err instanceof RemoteMemoryFrameError) {
      return new AssetAccessError(err.code)
    }
    if (err instanceof Error && err.name === 'TimeoutError') {
      return new AssetAccessError('UNREACHABLE', 'No answer came within 30 s.')
    }
    return err instanceof Error ? err : new Error(String(err))
  }

  const read: HypermeshAssetsApi['read'] = async (text, offset, length, tokenText) => {
    requireReady()
    checkRange(offset, length)
    const token = tokenText === '' ? new Uint8Array(0) : base64ToBytes(tokenText, 'BAD_TOKEN')
    const { peerId, address } = target(text)
    if (peerId === node.peerId) {
      return bytesToBase64(accessOwn(address, offset, length).read(offset, length))
    }
    try {
      return bytesToBase64(
        await (
          await remote(peerId)
        ).read(peerId, encodeGlobalAddress(address), offset, length, token),
      )
    } catch (err) {
      throw asAccessError(err)
    }
  }

  const write: HypermeshAssetsApi['write'] = async (text, offset, bytesText, tokenText) => {
    requireReady()
    const bytes = base64ToBytes(bytesText, 'BAD_BYTES')
    checkRange(offset, bytes.length)
    const token = tokenText === '' ? new Uint8Array(0) : base64ToBytes(tokenText, 'BAD_TOKEN')
    const { peerId, address } = target(text)
    if (peerId === node.peerId) {
      await accessOwn(address, offset, bytes.length).write(offset, bytes)
      return
    }
    try {
      await (await remote(peerId)).write(peerId, encodeGlobalAddress(address), offset, bytes, token)
    } catch (err) {
      throw asAccessError(err)
    }
  }

  const localBytes: HypermeshAssetsApi['localBytes'] = async (offset, length, asset = 'memory') => {
    requireReady()
    checkRange(offset, length)
    if (asset !== 'memory' && asset !== 'storage') throw new AssetAccessError('BAD_ASSET')
    const local = asset === 'memory' ? memoryAsset : storageAsset
    if (offset + length > local.size) throw new AssetAccessError('OUT_OF_RANGE')
    return bytesToBase64(local.read(offset, length))
  }

  const commit: HypermeshAssetsApi['commit'] = async (bytesText) => {
    const bytes = base64ToBytes(bytesText, 'BAD_BYTES')
    if (bytes.length < 1 || bytes.length > MAX_COMMIT_BYTES)
      throw new AssetAccessError('BAD_COMMIT')
    const { root, size } = await createRetrievabilityProver({
      size: bytes.length,
      read: (o, l) => bytes.subarray(o, o + l),
    })
    return formatCommitment(root, size)
  }

  const audit: HypermeshAssetsApi['audit'] = async (text, offset, commitment, k, tokenText) => {
    requireReady()
    const { root, size } = parseAudit(commitment, k)
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(offset + size)) {
      throw new AssetAccessError('BAD_RANGE')
    }
    const token = tokenText === '' ? new Uint8Array(0) : base64ToBytes(tokenText, 'BAD_TOKEN')
    const { peerId, address } = target(text)
    // Unpredictable to the storing node until sent: the soundness of the audit rests on it.
    const challenge = createChallenge(size, k, cryptoRandom)
    const started = performance.now()
    let response: RetrievabilityResponse
    try {
      if (peerId === node.peerId) {
        const own = accessOwn(address, offset, size)
        if (own.prove === undefined) throw new AssetAccessError('PROOF_NOT_SUPPORTED')
        response = await own.prove(offset, size, challenge)
      } else {
        response = await (
          await remote(peerId)
        ).prove(peerId, encodeGlobalAddress(address), offset, size, challenge, token)
      }
    } catch (err) {
      throw asAccessError(err)
    }
    const verdict = verifyRetrievability(root, size, challenge, response)
    const ms = Math.round(performance.now() - started)
    const chunks = challenge.indices.length
    return verdict.ok
      ? { ok: true, chunks, ms }
      : { ok: false, code: verdict.code, message: describeAccessError(verdict.code), chunks, ms }
  }

  // ---- ledger --------------------------------------------------------------------------------

  const sentAt = new Map<string, number>()
  let syncing = false
  // A change made while a round runs is synced by another round right after it.
  let again = false
  let syncTimer: ReturnType<typeof setTimeout> | null = null
  const scheduleSync = (delayMs = 1_000): void => {
    if (syncTimer !== null) clearTimeout(syncTimer)
    syncTimer = setTimeout(() => {
      syncTimer = null
      void syncLedger()
    }, delayMs)
  }

  /**
   * LEDGER REGISTRATION — the one place where this tab's assets meet the ledger (chain requests
   * `assets`, `registerAsset`, `updateAsset`, `retireAsset` of lib/chain/worker-protocol.ts).
   * Compares the assets with this node's registrations and sends what differs
   * (assets-model.ts `planLedgerSync`). Waits until this node is registered and its chain has
   * caught up (a transaction stamped while old blocks replay looks too new). A transaction is not
   * sent again for the same asset within {@link LEDGER_RETRY_MS}: the next round sees whether it
   * landed. Failures end up in the card as a sentence; the assets keep working locally.
   */
  async function syncLedger(): Promise<void> {
    if (syncing) {
      again = true
      return
    }
    const summary = meshStore.getSnapshot().ledger.summary
    if (resources === null || summary === null || !summary.registered) return
    if (Date.now() - summary.time > 30_000) return
    syncing = true
    const noteBefore = ledgerNote
    try {
      const { chainRequest } = await import('./chain-bridge')
      const onChain = await chainRequest('assets', {
        owner: summary.publicKey,
        includeRetired: true,
        limit: 1_000,
      })
      // A stored asset waiting for its hardware (a GPU gone for now) is left as registered.
      const waiting = new Set(
        lives.filter((l) => !l.present).map((l) => formatAssetId(l.record.id)),
      )
      const present = lives.filter((l) => l.present)
      const plan = planLedgerSync(
        present.map((l) => ({
          id: formatAssetId(l.record.id),
          settings: l.record.settings,
          offerable: l.fitted.offerable,
          port: l.record.port,
        })),
        onChain.filter((a) => !waiting.has(a.id)),
      )
      const now = Date.now()
      let renewed = false
      for (const action of plan) {
        if ((sentAt.get(action.id) ?? -Infinity) > now - LEDGER_RETRY_MS) continue
        const l = present.find((x) => formatAssetId(x.record.id) === action.id)
        if (action.kind === 'retire') {
          sentAt.set(action.id, now)
          await chainRequest('retireAsset', { id: action.id })
          continue
        }
        if (l === undefined) continue
        const { level, share } = l.record.settings
        if (action.kind === 'renew') {
          // The ledger never takes a retired UUID again: the asset starts over under a new ID.
          const type = l.record.id.type as OwnAssetType
          const record: OwnAssetRecord = {
            ...l.record,
            id: newAssetId(type, crypto.getRandomValues(new Uint8Array(16))),
            createdUs: Date.now() * 1_000,
          }
          lives = lives.map((x) => (x === l ? liveOf(record, true) : x))
          renewed = true
          continue
        }
        sentAt.set(action.id, now)
        if (action.kind === 'register') {
          await chainRequest('registerAsset', {
            id: action.id,
            port: l.record.port,
            level,
            share,
            resources,
            createdUs: l.record.createdUs,
          })
        } else {
          await chainRequest('updateAsset', { id: action.id, level, share, resources })
        }
      }
      if (renewed) {
        publish()
        await persist()
      }
      // Look again soon rather than at the next period: did the transactions land?
      if (plan.length > 0) again = true
      const listed = present.filter((l) => l.fitted.offerable && isRegistered(l.record.settings))
      ledgerNote =
        plan.length > 0
          ? 'Bringing the ledger in line with your choices (registering, updating or withdrawing assets)…'
          : listed.length === 0
            ? null
            : `Registered on the ledger: ${listed.map((l) => l.record.id.type).join(', ')}.`
    } catch (err) {
      ledgerNote = `The ledger registration of your public assets failed: ${(err as Error).message}. It is tried again shortly.`
    } finally {
      syncing = false
      // Each publish re-renders the page: only when there is something new to show.
      if (ledgerNote !== noteBefore) publish()
      if (again) {
        again = false
        scheduleSync(3_000)
      }
    }
  }

  // ---- start ---------------------------------------------------------------------------------

  const run = async (): Promise<void> => {
    set({ status: 'measuring' })
    // The storage asset's bytes load while the resources are measured.
    const storageOpened = openIdbKvStore(`${STORAGE_DB_PREFIX}${slot}`, STORAGE_STORE_NAME)
      .then((kv) => openStoredBytes(kv, { maxBytes: STORAGE_SERVE_CAP_BYTES }))
      .then(
        (bytes) => {
          stored = bytes
        },
        (err: unknown) => {
          problems.set(
            'storage',
            `Your storage asset serves nothing: its stored bytes could not be opened (${(err as Error).message}). Reload the tab to try again.`,
          )
        },
      )
    const saved = readSlotValue<unknown>(slot, ASSETS_STORAGE_KEY).catch((err: unknown) => {
      persistable = false
      problems.set(
        'load',
        `Your saved asset settings could not be read (${(err as Error).message}): this tab uses defaults and will not save changes until it is reopened.`,
      )
      return undefined
    })
    let report
    try {
      const connections = node.state().connections
      const goodput = await measureGoodput(node.libp2p, connections)
      report = await measureBrowserResources({
        links: linkMeasurements(connections, goodput),
        signal: AbortSignal.timeout(60_000),
      })
    } catch (err) {
      set({
        status: 'failed',
        problem: `This tab’s resources could not be measured: ${(err as Error).message}. Reload the page to try again.`,
      })
      return
    }
    resources = report.resources
    reasons = report.reasons
    const types = ownAssetTypes(report.resources)
    const capacities: Partial<Record<OwnAssetType, MeasuredCapacity>> = {}
    for (const t of types) capacities[t] = capacityFromResources(t, report.resources)
    const loaded = loadStoredAssets(await saved, {
      types,
      capacities,
      random16: () => crypto.getRandomValues(new Uint8Array(16)),
      nowUs: Date.now() * 1_000,
    })
    if ((loaded.dropped > 0 || loaded.reset > 0) && !problems.has('load')) {
      problems.set(
        'load',
        'Some saved asset settings were damaged and were replaced by the defaults (private). Check your choices below.',
      )
    }
    lives = loaded.records.map((r) => liveOf(r, types.includes(r.id.type as OwnAssetType)))
    const shareChanged = lives.some((l, i) => l.record.settings !== loaded.records[i]!.settings)
    await storageOpened
    try {
      await handleRemoteMemory(node.libp2p, server)
    } catch (err) {
      problems.set('serve', `The memory asset cannot be served: ${(err as Error).message}.`)
    }
    set({ status: 'ready', tookMs: report.tookMs })
    publish()
    if (loaded.changed || shareChanged) await persist()
    setInterval(() => void syncLedger(), LEDGER_SYNC_PERIOD_MS)
    scheduleSync()
  }

  // Peers measure their links to this tab from their own join on: answer from the start.
  handlePerf(node.libp2p, {
    protocol: GOODPUT_PROTOCOL,
    maxBytes: GOODPUT_PROBE_MAX_BYTES,
    maxInboundStreams: 1,
  }).catch(() => undefined)

  const api: HypermeshAssetsApi = {
    setPrivacy,
    pause,
    grant,
    read,
    write,
    localBytes,
    commit,
    audit,
  }
  const handle: AssetsSlot = {
    ...api,
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    get: () => view,
  }
  ;(globalThis as { [ASSETS_SLOT_KEY]?: AssetsSlot })[ASSETS_SLOT_KEY] = handle
  if (typeof window !== 'undefined') window.hypermeshAssets = api

  let started = false
  const begin = (): void => {
    if (started) return
    started = true
    void run()
  }
  const onJoined = (): void => {
    if (node.state().firstDirectAt === null) return
    node.removeEventListener('change', onJoined)
    setTimeout(begin, MEASURE_AFTER_JOIN_MS)
  }
  node.addEventListener('change', onJoined)
  onJoined()
  setTimeout(begin, MEASURE_FALLBACK_MS)
}

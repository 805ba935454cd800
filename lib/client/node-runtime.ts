import { certificatePemToDer } from '@/lib/trustchain/pem'
import { claimSlot, loadSlotIdentity } from '@/lib/adapters/idb-identity'
import { createMeshNode } from '@/lib/mesh/libp2p-config'
import { parseBootstrapAnswer, type BootstrapAnswer } from '@/lib/mesh/bootstrap-answer'
import type { MeshNode, MeshNodeState } from '@/lib/mesh/node'
import { meshStore } from './store'
import { NODE_KEY, tabGlobal } from './boot-state'
import { takeEarlyStart } from './early-start'
import { fetchBootstrapJson } from './bootstrap-fetch'
import type { MeshSnapshot, MeshStatus } from './types'
import { exposeTestApi } from './test-api'
import { exposeBenchApi } from './bench-api'
import { TrustchainGuard } from '@/lib/trustchain/guard'
import { connectionTransport } from '@/lib/mesh/transport'
import type { TabTrustchain } from './trustchain-runtime'
import { registerMfn } from './mfn-bridge'

const tab = tabGlobal as { [NODE_KEY]?: Promise<MeshNode> | null }

/**
 * Start this tab's node once. The guard lives on `globalThis`, not in this module: the boot
 * script (boot-entry.ts) and the site's fallback import are separate bundles with a copy each,
 * and React StrictMode mounts effects twice.
 */
export function startNode(): Promise<MeshNode> {
  tab[NODE_KEY] ??= boot().catch((err: unknown) => {
    meshStore.update({
      status: 'offline',
      problem: `This tab could not start its node: ${err instanceof Error ? err.message : String(err)}. Reload the page to try again.`,
    })
    tab[NODE_KEY] = null
    throw err
  })
  return tab[NODE_KEY]
}

async function fetchBootstrap(
  peerId: string | null,
  options?: { signal?: AbortSignal },
): Promise<BootstrapAnswer> {
  return parseBootstrapAnswer(await fetchBootstrapJson(peerId, options))
}

async function boot(): Promise<MeshNode> {
  const startedAt = performance.timeOrigin
  meshStore.update({ startedAt, status: 'starting' })
  exposeTestApi()
  // Marks (performance.getEntriesByType('mark')) show where join time goes; the bench reads them.
  performance.mark('hypermesh:boot')
  // The early script (early-entry.ts) may already have taken the slot, started reading its key
  // and asked where the relay is; otherwise start all three now. The bootstrap answer is needed
  // only once libp2p runs, so it is fetched while the identity loads. (Our own ID is filtered out
  // by the node.)
  const early = takeEarlyStart()
  let prefetched: Promise<BootstrapAnswer> | null =
    early === null
      ? fetchBootstrap(null, { signal: AbortSignal.timeout(10_000) })
      : early.bootstrap.then(parseBootstrapAnswer)
  prefetched.catch(() => undefined)
  const slot = await (early?.slot ?? claimSlot())
  performance.mark('hypermesh:slot')
  const privateKey = await loadSlotIdentity(slot, early?.key)
  performance.mark('hypermesh:identity')
  const nav = navigator as Navigator & { deviceMemory?: number }
  const node = await createMeshNode({
    privateKey,
    platform: 'browser',
    appVersion: process.env.NEXT_PUBLIC_APP_VERSION ?? '0.0.0',
    capabilities: {
      cores: typeof nav.hardwareConcurrency === 'number' ? nav.hardwareConcurrency : null,
      memoryGiB: typeof nav.deviceMemory === 'number' ? nav.deviceMemory : null,
      platform: 'browser',
    },
    ...tuning(),
    fetchBootstrap: (peerId, o) => {
      const pending = prefetched ?? fetchBootstrap(peerId, o)
      prefetched = null
      return pending
    },
  })
  performance.mark('hypermesh:libp2p')
  meshStore.update({ peerId: node.peerId, slot, status: 'connecting' })

  let scheduled = false
  const publish = (): void => {
    if (scheduled) return
    scheduled = true
    // Each store update re-renders the page, and with a dozen peers something changes several
    // times a second (heartbeats, RTTs). While joining, the user watches every step: at most 4
    // updates a second; once joined, one a second is live enough and keeps an idle tab cheap
    // (with 15 tabs on a 2-core machine, 4/s cost a third of the machine: docs/performance.md).
    const joined = node.state().firstDirectAt !== null
    setTimeout(
      () => {
        scheduled = false
        refreshTrust()
        meshStore.update({ ...toSnapshot(node.state(), startedAt), ...trustState })
      },
      joined ? 1_000 : 250,
    )
  }
  // TrustChain (DESIGN.md §3): every direct link passes the certificate handshake. The guard is
  // registered before the node dials anyone; the client that checks certificates loads on the side.
  let trust: Promise<TabTrustchain> | null = null
  let trustClient: TabTrustchain['client'] | null = null
  const trustchain = (): Promise<TabTrustchain> =>
    (trust ??= import('./trustchain-runtime').then((m) => {
      const t = m.createTabTrustchain(slot, privateKey)
      t.client.addEventListener('change', publish)
      trustClient = t.client
      return t
    }))
  const guard = new TrustchainGuard(
    {},
    {
      libp2p: node.libp2p,
      localHello: async ({ signal }) => (await trustchain()).hello({ signal }),
      verify: async (peerId, hello) => (await trustchain()).verifyHello(peerId, hello),
      guards: (c) => connectionTransport(c) === 'webrtc',
    },
  )
  guard.addEventListener('change', () => {
    // A peer that failed a check is not redialled for a minute: the refusal would only repeat.
    for (const v of guard.verdicts()) {
      // Only a failed check is a reason to stay away; a handshake that timed out or broke
      // (e.g. the CA was restarting) is redialled as usual.
      const failedCheck = v.reason?.check !== undefined
      if ((v.state === 'refused' || v.state === 'refused-by-peer') && failedCheck) {
        node.avoid(v.peerId, 60_000)
      }
    }
    publish()
  })
  await guard.start()
  let trustState: Partial<MeshSnapshot> = {}
  const refreshTrust = (): void => {
    const verdicts: MeshSnapshot['verdicts'] = {}
    for (const v of guard.verdicts()) {
      verdicts[v.connectionId] = { state: v.state, reason: v.reason, logIndex: v.logIndex }
    }
    const client = trustClient
    const held = client?.certificate() ?? null
    trustState = {
      verdicts,
      refusals: guard.refusals().map((r) => ({
        peerId: r.peerId,
        at: r.at,
        state: r.state,
        reason: r.reason,
        logIndex: r.logIndex,
      })),
      certificate:
        held === null
          ? null
          : {
              pem: held.pem,
              serial: held.serial,
              logIndex: held.logIndex,
              notBefore: held.notBefore,
              notAfter: held.notAfter,
            },
      trustProblem: client?.problem ?? null,
      checkpointSize: client?.newestCheckpoint()?.size ?? null,
    }
  }

  // Each mark once (a flag, not a lookup in the performance timeline: change events are frequent).
  let markedRelay = false
  let markedDirect = false
  node.addEventListener('change', () => {
    if (!markedRelay || !markedDirect) {
      const st = node.state()
      if (!markedRelay && st.relayConnected) {
        markedRelay = true
        performance.mark('hypermesh:relay')
      }
      if (!markedDirect && st.firstDirectAt !== null) {
        markedDirect = true
        performance.mark('hypermesh:direct')
      }
    }
    publish()
  })
  setInterval(publish, 1_000)
  await node.start()
  publish()
  registerMfn(node)
  // Work that follows the join waits for it: on a busy machine a join takes seconds, and a
  // certificate request, the assets bundle or the ledger's worker started on a timer from boot
  // would compete with the join's own handshakes for the same cores. A tab that stays alone still
  // gets them, POST_JOIN_FALLBACK_MS after its node started.
  // The certificate: as soon as the node has joined (its first link's handshake wants it).
  afterJoin(node, 0, () => {
    void trustchain().then((t) => t.client.start().catch(() => undefined))
  })
  // This tab's assets (lib/client/assets-runtime.ts): measured a few seconds after the join, then
  // offered under the owner's privacy settings.
  afterJoin(node, 500, () => {
    void import('./assets-runtime').then((m) => m.startAssets({ node, privateKey, slot }))
  })
  // The ledger (consensus worker) starts 2 s after the node has joined, or after 5 s alone (a lone
  // tab with only the server's anchor validator still gets its chain).
  let chainStarted = false
  const startLedger = () => {
    if (chainStarted) return
    chainStarted = true
    void import('./chain-bridge').then((m) =>
      m.startChain({
        libp2p: node.libp2p,
        privateKey,
        slot,
        relayPeerId: () => node.state().relayPeerId,
        certificate: () => {
          const held = trustClient?.certificate() ?? null
          const der = held === null ? null : certificatePemToDer(held.pem)
          return held === null || der === null ? null : { der, notAfter: held.notAfter }
        },
        onCertificateChange: (listener) => {
          let last: string | null = null
          const check = () => {
            const pem = trustClient?.certificate()?.pem ?? null
            if (pem !== null && pem !== last) {
              last = pem
              listener()
            }
          }
          setInterval(check, 2_000)
        },
      }),
    )
  }
  afterJoin(node, 2_000, startLedger)
  if (new URLSearchParams(location.search).has('bench')) await exposeBenchApi(node)
  return node
}

/** A tab that never joins starts its post-join work this long after its node started. */
const POST_JOIN_FALLBACK_MS = 5_000

/**
 * Run `fn` once, `delayMs` after the node's first direct link — or POST_JOIN_FALLBACK_MS after
 * this call if the node has not joined by then (a lone tab).
 */
function afterJoin(node: MeshNode, delayMs: number, fn: () => void): void {
  let done = false
  const run = () => {
    if (done) return
    done = true
    node.removeEventListener('change', onChange)
    clearTimeout(fallback)
    fn()
  }
  const onChange = () => {
    if (node.state().firstDirectAt === null) return
    node.removeEventListener('change', onChange)
    setTimeout(run, delayMs)
  }
  const fallback = setTimeout(run, POST_JOIN_FALLBACK_MS)
  node.addEventListener('change', onChange)
  onChange()
}

/** Per-tab tuning from the URL (`?peers=16&target=6`), for experiments and load tests. */
function tuning(): { maxDirectPeers?: number; targetDirectPeers?: number } {
  const q = new URLSearchParams(location.search)
  const int = (k: string): number | undefined => {
    const v = Number(q.get(k))
    return Number.isInteger(v) && v > 0 && v <= 64 ? v : undefined
  }
  const max = int('peers')
  const target = int('target')
  return {
    ...(max !== undefined ? { maxDirectPeers: max } : {}),
    ...(target !== undefined ? { targetDirectPeers: Math.min(target, max ?? 16) } : {}),
  }
}

function statusOf(s: MeshNodeState): MeshStatus {
  if (s.connections.some((c) => c.transport === 'webrtc')) return 'direct'
  if (s.relayConnected) return 'relay-only'
  return s.relayError !== null ? 'offline' : 'connecting'
}

function toSnapshot(s: MeshNodeState, startedAt: number): Partial<MeshSnapshot> {
  return {
    peerId: s.peerId,
    status: statusOf(s),
    problem: s.relayError,
    nextRetryAt: s.nextRetryAt,
    relayConnected: s.relayConnected,
    relayPeerId: s.relayPeerId,
    connections: s.connections,
    nodes: s.nodes,
    coordinate: s.coordinate,
    heartbeats: s.heartbeats,
    connectionsCreated: s.connectionsCreated,
    dials: s.dials,
    joinMs: s.firstDirectAt === null ? null : Math.round(s.firstDirectAt - startedAt),
  }
}

/**
 * This tab's MFN router at work (DESIGN.md §6): the bridge between the node and the MFN worker
 * (workers/mfn.worker.ts), and what the /mfn page shows.
 *
 * Until the Catalog brings other people's jobs (issue [6]), the jobs this node routes are probe
 * jobs: while someone watches /mfn, once a second the router picks one of the tab's direct WebRTC
 * peers and the node pings it (libp2p ping); the round trip is the job's outcome (a failed ping
 * is a failed job). The candidates are what the node really knows: each peer's RTT predicted from
 * the Vivaldi coordinates in its heartbeats, and this router's own pings in flight; queue lengths
 * and speeds are not announced yet, so they are given as unknown. When nobody watches, no worker
 * runs and no probe is sent: an idle tab pays nothing for it.
 *
 * It lives in the node's bundle (boot.js) and is reached by the page through a slot on
 * globalThis, as the chain bridge is.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { CandidateView, JobView } from '@/lib/mfn/types'
import type { MfnSnapshot } from '@/lib/mfn/router'
import type { MfnRequest, MfnResponse } from '@/lib/mfn/worker-protocol'
import { distanceMs } from '@/lib/mesh/vivaldi'
import type { MeshNode } from '@/lib/mesh/node'
import { MFN_SLOT_KEY } from './mfn-constants'

/** One probe job: where it went and how it ended. */
export interface ProbeRecord {
  at: number
  peerId: string
  /** Round trip in ms; null while in flight. */
  latencyMs: number | null
  ok: boolean | null
  /** Time of the router's `choose` in the worker, µs. */
  decisionMicros: number
  /** The race: the winner's spike time, the runner-up and its spike time (ms after the start). */
  winnerSpikeMs: number | null
  runnerUpPeerId: string | null
  runnerUpSpikeMs: number | null
}

/** What the /mfn page reads. */
export interface MfnView {
  status: 'idle' | 'starting' | 'running' | 'failed'
  /** A sentence for the page when something is missing or wrong. */
  problem: string | null
  snapshot: MfnSnapshot | null
  /** Peer ID of each candidate id the router knows. */
  peers: Record<number, string>
  /** The last probe jobs, newest last. */
  probes: ProbeRecord[]
}

/** The page's handle, on globalThis under MFN_SLOT_KEY. */
export interface MfnSlot {
  subscribe(listener: () => void): () => void
  get(): MfnView
}

/** One probe job a second while watched. */
const PROBE_PERIOD_MS = 1_000
/** Snapshot refresh for the page. */
const SNAPSHOT_PERIOD_MS = 250
/** A ping not answered by then is a failed job. */
const PROBE_TIMEOUT_MS = 5_000
const KEEP_PROBES = 30
/** The job class of probe jobs. */
const PROBE_JOB: JobView = { jobClass: 0, sizeHint: null }

const IDLE: MfnView = { status: 'idle', problem: null, snapshot: null, peers: {}, probes: [] }

/**
 * Register the slot the /mfn page subscribes to. The worker starts with the first subscriber and
 * stops (terminated) a few seconds after the last one leaves.
 */
export function registerMfn(node: MeshNode): void {
  let view: MfnView = IDLE
  const listeners = new Set<() => void>()
  const set = (patch: Partial<MfnView>): void => {
    view = { ...view, ...patch }
    for (const l of listeners) l()
  }
  let worker: Worker | null = null
  let timers: ReturnType<typeof setInterval>[] = []
  let stopTimer: ReturnType<typeof setTimeout> | null = null
  let nextId = 1
  const waiting = new Map<number, (r: MfnResponse) => void>()
  const ids = new Map<string, number>()
  const inFlight = new Map<number, number>()
  const idOf = (peerId: string): number => {
    let id = ids.get(peerId)
    if (id === undefined) {
      id = ids.size
      ids.set(peerId, id)
      set({ peers: { ...view.peers, [id]: peerId } })
    }
    return id
  }

  const ask = (msg: MfnRequest & { id: number }): Promise<MfnResponse> =>
    new Promise((resolve) => {
      waiting.set(msg.id, resolve)
      worker?.postMessage(msg)
    })

  const probe = async (): Promise<void> => {
    const st = node.state()
    const direct = st.connections.filter((c) => c.transport === 'webrtc')
    if (direct.length === 0) {
      set({ problem: 'No direct peer yet: there is nobody to route a job to.' })
      return
    }
    const own = st.coordinate
    const coords = new Map(st.nodes.map((n) => [n.peerId, n.coordinate]))
    const candidates: CandidateView[] = direct.map((c) => {
      const id = idOf(c.peerId)
      const remote = coords.get(c.peerId) ?? null
      let predicted: number | null
      try {
        predicted = own !== null && remote !== null ? distanceMs(own, remote) : null
      } catch {
        predicted = null // a peer announcing a malformed coordinate is "unknown", not an error
      }
      return {
        id,
        predictedRttMs: predicted,
        inFlight: inFlight.get(id) ?? 0,
        reportedQueue: null,
        reportAgeMs: 0,
        capacity: null,
      }
    })
    const answer = await ask({
      type: 'route',
      id: nextId++,
      job: PROBE_JOB,
      candidates,
      now: Math.round(performance.now()),
    })
    if (answer.type !== 'routed') {
      set({
        problem:
          answer.type === 'error' ? `The router refused a decision: ${answer.error.message}` : null,
      })
      return
    }
    const chosen = candidates[answer.index]!
    const peerId = view.peers[chosen.id] ?? ''
    const record: ProbeRecord = {
      at: Date.now(),
      peerId,
      latencyMs: null,
      ok: null,
      decisionMicros: answer.micros,
      winnerSpikeMs: answer.decision?.winnerSpikeMs ?? null,
      runnerUpPeerId:
        answer.decision?.runnerUp == null ? null : (view.peers[answer.decision.runnerUp] ?? null),
      runnerUpSpikeMs: answer.decision?.runnerUpSpikeMs ?? null,
    }
    set({ problem: null, probes: [...view.probes, record].slice(-KEEP_PROBES) })
    inFlight.set(chosen.id, (inFlight.get(chosen.id) ?? 0) + 1)
    const t0 = performance.now()
    let ok = true
    try {
      await node.libp2p.services.ping.ping(peerIdFromString(peerId), {
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      })
    } catch {
      ok = false
    }
    const latencyMs = performance.now() - t0
    inFlight.set(chosen.id, Math.max(0, (inFlight.get(chosen.id) ?? 1) - 1))
    worker?.postMessage({
      type: 'feedback',
      outcome: {
        candidate: chosen.id,
        job: PROBE_JOB,
        latencyMs,
        ok,
        now: Math.round(performance.now()),
      },
    } satisfies MfnRequest)
    set({ probes: view.probes.map((p) => (p === record ? { ...p, latencyMs, ok } : p)) })
  }

  const start = (): void => {
    if (stopTimer !== null) {
      clearTimeout(stopTimer)
      stopTimer = null
    }
    if (worker !== null) return
    set({ status: 'starting', problem: null })
    try {
      worker = new Worker('/node/mfn-worker.js', { type: 'module', name: 'mfn' })
    } catch (err) {
      set({
        status: 'failed',
        problem: `The MFN worker could not start: ${(err as Error).message}`,
      })
      return
    }
    worker.addEventListener('message', (e: MessageEvent<MfnResponse>) => {
      const r = e.data
      if (r.type === 'error' && r.id === null) {
        set({ problem: `The MFN worker reported: ${r.error.message}` })
        return
      }
      const done = waiting.get(r.id ?? -1)
      if (done !== undefined) {
        waiting.delete(r.id!)
        done(r)
      }
    })
    worker.addEventListener('error', (e) => {
      set({
        status: 'failed',
        problem: `The MFN worker stopped: ${e.message}. Reload the page to try again.`,
      })
    })
    set({ status: 'running' })
    timers = [
      setInterval(() => void probe().catch(() => undefined), PROBE_PERIOD_MS),
      setInterval(() => {
        void ask({ type: 'snapshot', id: nextId++, now: Math.round(performance.now()) }).then(
          (r) => {
            if (r.type === 'snapshot') set({ snapshot: r.snapshot })
          },
        )
      }, SNAPSHOT_PERIOD_MS),
    ]
  }

  const stop = (): void => {
    for (const t of timers) clearInterval(t)
    timers = []
    worker?.terminate()
    worker = null
    waiting.clear()
    inFlight.clear()
    set({ status: 'idle' })
  }

  const slot: MfnSlot = {
    subscribe(listener) {
      listeners.add(listener)
      start()
      return () => {
        listeners.delete(listener)
        if (listeners.size === 0) stopTimer ??= setTimeout(stop, 5_000)
      }
    },
    get: () => view,
  }
  ;(globalThis as { [MFN_SLOT_KEY]?: MfnSlot })[MFN_SLOT_KEY] = slot
}

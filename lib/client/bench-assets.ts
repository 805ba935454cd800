/**
 * What `npm run bench -- assets` (bench/assets.ts) runs inside a tab: remote memory operations
 * against the raw baseline (lib/mesh/bench-echo.ts) and the resource adapter's measurement,
 * reached as `window.hypermeshBench.assets` on pages opened with `?bench` only.
 *
 * A bundle of its own (scripts/build-node.mjs → public/node/bench-assets.js), loaded by
 * bench-api.ts on bench pages: none of it is in the script every tab compiles.
 *
 * The loops run in the page so that one measured operation costs no Playwright round trip; each
 * operation is timed with `performance.now()` (100 µs resolution in a Chromium page that is not
 * cross-origin isolated: small latencies come out in steps of 0.1 ms).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { measureBrowserResources } from '@/lib/adapters/browser-resources'
import { remoteMemoryClient } from '@/lib/adapters/libp2p-remote-memory'
import {
  FRAME_PREFIX_BYTES,
  REQUEST_HEADER_BYTES,
  RESPONSE_HEADER_BYTES,
  calibrateCpu,
  encodeGlobalAddress,
  parseGlobalAddress,
  type ResourceTimings,
} from '@/lib/assets'
import { benchEchoClient, benchEchoRequest, handleBenchEcho } from '@/lib/mesh/bench-echo'
import type { MeshNode } from '@/lib/mesh/node'
import { ASSETS_SLOT_KEY } from './assets-constants'
import { base64ToBytes, bytesToBase64, linkMeasurements, type AssetsSlot } from './assets-model'

/** One series of operations, all of one kind and size, one after another. */
export interface AssetsOpsRequest {
  /**
   * `memory`: the remote memory client (lib/adapters/libp2p-remote-memory.ts) over
   * `/hypermesh/memory/1`; `raw`: the bench echo protocol with frames of the same sizes;
   * `page`: `window.hypermeshAssets` (base64 in and out, target parsing, the runtime's client).
   */
  via: 'memory' | 'raw' | 'page'
  op: 'read' | 'write'
  /** The owner's peer ID. */
  peerId: string
  /** Text form of the memory asset's global address. */
  address: string
  /** The capability token, base64 (its length also sizes the raw requests). */
  token: string
  /** Payload bytes per operation, 1 … 1 MiB. */
  bytes: number
  /** Operations in the series. */
  count: number
  /** Offsets cycle over the first `span` bytes of the asset, in steps of `bytes`. */
  span: number
}

/** What a series measured. */
export interface AssetsOpsResult {
  /** Each operation's time, ms, in order. */
  ms: number[]
  /** From the first operation's start to the last one's end, ms. */
  totalMs: number
  /** Payload bytes moved. */
  bytes: number
}

/** One run of the browser adapter's measurement (lib/adapters/browser-resources.ts). */
export interface AdapterRun {
  tookMs: ResourceTimings
  /** Calibration score (units/s) and the wall time the adapter recorded for it, or null. */
  cpuScore: number | null
  calibrationMs: number | null
  /** IndexedDB write probe, bytes/s, or null. */
  storageWriteBytesPerSecond: number | null
  /** Why a part came out null (only the parts' own reasons). */
  reasons: Record<string, string>
}

/** `window.hypermeshBench.assets`. */
export interface AssetsBenchApi {
  ops(request: AssetsOpsRequest): Promise<AssetsOpsResult>
  /** Run the browser adapter's whole measurement once, as the assets runtime does at the join. */
  measureResources(): Promise<AdapterRun>
  /**
   * The baseline of the CPU part: the same calibration (`calibrateCpu`, same phases) run
   * directly on this page's thread, without the adapter's worker.
   */
  calibrateDirect(): Promise<{ totalMs: number; unitsPerSecond: number; measuredMs: number }>
  /** How long each part of the assets runtime's own measurement took (null before it ran). */
  runtimeTookMs(): ResourceTimings | null
}

const MAX_OP_BYTES = 1024 * 1024

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n)
  // getRandomValues fills at most 65,536 bytes per call.
  for (let i = 0; i < n; i += 65_536)
    crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65_536)))
  return out
}

/**
 * Register the bench echo protocol on this node and build the tab's assets bench API. Bench
 * pages only: the echo protocol answers any peer with up to 2 MiB per request.
 */
export async function benchAssetsApi(node: MeshNode): Promise<AssetsBenchApi> {
  await handleBenchEcho(node.libp2p)
  const memory = remoteMemoryClient(node.libp2p)
  const echo = benchEchoClient(node.libp2p)

  async function ops(r: AssetsOpsRequest): Promise<AssetsOpsResult> {
    if (!Number.isInteger(r.bytes) || r.bytes < 1 || r.bytes > MAX_OP_BYTES) {
      throw new RangeError(`ops: bytes must be an integer in 1…${MAX_OP_BYTES}`)
    }
    if (!Number.isInteger(r.count) || r.count < 1) throw new RangeError('ops: count must be ≥ 1')
    if (!Number.isInteger(r.span) || r.span < r.bytes) throw new RangeError('ops: span < bytes')
    const peer = peerIdFromString(r.peerId)
    const address = encodeGlobalAddress(parseGlobalAddress(r.address))
    const token = base64ToBytes(r.token, 'BAD_TOKEN')
    const slots = Math.floor(r.span / r.bytes)
    const offsetOf = (i: number): number => (i % slots) * r.bytes
    const payload = randomBytes(r.bytes)
    const write = r.op === 'write'
    let run: (i: number) => Promise<void>
    if (r.via === 'memory') {
      run = write
        ? (i) => memory.write(peer, address, offsetOf(i), payload, token)
        : async (i) => {
            await memory.read(peer, address, offsetOf(i), r.bytes, token)
          }
    } else if (r.via === 'raw') {
      // The same bytes each way as the remote memory frames of this operation.
      const requestBytes =
        FRAME_PREFIX_BYTES + REQUEST_HEADER_BYTES + token.length + (write ? r.bytes : 0)
      const answerBytes = FRAME_PREFIX_BYTES + RESPONSE_HEADER_BYTES + (write ? 0 : r.bytes)
      const frame = benchEchoRequest(requestBytes, answerBytes)
      run = async () => {
        const answer = await echo.request(peer, frame)
        if (answer.length !== answerBytes) throw new Error(`echo: ${answer.length} bytes`)
      }
    } else {
      const api = window.hypermeshAssets
      if (api === undefined) throw new Error('window.hypermeshAssets is missing')
      const text = bytesToBase64(payload)
      run = write
        ? (i) => api.write(r.address, offsetOf(i), text, r.token)
        : async (i) => {
            await api.read(r.address, offsetOf(i), r.bytes, r.token)
          }
    }
    const ms: number[] = []
    const t0 = performance.now()
    for (let i = 0; i < r.count; i++) {
      const s = performance.now()
      await run(i)
      ms.push(performance.now() - s)
    }
    return { ms, totalMs: performance.now() - t0, bytes: r.bytes * r.count }
  }

  return {
    ops,
    async measureResources() {
      const report = await measureBrowserResources({
        links: linkMeasurements(node.state().connections),
        signal: AbortSignal.timeout(60_000),
      })
      const { resources, reasons, tookMs } = report
      const own: Record<string, string> = {}
      for (const k of ['cpu.score', 'storage.writeBytesPerSecond', 'gpu'] as const) {
        if (reasons[k] !== undefined) own[k] = reasons[k]
      }
      return {
        tookMs,
        cpuScore: resources.cpu.score,
        calibrationMs: resources.cpu.calibrationMs,
        storageWriteBytesPerSecond: resources.storage.writeBytesPerSecond,
        reasons: own,
      }
    },
    async calibrateDirect() {
      const c = await calibrateCpu(() => performance.now())
      return { totalMs: c.totalMs, unitsPerSecond: c.unitsPerSecond, measuredMs: c.measuredMs }
    },
    runtimeTookMs() {
      const slot = (globalThis as { [ASSETS_SLOT_KEY]?: AssetsSlot })[ASSETS_SLOT_KEY]
      return slot?.get().tookMs ?? null
    },
  }
}

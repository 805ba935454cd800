import { peerIdFromString } from '@libp2p/peer-id'
import { handlePerf, measureStream } from '@/lib/mesh/perf'
import type { MeshNode } from '@/lib/mesh/node'

/** `window.hypermeshBench`, present only on pages opened with `?bench` (npm run bench). */
export interface HypermeshBenchApi {
  /** Send `bytes` over one libp2p stream to a direct peer; goodput in Mbit/s. */
  stream(peerId: string, bytes: number): Promise<{ bytes: number; ms: number; mbps: number }>
}

declare global {
  interface Window {
    hypermeshBench?: HypermeshBenchApi
  }
}

/** Register the perf protocol and expose the bench API (bench mode only: it lets peers send us bulk data). */
export async function exposeBenchApi(node: MeshNode): Promise<void> {
  await handlePerf(node.libp2p)
  window.hypermeshBench = {
    stream: (peerId, bytes) => measureStream(node.libp2p, peerIdFromString(peerId), bytes),
  }
}

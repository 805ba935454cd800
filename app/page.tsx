import { AssetsCard } from './assets-card'
import { LedgerCard } from './ledger-card'
import { NodeStatus } from './node-status'

export default function HomePage(): React.ReactNode {
  return (
    <div className="space-y-6">
      <section>
        <h1 className="text-2xl font-semibold tracking-tight">This tab is a HyperMesh node</h1>
        <p className="mt-1 max-w-2xl text-sm text-slate-400">
          Opening this site started a peer-to-peer node in your browser. It reaches the bootstrap
          relay, then connects directly to other tabs over WebRTC. Keep the tab open to stay part of
          the mesh.
        </p>
      </section>
      <NodeStatus />
      <LedgerCard />
      <AssetsCard />
    </div>
  )
}

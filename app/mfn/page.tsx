import type { Metadata } from 'next'
import { MfnLive } from './mfn-live'
import { MfnBenchTable } from './bench-table'

export const metadata: Metadata = {
  title: 'MFN router · HyperMesh',
  description:
    "This node's spiking-neuron router live — membrane potentials, spikes, learned weights, decisions — and the last benchmark against P2C + peak-EWMA.",
}

/** The MFN page: this tab's router at work, and how MFN fared in the simulator. */
export default function MfnPage(): React.ReactNode {
  return (
    <div className="space-y-6">
      <section>
        <h1 className="text-2xl font-semibold tracking-tight">MFN router</h1>
        <p className="mt-1 max-w-3xl text-sm text-slate-400">
          Each candidate peer is a leaky integrate-and-fire neuron. A job&apos;s features (predicted
          latency, jobs in flight, reliability, speed, job-class affinity) become input currents;
          the first neuron to reach its threshold wins the job, the others are inhibited, and the
          weights learn from how the job went. While this page is open, the router places one probe
          job a second on this tab&apos;s direct peers: a ping, whose round trip is the outcome.
        </p>
      </section>
      <MfnLive />
      <MfnBenchTable />
    </div>
  )
}

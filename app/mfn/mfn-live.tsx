'use client'
import { useMfnView } from '@/lib/client/use-mfn'
import type { MfnView, ProbeRecord } from '@/lib/client/mfn-bridge'

const CARD = 'rounded-xl border border-slate-800 bg-slate-900/60 p-4'
/** Spikes older than this fade out of the raster, ms. */
const RASTER_MS = 30_000

const short = (peerId: string | undefined): string =>
  peerId === undefined || peerId === '' ? '?' : `…${peerId.slice(-6)}`

function fmtMs(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '—'
  return x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`
}

/** This tab's router: neurons, weights and the last decisions, updated four times a second. */
export function MfnLive(): React.ReactNode {
  const view = useMfnView()
  if (view === null)
    return (
      <section className={CARD} data-testid="mfn-live">
        <p className="text-sm text-slate-400">Starting this tab&apos;s node…</p>
      </section>
    )
  return (
    <section className="grid gap-4 lg:grid-cols-3" data-testid="mfn-live" data-status={view.status}>
      <div className={`${CARD} lg:col-span-2`}>
        <div className="flex items-baseline gap-3">
          <h2 className="text-sm font-semibold text-slate-200">Neurons</h2>
          <span className="text-xs text-slate-500">
            one per direct peer · bar: membrane potential now against its threshold (yellow); a race
            lasts ~15 ms, so between jobs the neurons rest near zero · dots: spikes (jobs won) in
            the last 30 s
          </span>
        </div>
        {view.problem !== null && (
          <p className="mt-2 text-sm text-amber-300" data-testid="mfn-problem">
            {view.problem}
          </p>
        )}
        <Neurons view={view} />
      </div>
      <div className={CARD}>
        <h2 className="text-sm font-semibold text-slate-200">Learned weights</h2>
        <Weights view={view} />
      </div>
      <div className={`${CARD} lg:col-span-3`}>
        <h2 className="text-sm font-semibold text-slate-200">Last decisions</h2>
        <Decisions probes={view.probes} />
      </div>
    </section>
  )
}

function Neurons({ view }: { view: MfnView }): React.ReactNode {
  const s = view.snapshot
  if (s === null || s.neurons.length === 0)
    return <p className="mt-3 text-sm text-slate-500">No neuron yet: the first job creates them.</p>
  const now = s.atMs
  const spikesOf = new Map<number, number[]>()
  for (const d of s.decisions) {
    if (now - d.atMs > RASTER_MS) continue
    const list = spikesOf.get(d.winner) ?? []
    list.push(d.atMs)
    spikesOf.set(d.winner, list)
  }
  const top = Math.max(...s.neurons.map((n) => Math.max(n.threshold, n.potential)), 1e-9)
  return (
    <ul className="mt-3 space-y-2" data-testid="mfn-neurons">
      {s.neurons.map((n) => {
        const refractory = n.refractoryUntilMs !== null && n.refractoryUntilMs > now
        const pct = (x: number) => `${Math.max(0, Math.min(100, (x / top) * 100)).toFixed(1)}%`
        return (
          <li key={n.id} className="grid grid-cols-[6rem_1fr_12rem] items-center gap-3 text-xs">
            <span className="font-mono text-slate-300" title={view.peers[n.id]}>
              {short(view.peers[n.id])}
            </span>
            <div className="relative h-4 rounded bg-slate-950 ring-1 ring-slate-800">
              <div
                className={`absolute inset-y-0 left-0 rounded ${refractory ? 'bg-slate-600' : 'bg-cyan-500/70'} transition-[width] duration-200`}
                style={{ width: pct(n.potential) }}
              />
              <div
                className="absolute inset-y-[-3px] w-0.5 bg-amber-300"
                style={{ left: pct(n.threshold) }}
                title={`threshold ${n.threshold.toFixed(3)}`}
              />
              <svg className="absolute inset-0 h-full w-full" preserveAspectRatio="none">
                {(spikesOf.get(n.id) ?? []).map((t) => (
                  <circle
                    key={t}
                    cx={`${100 - ((now - t) / RASTER_MS) * 100}%`}
                    cy="50%"
                    r="3"
                    className="fill-emerald-300"
                    opacity={1 - (now - t) / RASTER_MS}
                  />
                ))}
              </svg>
            </div>
            <span className="text-slate-400">
              {n.spikeCount} spikes · I {n.lastInput === null ? '—' : n.lastInput.toFixed(2)}
              {refractory ? ' · refractory' : ''}
            </span>
          </li>
        )
      })}
    </ul>
  )
}

function Weights({ view }: { view: MfnView }): React.ReactNode {
  const w = view.snapshot?.weights
  if (w === undefined) return <p className="mt-3 text-sm text-slate-500">—</p>
  const entries = Object.entries(w)
  const max = Math.max(...entries.map(([, v]) => Math.abs(v)), 1e-9)
  return (
    <ul className="mt-3 space-y-1.5" data-testid="mfn-weights">
      {entries.map(([name, v]) => (
        <li key={name} className="grid grid-cols-[7rem_1fr_3.5rem] items-center gap-2 text-xs">
          <span className="text-slate-400">{name}</span>
          <div className="relative h-3 rounded bg-slate-950 ring-1 ring-slate-800">
            <div className="absolute inset-y-0 left-1/2 w-px bg-slate-700" />
            <div
              className={`absolute inset-y-0 ${v >= 0 ? 'left-1/2 bg-emerald-500/70' : 'right-1/2 bg-rose-500/70'}`}
              style={{ width: `${((Math.abs(v) / max) * 50).toFixed(1)}%` }}
            />
          </div>
          <span className="text-right font-mono text-slate-300">{v.toFixed(2)}</span>
        </li>
      ))}
    </ul>
  )
}

function Decisions({ probes }: { probes: ProbeRecord[] }): React.ReactNode {
  if (probes.length === 0) return <p className="mt-3 text-sm text-slate-500">No job routed yet.</p>
  return (
    <table className="mt-3 w-full text-left text-xs" data-testid="mfn-decisions">
      <thead className="text-slate-500">
        <tr>
          <th className="py-1 font-normal">time</th>
          <th className="font-normal">winner</th>
          <th className="font-normal">runner-up</th>
          <th className="font-normal">spike after</th>
          <th className="font-normal">decision</th>
          <th className="font-normal">outcome</th>
        </tr>
      </thead>
      <tbody className="text-slate-300">
        {[...probes]
          .reverse()
          .slice(0, 10)
          .map((p) => {
            return (
              <tr key={`${p.at}-${p.peerId}`} className="border-t border-slate-800">
                <td className="py-1">{new Date(p.at).toLocaleTimeString()}</td>
                <td className="font-mono">{short(p.peerId)}</td>
                <td className="font-mono">
                  {p.runnerUpPeerId === null ? '—' : short(p.runnerUpPeerId)}
                </td>
                <td>
                  {fmtMs(p.winnerSpikeMs)} (next {fmtMs(p.runnerUpSpikeMs)})
                </td>
                <td title="time of the router's choice in its worker (the browser's timer resolution is 0.1 ms)">
                  {p.decisionMicros < 100
                    ? '< 0.1 ms'
                    : `${(p.decisionMicros / 1000).toFixed(1)} ms`}
                </td>
                <td className={p.ok === false ? 'text-rose-300' : ''}>
                  {p.ok === null
                    ? 'in flight'
                    : p.ok
                      ? `${fmtMs(p.latencyMs)} round trip`
                      : 'failed'}
                </td>
              </tr>
            )
          })}
      </tbody>
    </table>
  )
}

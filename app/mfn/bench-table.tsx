'use client'
import { useEffect, useState } from 'react'

const CARD = 'rounded-xl border border-slate-800 bg-slate-900/60 p-4'

/** The parts of public/bench/mfn.json (written by `npm run bench -- mfn`) this table shows. */
interface Interval {
  mean: number
  halfWidth: number
}
interface BenchFile {
  at: string
  seeds: number[]
  machine: { cpu: string; cores: number; node: string }
  scenarios: {
    scenario: string
    description: string
    learning: 'should-help' | 'cannot-help'
    policies: { policy: string; p99: Interval }[]
    ratioToBestP2c: number | null
    bestP2c: string | null
    goalRatio: number
    pass: boolean | null
  }[]
  decisionCost: { policy: string; candidates: number; microseconds: number }[]
}

const ms = (i: Interval | undefined): string =>
  i === undefined
    ? '—'
    : `${i.mean >= 100 ? i.mean.toFixed(0) : i.mean.toFixed(1)} ±${i.halfWidth >= 10 ? i.halfWidth.toFixed(0) : i.halfWidth.toFixed(1)}`

/** The last committed benchmark of MFN against its baselines (bench/mfn.ts). */
export function MfnBenchTable(): React.ReactNode {
  const [data, setData] = useState<BenchFile | null | 'missing'>(null)
  useEffect(() => {
    fetch('/bench/mfn.json', { cache: 'no-store' })
      .then(async (r): Promise<BenchFile | 'missing'> =>
        r.ok ? ((await r.json()) as BenchFile) : 'missing',
      )
      .then(setData, () => setData('missing'))
  }, [])
  return (
    <section className={CARD} data-testid="mfn-bench">
      <h2 className="text-sm font-semibold text-slate-200">
        Last benchmark: MFN against P2C + peak-EWMA
      </h2>
      {data === null && <p className="mt-2 text-sm text-slate-500">Loading…</p>}
      {data === 'missing' && (
        <p className="mt-2 text-sm text-slate-400">
          No benchmark results on this server yet: run <code>npm run bench -- mfn</code>.
        </p>
      )}
      {data !== null && data !== 'missing' && (
        <>
          <p className="mt-1 text-xs text-slate-500">
            {new Date(data.at).toLocaleString()} · {data.machine.cpu} ({data.machine.cores} cores) ·
            seeds {data.seeds[0]}…{data.seeds[data.seeds.length - 1]} · p99 sojourn in ms, mean over
            seeds ±95 % CI · compared with the best P2C decay time per scenario
          </p>
          <div className="mt-3 overflow-x-auto">
            <table className="w-full text-left text-xs">
              <thead className="text-slate-500">
                <tr>
                  <th className="py-1 font-normal">scenario</th>
                  <th className="font-normal">learning</th>
                  <th className="font-normal">MFN p99</th>
                  <th className="font-normal">P2C + peak-EWMA p99 (best τ)</th>
                  <th className="font-normal">least-loaded p99</th>
                  <th className="font-normal">ratio</th>
                  <th className="font-normal">goal</th>
                </tr>
              </thead>
              <tbody className="text-slate-300">
                {data.scenarios.map((s) => {
                  const p = (n: string | null) => s.policies.find((x) => x.policy === n)?.p99
                  return (
                    <tr
                      key={s.scenario}
                      className="border-t border-slate-800"
                      title={s.description}
                    >
                      <td className="py-1 font-mono">{s.scenario}</td>
                      <td>{s.learning === 'should-help' ? 'should help' : 'cannot help'}</td>
                      <td>{ms(p('mfn'))}</td>
                      <td>
                        {ms(p(s.bestP2c))} <span className="text-slate-500">{s.bestP2c}</span>
                      </td>
                      <td>{ms(p('least-loaded'))}</td>
                      <td>{s.ratioToBestP2c === null ? '—' : s.ratioToBestP2c.toFixed(2)}</td>
                      <td className={s.pass ? 'text-emerald-300' : 'text-amber-300'}>
                        ≤ {s.goalRatio} {s.pass === null ? '' : s.pass ? '✓' : '✗'}
                      </td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>
          <p className="mt-3 text-xs text-slate-400">
            Decision cost ({data.decisionCost[0]?.candidates} candidates):{' '}
            {data.decisionCost
              .map((c) => `${c.policy} ${c.microseconds.toFixed(2)} µs`)
              .join(' · ')}
          </p>
        </>
      )}
    </section>
  )
}

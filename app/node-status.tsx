'use client'
import { useEffect, useState } from 'react'
import { useMeshSnapshot } from '@/lib/client/use-mesh'
import { formatRtt } from '@/lib/client/format'
import { trustOf } from '@/lib/client/trustchain-view'
import type { MeshStatus, VerdictView } from '@/lib/client/types'
import type { ConnectionInfo } from '@/lib/mesh/types'
import { StatusDot } from './status-dot'
import { TrustBadge } from './trustchain/badges'
import { NodeTrust } from './trustchain/node-trust'

const STATUS_TEXT: Record<MeshStatus, string> = {
  starting: 'Starting the node…',
  connecting: 'Connecting to the bootstrap relay…',
  'relay-only': 'Connected to the relay; looking for direct peers…',
  direct: 'Connected directly to other nodes',
  offline: 'Cannot reach the mesh',
}

const TRANSPORT_LABEL: Record<ConnectionInfo['transport'], string> = {
  webrtc: 'WebRTC (direct)',
  relay: 'relayed',
  websockets: 'WebSockets',
  webtransport: 'WebTransport',
}

function short(id: string): string {
  return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id
}

function useNow(periodMs: number): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), periodMs)
    return () => clearInterval(t)
  }, [periodMs])
  return now
}

/** This node: identity, connection state, direct peers, and what went wrong if anything. */
export function NodeStatus(): React.ReactNode {
  const snap = useMeshSnapshot()
  const now = useNow(1_000)
  const direct = snap.connections.filter((c) => c.transport === 'webrtc')
  const others = snap.connections.filter((c) => c.transport !== 'webrtc')
  const retryIn =
    snap.nextRetryAt !== null ? Math.max(0, Math.ceil((snap.nextRetryAt - now) / 1000)) : null

  return (
    <div className="grid gap-4 md:grid-cols-3">
      <div className="rounded-xl border border-slate-800 bg-slate-900/60 p-4 md:col-span-2">
        <div className="text-xs uppercase tracking-wider text-slate-500">You are node</div>
        <div
          data-testid="self-peer-id"
          className="mt-1 break-all font-mono text-sm text-emerald-300"
          title={snap.peerId ?? ''}
        >
          {snap.peerId ?? '…'}
        </div>
        {snap.slot !== null && (
          <div className="mt-1 text-xs text-slate-500">
            tab slot {snap.slot} · identity kept in this browser
          </div>
        )}
        <div
          className="mt-4 flex items-center gap-2"
          data-testid="mesh-status"
          data-status={snap.status}
        >
          <StatusDot status={snap.status} />
          <span className="text-sm">{STATUS_TEXT[snap.status]}</span>
        </div>
        {snap.problem !== null && (
          <div
            role="alert"
            data-testid="mesh-problem"
            className="mt-3 rounded-lg border border-rose-900 bg-rose-950/50 px-3 py-2 text-sm text-rose-200"
          >
            {snap.problem}{' '}
            {retryIn !== null
              ? `Retrying automatically in ${retryIn} s.`
              : 'Retrying automatically.'}
          </div>
        )}
      </div>
      <div className="grid grid-cols-3 gap-2 rounded-xl border border-slate-800 bg-slate-900/60 p-4 text-center md:grid-cols-1 md:text-left">
        <Stat label="direct peers" value={direct.length} />
        <Stat label="nodes heard" value={snap.nodes.length} />
        <Stat
          label="joined in"
          value={snap.joinMs === null ? '—' : `${(snap.joinMs / 1000).toFixed(2)} s`}
        />
      </div>

      <NodeTrust snap={snap} now={now} />

      <div className="rounded-xl border border-slate-800 bg-slate-900/60 p-4 md:col-span-3">
        <h2 className="text-sm font-medium text-slate-300">Connections</h2>
        {snap.connections.length === 0 ? (
          <p className="mt-2 text-sm text-slate-500">No connections yet.</p>
        ) : (
          <table className="mt-2 w-full text-left text-sm" data-testid="connections">
            <thead className="text-xs text-slate-500">
              <tr>
                <th className="py-1 font-normal">peer</th>
                <th className="py-1 font-normal">transport</th>
                <th className="py-1 font-normal">TrustChain</th>
                <th className="py-1 font-normal">RTT</th>
                <th className="py-1 font-normal">open for</th>
              </tr>
            </thead>
            <tbody>
              {[...direct, ...others].map((c) => (
                <tr key={`${c.peerId}-${c.openedAt}`} className="border-t border-slate-800/70">
                  <td className="py-1 font-mono text-xs" title={c.peerId}>
                    {short(c.peerId)}
                    {c.peerId === snap.relayPeerId && (
                      <span className="ml-2 rounded bg-slate-800 px-1.5 py-0.5 font-sans text-[10px] uppercase tracking-wide text-slate-400">
                        bootstrap relay
                      </span>
                    )}
                  </td>
                  <td className={c.transport === 'webrtc' ? 'text-emerald-300' : 'text-slate-400'}>
                    {TRANSPORT_LABEL[c.transport]}
                  </td>
                  <td className="py-1">
                    {c.transport === 'webrtc' ? (
                      <TrustBadge
                        state={trustOf(snap.verdicts[c.id])}
                        title={trustTitle(snap.verdicts[c.id])}
                      />
                    ) : (
                      <span
                        className="text-xs text-slate-600"
                        title="Only direct links run the certificate handshake"
                      >
                        —
                      </span>
                    )}
                  </td>
                  <td className="tabular-nums">{c.rttMs === null ? '—' : formatRtt(c.rttMs)}</td>
                  <td className="tabular-nums text-slate-400">
                    {Math.max(0, Math.round((now - c.openedAt) / 1000))} s
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p className="mt-3 text-xs text-slate-500">
          {snap.connectionsCreated} of Chromium&apos;s 500 WebRTC connections used by this tab ·
          dials: {snap.dials.succeeded} succeeded
          {snap.dials.medianMs !== null ? ` (median ${snap.dials.medianMs} ms)` : ''},{' '}
          {snap.dials.failed} failed · heartbeats: {snap.heartbeats.accepted} accepted,{' '}
          {Object.values(snap.heartbeats.dropped).reduce((a, b) => a + b, 0)} dropped
        </p>
        {snap.dials.recentFailures.length > 0 && (
          <details className="mt-1 text-xs text-slate-500">
            <summary className="cursor-pointer">Recent failed dials</summary>
            <ul className="mt-1 space-y-0.5 font-mono">
              {snap.dials.recentFailures.map((f, i) => (
                <li key={i}>
                  {f.name} after {f.ms} ms: {f.message}
                </li>
              ))}
            </ul>
          </details>
        )}
      </div>
    </div>
  )
}

function trustTitle(v: VerdictView | undefined): string {
  if (v === undefined || v.state === 'pending')
    return 'Certificates are being exchanged and checked'
  if (v.state === 'verified') {
    return `Certificate verified${v.logIndex !== null ? ` (log entry #${v.logIndex})` : ''}`
  }
  const who = v.state === 'refused' ? 'Refused by this node' : 'This node was refused by the peer'
  return v.reason === null
    ? who
    : `${who} at the ${v.reason.check ?? v.reason.name} check: ${v.reason.message}`
}

function Stat({ label, value }: { label: string; value: number | string }): React.ReactNode {
  return (
    <div>
      <div className="text-2xl font-semibold tabular-nums">{value}</div>
      <div className="text-xs text-slate-500">{label}</div>
    </div>
  )
}

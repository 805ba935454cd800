'use client'
import Link from 'next/link'
import { formatCoordinate, ledgerDown, type HeardNode } from '@/lib/client/asset-explorer'
import { formatAge, formatTime, formatUnits, unitsOf } from '@/lib/client/chain-view'
import { CERTIFICATES_REFRESH_MS } from '@/lib/client/explorer-constants'
import { fetchCertificates, type NodeLedgerFacts } from '@/lib/client/explorer-reads'
import { formatRtt } from '@/lib/client/format'
import type { LiveEntry } from '@/lib/client/live-reads'
import { peerIdOrNull } from '@/lib/client/peer-key'
import { trustByPeer } from '@/lib/client/trustchain-view'
import { useMeshSnapshot } from '@/lib/client/use-mesh'
import { NodeLink, Unknown } from './asset-bits'
import { BlockLink, CARD, Field, Problem, Spinner } from './bits'
import { useLive } from './use-live'

function CardTitle({ title, note }: { title: string; note?: React.ReactNode }): React.ReactNode {
  return (
    <div className="flex flex-wrap items-baseline gap-x-2 gap-y-0.5">
      <h2 className="text-sm font-medium text-slate-300">{title}</h2>
      {note !== undefined && <p className="text-xs text-slate-500">{note}</p>}
    </div>
  )
}

/**
 * What this tab heard of a node through heartbeats: when, its Vivaldi coordinate, the RTT from
 * this tab (measured on a direct link, else predicted by the coordinates and said so), its
 * platform and its direct peers. Unknown when no heartbeat of it is at hand.
 */
export function MeshCard({
  heard,
  now,
  showPeers = true,
}: {
  heard: HeardNode | null
  now: number
  /** List its direct peers (the node page does; the asset page keeps to the position). */
  showPeers?: boolean
}): React.ReactNode {
  return (
    <div className={`${CARD} min-w-0`} data-testid="node-mesh" data-heard={heard !== null}>
      <CardTitle title="In the mesh" note="from heartbeats this tab received" />
      {heard === null ? (
        <p className="mt-2 text-sm text-slate-400">
          No heartbeat of this node reached this tab in the last 30 s: its coordinate, its peers and
          its round-trip time are unknown here. Its tab may be closed, or in a part of the mesh this
          tab does not hear.
        </p>
      ) : (
        <>
          <dl className="mt-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
            <Field label="last heartbeat">
              {heard.self ? (
                'this tab'
              ) : (
                <span title={formatTime(heard.lastSeen)}>
                  {formatAge(heard.lastSeen, now) || '…'}
                  {!heard.recent && (
                    <span className="text-slate-500"> · older than 20 s, gone from the map</span>
                  )}
                </span>
              )}
            </Field>
            {!heard.self && (
              <Field
                label="RTT from this tab"
                title="Measured on a direct link when there is one; otherwise the Vivaldi coordinates' prediction"
              >
                {heard.linkRttMs !== null ? (
                  <span data-testid="node-rtt">{formatRtt(heard.linkRttMs)} · direct link</span>
                ) : heard.predictedRttMs !== null ? (
                  <span data-testid="node-rtt">
                    ≈ {formatRtt(heard.predictedRttMs)}{' '}
                    <span className="text-slate-500">predicted by coordinates, no direct link</span>
                  </span>
                ) : (
                  <Unknown why="No direct link, and no pair of coordinates to predict it from." />
                )}
              </Field>
            )}
            <Field label="coordinate" title="Vivaldi network coordinate (8 dimensions + height)">
              {heard.coordinate === null ? (
                <Unknown why="Its heartbeat carries no coordinate yet." />
              ) : (
                <span className="break-words font-mono text-xs text-slate-300">
                  {formatCoordinate(heard.coordinate)}
                </span>
              )}
            </Field>
            <Field label="platform">
              {heard.capabilities === null ? (
                <Unknown />
              ) : (
                <>
                  {heard.capabilities.platform === 'node' ? 'headless node' : 'browser tab'}
                  <span className="text-slate-500">
                    {' · '}
                    {heard.capabilities.cores === null
                      ? 'cores unknown'
                      : `${heard.capabilities.cores} cores`}
                    {' · '}
                    {heard.capabilities.memoryGiB === null
                      ? 'memory unknown'
                      : `${heard.capabilities.memoryGiB} GiB`}
                  </span>
                </>
              )}
            </Field>
            <Field label="app version">
              {heard.appVersion === null ? (
                <Unknown />
              ) : (
                <span className="font-mono text-xs">{heard.appVersion}</span>
              )}
            </Field>
          </dl>
          {showPeers && (
            <section className="mt-4 border-t border-slate-800 pt-3">
              <h3 className="text-xs uppercase tracking-wide text-slate-500">
                Direct peers ({heard.neighbours.length})
              </h3>
              {heard.neighbours.length === 0 ? (
                <p className="mt-1 text-sm text-slate-400">None in its latest heartbeat.</p>
              ) : (
                <ul className="mt-1 space-y-1" data-testid="node-peers">
                  {heard.neighbours.map((n) => (
                    <li key={n.peerId} className="flex items-center justify-between gap-3">
                      <NodeLink peerId={n.peerId} />
                      <span className="whitespace-nowrap text-xs tabular-nums text-slate-400">
                        {formatRtt(n.rttMs)}
                      </span>
                    </li>
                  ))}
                </ul>
              )}
            </section>
          )}
        </>
      )}
    </div>
  )
}

/**
 * What the ledger says about a node (from the proof of state of its account at the latest
 * block): registration, the certificate it registered with, stake and balance, committee
 * membership, its own coordinate and the latest RTT attestation about it.
 */
export function LedgerNodeCard({
  keyHex,
  facts,
  now,
  showPosition = true,
}: {
  keyHex: string
  facts: LiveEntry<NodeLedgerFacts>
  now: number
  /** Show its coordinate and attestation (the asset page has them in its position card). */
  showPosition?: boolean
}): React.ReactNode {
  const snap = useMeshSnapshot()
  const s = snap.ledger.summary
  const f = facts.data
  const member = s?.committee.find((m) => m.publicKey === keyHex)
  const power = s?.committee.reduce((a, m) => a + m.power, 0) ?? 0
  return (
    <div className={`${CARD} min-w-0`} data-testid="node-ledger">
      <CardTitle
        title="On the ledger"
        note={f?.height != null ? <>at block #{f.height}, provable below</> : undefined}
      />
      {facts.problem !== null && (
        <div className="mt-2">
          <Problem>{facts.problem}</Problem>
        </div>
      )}
      {f === undefined ? (
        facts.problem === null &&
        (ledgerDown(snap.ledger) ? (
          <p className="mt-2 text-sm text-slate-400">
            The ledger is not running in this tab, so its records cannot be read.
          </p>
        ) : (
          <p className="mt-2 flex items-center gap-2 text-sm text-slate-400">
            <Spinner /> Reading this node’s records from the ledger…
          </p>
        ))
      ) : f.node === null && f.account === null ? (
        <p className="mt-2 text-sm text-slate-400" data-testid="node-ledger-none">
          The ledger has no record of this key: the node has not registered (a tab registers with
          its TrustChain certificate once it has joined the mesh).
        </p>
      ) : (
        <dl className="mt-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
          <Field label="registered">
            {f.node === null ? 'not as a node' : <BlockLink height={f.node.registered} />}
          </Field>
          <Field
            label="certificate"
            title="The notAfter of the TrustChain certificate it registered (or renewed) with"
          >
            {f.node === null ? (
              <Unknown />
            ) : f.node.certExpiry === null ? (
              <span className="text-slate-400">none recorded (this chain needs none)</span>
            ) : (
              <span title={formatTime(f.node.certExpiry)}>
                {f.node.certExpiry > now ? 'valid until ' : 'expired '}
                {formatTime(f.node.certExpiry)}
              </span>
            )}
          </Field>
          <Field label="committee" title="Validators of the next height">
            {s === null
              ? '—'
              : member !== undefined
                ? `validator · ${Math.round((member.power / Math.max(1, power)) * 100)} % of power`
                : 'not a validator'}
          </Field>
          <Field label="stake">
            {f.account === null ? (
              <Unknown />
            ) : (
              <span className="tabular-nums">
                {formatUnits(f.account.stake)} credits
                {unitsOf(f.account.unbonding) > 0n && (
                  <span className="text-slate-500">
                    {' '}
                    · {formatUnits(f.account.unbonding)} unbonding
                  </span>
                )}
              </span>
            )}
          </Field>
          <Field label="balance">
            {f.account === null ? (
              <Unknown />
            ) : (
              <span className="tabular-nums">{formatUnits(f.account.balance)} credits</span>
            )}
          </Field>
          {showPosition && (
            <>
              <Field label="own coordinate" title="Sent with its latest attestation as a witness">
                {f.node?.coord == null ? (
                  <span className="text-slate-400">none yet: it has attested no peer</span>
                ) : (
                  <span className="break-words font-mono text-xs text-slate-300">
                    {formatCoordinate(f.node.coord)}{' '}
                    {f.node.coordHeight !== null && (
                      <>
                        · <BlockLink height={f.node.coordHeight} />
                      </>
                    )}
                  </span>
                )}
              </Field>
              <Field
                label="attested RTT"
                title="The latest signed attestation: a witness measured this round trip to it (an upper bound on distance, never a location)"
              >
                {f.node?.attestation == null ? (
                  <span className="text-slate-400">none yet</span>
                ) : (
                  <AttestationLine attestation={f.node.attestation} />
                )}
              </Field>
            </>
          )}
        </dl>
      )}
    </div>
  )
}

/** "18.0 ms, measured by 12D3…abc at #41". */
export function AttestationLine({
  attestation,
}: {
  attestation: { witness: string; rttMs: number; height: number }
}): React.ReactNode {
  const witness = peerIdOrNull(attestation.witness)
  return (
    <span className="inline-flex flex-wrap items-center gap-x-1.5">
      <span className="tabular-nums">{formatRtt(attestation.rttMs)}</span>
      <span className="text-slate-500">measured by</span>
      {witness !== null ? (
        <NodeLink peerId={witness} />
      ) : (
        <span className="font-mono text-xs">{attestation.witness.slice(0, 12)}…</span>
      )}
      <span className="text-slate-500">at</span>
      <BlockLink height={attestation.height} />
    </span>
  )
}

/**
 * What TrustChain says about a node: the certificates its transparency log issued to the peer ID
 * (newest first, linked to the log's checker), and this tab's own handshake with it when it is a
 * direct peer.
 */
export function TrustCard({ peerId, now }: { peerId: string; now: number }): React.ReactNode {
  const snap = useMeshSnapshot()
  const bucket = now === 0 ? null : Math.floor(now / CERTIFICATES_REFRESH_MS)
  const certs = useLive(`certificates/${peerId}`, bucket, () => fetchCertificates(peerId))
  const self = snap.peerId === peerId
  const trust = self ? undefined : trustByPeer(snap).get(peerId)
  const list = certs.data ?? []
  const newest = list[0]
  return (
    <div className={`${CARD} min-w-0`} data-testid="node-trust">
      <CardTitle title="TrustChain" note="certificates in the transparency log" />
      {certs.problem !== null && (
        <div className="mt-2">
          <Problem>{certs.problem}</Problem>
        </div>
      )}
      {certs.data === undefined ? (
        certs.problem === null && (
          <p className="mt-2 flex items-center gap-2 text-sm text-slate-400">
            <Spinner /> Reading the log…
          </p>
        )
      ) : newest === undefined ? (
        <p className="mt-2 text-sm text-slate-400">
          The log holds no certificate for this peer ID.
        </p>
      ) : (
        <dl className="mt-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
          <Field label="newest">
            <Link
              href={`/trustchain?index=${newest.logIndex}`}
              className="text-emerald-300 hover:text-emerald-200 hover:underline"
              data-testid="node-certificate"
            >
              certificate #{newest.logIndex}
            </Link>
          </Field>
          <Field label="valid">
            <span title={`${formatTime(newest.notBefore)} – ${formatTime(newest.notAfter)}`}>
              {now !== 0 && newest.notAfter < now ? (
                <span className="text-amber-300">expired {formatAge(newest.notAfter, now)}</span>
              ) : now !== 0 && newest.notBefore > now ? (
                <span className="text-amber-300">not yet</span>
              ) : (
                <>until {formatTime(newest.notAfter)}</>
              )}
            </span>
          </Field>
          <Field label="issued">
            {list.length === 1 ? 'once' : `${list.length} times (renewals)`}
          </Field>
        </dl>
      )}
      <p className="mt-3 border-t border-slate-800 pt-3 text-xs text-slate-400">
        {self ? (
          'This tab’s own node: its certificate is on the home page.'
        ) : trust === undefined ? (
          'Not a direct peer of this tab: this tab has not checked its certificate itself.'
        ) : trust.state === 'verified' ? (
          <span className="text-emerald-300">
            ✓ This tab verified its certificate on their link.
          </span>
        ) : trust.state === 'pending' ? (
          'This tab’s handshake with it is in progress…'
        ) : (
          <span className="text-rose-300">
            ✗ The handshake on their link was refused
            {trust.reason !== null ? `: ${trust.reason.message}` : '.'}
          </span>
        )}
      </p>
    </div>
  )
}

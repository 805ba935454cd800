'use client'
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react'
import {
  BROWSER_COMPONENTS,
  EMPTY_LOG_WATCH,
  fetchCertificatePem,
  fetchCertificatesOf,
  logWatcher,
  pendingReport,
  readNodeCheckpoint,
  shortId,
  trustByPeer,
  verifyCertificate,
  type LogWatchState,
} from '@/lib/client/trustchain-view'
import type { MeshSnapshot } from '@/lib/client/types'
import { useMeshSnapshot } from '@/lib/client/use-mesh'
import { CertificateTable } from './certificate-table'
import { CheckpointPanel } from './checkpoint-panel'
import { useSecondClock } from './clock'
import { VerifyPanel, type DirectPeer, type VerifierState, type VerifySource } from './verify-panel'

const IDLE: VerifierState = {
  pem: '',
  expectedPeerId: null,
  subject: null,
  loading: null,
  report: null,
  problem: null,
  run: 0,
}

/**
 * The /trustchain page body: the log's checkpoint (audited in this browser), the certificate
 * checker with its inclusion-path drawing, and the newest certificates. `initialIndex` opens the
 * checker on that log entry.
 */
export function TrustchainExplorer({
  initialIndex,
}: {
  initialIndex: number | null
}): React.ReactNode {
  const log = useSyncExternalStore(
    logWatcher.subscribe,
    logWatcher.getSnapshot,
    () => EMPTY_LOG_WATCH,
  )
  useEffect(() => logWatcher.retain(), [])
  const snap = useMeshSnapshot()
  const now = useSecondClock()
  const verifier = useVerifier(snap, log, initialIndex)
  const verifyRef = useRef<HTMLElement>(null)

  const peers = useMemo((): DirectPeer[] => {
    const trust = trustByPeer(snap)
    return [...trust.entries()].map(([peerId, t]) => ({ peerId, trust: t }))
  }, [snap])

  const { choose } = verifier
  const verifyEntry = useCallback(
    (index: number): void => {
      verifyRef.current?.scrollIntoView({ behavior: 'smooth', block: 'start' })
      choose({ kind: 'index', index })
    },
    [choose],
  )

  // `?index=N`: check that entry once the page has read the log (so the consistency check has
  // a checkpoint of this browser to compare with), or after a few seconds whatever happens.
  const opened = useRef(false)
  const logRead = log.firstSeen !== null || log.problem !== null
  useEffect(() => {
    if (initialIndex === null || opened.current) return
    const t = setTimeout(
      () => {
        if (opened.current) return
        opened.current = true
        verifyRef.current?.scrollIntoView({ block: 'start' })
        choose({ kind: 'index', index: initialIndex })
      },
      logRead ? 0 : 3_000,
    )
    return () => clearTimeout(t)
  }, [initialIndex, choose, logRead])

  return (
    <div className="space-y-6">
      <CheckpointPanel log={log} now={now} nodeCheckpointSize={snap.checkpointSize} />
      <section ref={verifyRef} className="scroll-mt-20">
        <VerifyPanel
          state={verifier.state}
          peers={peers}
          hasOwnCertificate={snap.certificate !== null}
          onChoose={choose}
          onPemChange={verifier.setPem}
          onCheckPem={verifier.checkPem}
        />
      </section>
      <CertificateTable
        log={log}
        now={now}
        selfId={snap.peerId}
        peers={peers}
        onVerify={verifyEntry}
      />
    </div>
  )
}

/**
 * The checker's state and actions. Each new check aborts the one before; progress lands in
 * `state.report` as each check finishes.
 */
function useVerifier(
  snap: MeshSnapshot,
  log: LogWatchState,
  initialIndex: number | null,
): {
  state: VerifierState
  choose: (source: VerifySource) => void
  setPem: (pem: string) => void
  checkPem: (pem: string) => void
} {
  const [state, setState] = useState<VerifierState>(() =>
    initialIndex === null
      ? IDLE
      : { ...IDLE, loading: `Reading the log before checking entry #${initialIndex}…` },
  )
  const abortRef = useRef<AbortController | null>(null)
  // The handlers read the newest snapshot and log without being recreated on every change.
  const latest = useRef({ snap, log })
  useEffect(() => {
    latest.current = { snap, log }
  })
  useEffect(() => () => abortRef.current?.abort(), [])

  const begin = useCallback((): AbortSignal => {
    abortRef.current?.abort()
    const controller = new AbortController()
    abortRef.current = controller
    return controller.signal
  }, [])

  const run = useCallback(
    async (
      signal: AbortSignal,
      pem: string,
      expectedPeerId: string | null,
      subject: string,
    ): Promise<void> => {
      setState((s) => ({
        pem,
        expectedPeerId,
        subject,
        loading: null,
        problem: null,
        report: pendingReport(),
        run: s.run + 1,
      }))
      const { snap: current, log: watched } = latest.current
      const known = [watched.firstSeen?.note ?? null, await readNodeCheckpoint(current.slot)]
      const report = await verifyCertificate(
        {
          pem,
          ...(expectedPeerId !== null ? { expectedPeerId } : {}),
          knownCheckpoints: known.filter((k): k is string => k !== null),
        },
        BROWSER_COMPONENTS,
        {
          signal,
          onProgress: (r) => {
            if (!signal.aborted) setState((s) => ({ ...s, report: r }))
          },
        },
      )
      if (!signal.aborted) setState((s) => ({ ...s, report }))
    },
    [],
  )

  const choose = useCallback(
    (source: VerifySource): void => {
      const signal = begin()
      const fail = (err: unknown): void => {
        if (signal.aborted) return
        setState((s) => ({
          ...s,
          loading: null,
          report: null,
          problem: err instanceof Error ? err.message : String(err),
        }))
      }
      const load = async (): Promise<void> => {
        if (source.kind === 'self') {
          const { snap: current } = latest.current
          if (current.certificate === null) throw new Error('This node has no certificate yet.')
          return run(signal, current.certificate.pem, current.peerId, 'this node’s certificate')
        }
        if (source.kind === 'index') {
          setState((s) => ({ ...s, loading: `Fetching log entry #${source.index}…` }))
          const pem = await fetchCertificatePem(BROWSER_COMPONENTS, source.index, signal)
          return run(signal, pem, null, `the certificate at log entry #${source.index}`)
        }
        const who = shortId(source.peerId)
        setState((s) => ({ ...s, loading: `Fetching ${who}’s certificate from the log…` }))
        let index = source.logIndex
        if (index === null) {
          const issued = await fetchCertificatesOf(BROWSER_COMPONENTS, source.peerId, signal)
          index = issued[0]?.logIndex ?? null
          if (index === null) {
            throw new Error(
              `The log has no certificate issued to ${who}: the peer never got one from this CA.`,
            )
          }
        }
        const pem = await fetchCertificatePem(BROWSER_COMPONENTS, index, signal)
        return run(
          signal,
          pem,
          source.peerId,
          source.logIndex === null
            ? `the newest certificate the log holds for ${who}`
            : `${who}’s certificate (log entry #${index})`,
        )
      }
      load().catch(fail)
    },
    [begin, run],
  )

  const setPem = useCallback((pem: string): void => {
    setState((s) => ({ ...s, pem, expectedPeerId: null, subject: null }))
  }, [])

  const checkPem = useCallback(
    (pem: string): void => {
      const signal = begin()
      run(signal, pem, null, 'the pasted certificate').catch((err: unknown) => {
        if (!signal.aborted) {
          setState((s) => ({
            ...s,
            report: null,
            problem: err instanceof Error ? err.message : String(err),
          }))
        }
      })
    },
    [begin, run],
  )

  return { state, choose, setPem, checkPem }
}

/**
 * The tab's MFN worker: wiring only (STYLE.md). It owns this node's MFN router (lib/mfn) and
 * answers routing requests from the page's bridge (lib/client/mfn-bridge.ts), so a decision never
 * waits behind rendering. Built by scripts/build-node.mjs into public/node/mfn-worker.js.
 */
import { mfn } from '@/lib/mfn/router'
import { parseMfnRequest, type MfnResponse } from '@/lib/mfn/worker-protocol'
import { seededRandom } from '@/lib/ports'

/** The worker's global scope (the project's TypeScript lib is the DOM's, not the worker's). */
const scope = globalThis as unknown as {
  postMessage(message: MfnResponse): void
  addEventListener(type: 'message', listener: (e: MessageEvent) => void): void
}

// A fresh seed per worker: each tab's router explores differently (crypto, not Math.random).
const seed = crypto.getRandomValues(new Uint32Array(1))[0]!
const router = mfn({ name: 'mfn' })(seededRandom(seed))

scope.addEventListener('message', (e: MessageEvent) => {
  let id: number | null = null
  try {
    const raw = e.data as { id?: unknown }
    if (typeof raw?.id === 'number') id = raw.id
    const req = parseMfnRequest(e.data)
    switch (req.type) {
      case 'route': {
        const t0 = performance.now()
        const index = router.choose(req.job, req.candidates, req.now)
        const micros = (performance.now() - t0) * 1000
        const decision = router.lastDecision()
        scope.postMessage({ type: 'routed', id: req.id, index, micros, decision })
        break
      }
      case 'feedback':
        router.feedback(req.outcome)
        break
      case 'snapshot':
        scope.postMessage({ type: 'snapshot', id: req.id, snapshot: router.snapshot(req.now) })
        break
    }
  } catch (err) {
    const e2 = err instanceof Error ? err : new Error(String(err))
    scope.postMessage({ type: 'error', id, error: { name: e2.name, message: e2.message } })
  }
})

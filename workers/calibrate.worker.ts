/**
 * The tab's CPU calibration worker: wiring only (STYLE.md). It runs the calibration workload of
 * lib/assets/resources.ts (`calibrateCpu`, the same code the headless node runs) once per request,
 * off the main thread so the page stays responsive, and posts the score. The page's adapter
 * (lib/adapters/browser-resources.ts) starts it, asks once and terminates it.
 *
 * To ship it, scripts/build-node.mjs needs the entry
 * `'calibrate-worker': 'workers/calibrate.worker.ts'` (→ public/node/calibrate-worker.js).
 */
import { AssetError } from '@/lib/assets/asset-id'
import { calibrateCpu, parseCalibrateRequest, type CalibrateResponse } from '@/lib/assets/resources'

/** The worker's global scope (the project's TypeScript lib is the DOM's, not the worker's). */
const scope = globalThis as unknown as {
  postMessage(message: CalibrateResponse): void
  addEventListener(type: 'message', listener: (e: MessageEvent) => void): void
}

scope.addEventListener('message', (e: MessageEvent) => {
  const raw = e.data as { id?: unknown } | null
  const id = typeof raw?.id === 'number' ? raw.id : null
  const fail = (err: unknown): void => {
    const error =
      err instanceof AssetError
        ? err.toJSON()
        : {
            name: err instanceof Error ? err.name : 'Error',
            code: 'ERR_CALIBRATION',
            message: err instanceof Error ? err.message : String(err),
          }
    scope.postMessage({ type: 'error', id, error })
  }
  try {
    const req = parseCalibrateRequest(e.data)
    // performance.now: monotonic; browsers coarsen it (100 µs in Chromium, up to 1 ms elsewhere),
    // which CALIBRATION_DURATION_MS allows for.
    calibrateCpu(() => performance.now(), {
      warmupMs: req.warmupMs,
      durationMs: req.durationMs,
    }).then((result) => scope.postMessage({ type: 'calibrated', id: req.id, result }), fail)
  } catch (err) {
    fail(err)
  }
})

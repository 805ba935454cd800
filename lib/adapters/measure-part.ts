/**
 * One part of a resource measurement (a WebGPU probe, a storage probe, the CPU calibration) run
 * under a time limit, shared by the browser and Node adapters (browser-resources.ts,
 * node-resources.ts): a part that fails or hangs becomes a reason, never a stuck measurement.
 */
import {
  MAX_CPU_SCORE,
  platformNumber,
  type ResourceReasons,
  type Resources,
} from '../assets/resources'

/**
 * How long a stopped part (timed out or failed) may take to clean up before the measurement goes
 * on without it, in ms: a part can thus take up to its time limit plus this.
 */
const CLEANUP_GRACE_MS = 1_000

/** Resolves when `p` settles or after `ms`, whichever is first. */
async function settled(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  await Promise.race([
    p.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ])
  clearTimeout(timer)
}

export type PartResult<T> = { ok: true; value: T } | { ok: false; reason: string }

/**
 * Run one part with a time limit. A failure or timeout of the part is its result (a reason), an
 * abort of the caller's signal is thrown. The part's promise is raced, not trusted to honour its
 * signal: a browser API that hangs (requestAdapter) or a statfs on a dead network file system
 * must not hold up the rest.
 */
export async function measurePart<T>(
  signal: AbortSignal | undefined,
  timeoutMs: number,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<PartResult<T>> {
  signal?.throwIfAborted()
  const controller = new AbortController()
  const onAbort = (): void => controller.abort(signal?.reason)
  signal?.addEventListener('abort', onAbort, { once: true })
  let timer: ReturnType<typeof setTimeout> | undefined
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const reason = new Error(`timed out after ${timeoutMs} ms`)
      controller.abort(reason)
      reject(reason)
    }, timeoutMs)
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), {
      once: true,
    })
  })
  const running = run(controller.signal)
  try {
    return { ok: true, value: await Promise.race([running, stopped]) }
  } catch (err) {
    // Give the part a moment to clean up (the probe deletes its database) before going on.
    await settled(running, CLEANUP_GRACE_MS)
    signal?.throwIfAborted()
    return { ok: false, reason: describeError(err) }
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
    if (!controller.signal.aborted) controller.abort()
    stopped.catch(() => undefined)
  }
}

/** The sentence of an error, for a part's reason. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message || err.name
  if (typeof err === 'object' && err !== null && 'message' in err) return String(err.message)
  return String(err)
}

/**
 * Put a calibration's result into `resources.cpu` (or its reason into `reasons`): a score out of
 * bounds is refused rather than reported.
 */
export function recordCalibration(
  resources: Resources,
  reasons: ResourceReasons,
  cal: PartResult<{ unitsPerSecond: number }>,
  elapsedMs: number,
): void {
  if (!cal.ok) {
    reasons['cpu.score'] = cal.reason
    return
  }
  const score = platformNumber(cal.value.unitsPerSecond, Number.MIN_VALUE, MAX_CPU_SCORE)
  if (score === null) {
    reasons['cpu.score'] = 'the calibration measured a score out of bounds'
  } else {
    resources.cpu.score = score
    resources.cpu.calibrationMs = elapsedMs
  }
}

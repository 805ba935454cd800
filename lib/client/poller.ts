/**
 * A refresh that runs while someone uses it: the first `retain()` refreshes at once and then every
 * `intervalMs` (counted from the end of the previous refresh), the last release stops the timer.
 * Concurrent `refresh()` calls share one run. Used by the pages' watchers (the TrustChain log,
 * the explorer's block tail).
 */
export class RetainedPoller {
  readonly #intervalMs: number
  readonly #run: () => Promise<void>
  #users = 0
  #timer: ReturnType<typeof setTimeout> | null = null
  #running: Promise<void> | null = null

  /** @param run - one refresh; it should not reject (a rejection is swallowed) */
  constructor(intervalMs: number, run: () => Promise<void>) {
    this.#intervalMs = intervalMs
    this.#run = run
  }

  /** Start refreshing for one more user; returns the function that ends this use. */
  retain(): () => void {
    this.#users++
    if (this.#users === 1) this.#schedule(0)
    let released = false
    return () => {
      if (released) return
      released = true
      this.#users--
      if (this.#users === 0 && this.#timer !== null) {
        clearTimeout(this.#timer)
        this.#timer = null
      }
    }
  }

  /** Refresh now (also what the timer does). Concurrent calls share one refresh. */
  refresh(): Promise<void> {
    this.#running ??= this.#run().finally(() => {
      this.#running = null
    })
    return this.#running
  }

  #schedule(delay: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#timer = null
      void this.refresh()
        .catch(() => undefined)
        .finally(() => {
          if (this.#users > 0 && this.#timer === null) this.#schedule(this.#intervalMs)
        })
    }, delay)
  }
}

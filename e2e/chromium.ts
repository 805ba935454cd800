/**
 * The browser every e2e test and bench drives: Debian's Chromium (never a downloaded one), with the
 * flags this machine needs (no sandbox as root, no GPU, no background traffic to the closed
 * network). `CHROMIUM_PATH` points elsewhere when needed.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]

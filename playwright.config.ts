import { defineConfig } from '@playwright/test'
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './e2e/chromium'

/** Ports of the server the e2e tests start (the production build, `npm start`). */
export const E2E_PORT = Number(process.env.E2E_PORT ?? 3210)
export const E2E_RELAY_PORT = E2E_PORT + 1

export default defineConfig({
  testDir: './e2e',
  // One worker: a 2-core machine with up to 17 tabs; tests own the mesh they create.
  workers: 1,
  fullyParallel: false,
  timeout: 180_000,
  expect: { timeout: 30_000 },
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : 'list',
  use: {
    baseURL: `http://localhost:${E2E_PORT}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
    },
  },
  webServer: {
    // A fresh data folder per server start: a chain left without its validators by an earlier
    // run would stay halted (docs/consensus.md, "Liveness").
    command: 'rm -rf ./data/e2e && npm start',
    url: `http://localhost:${E2E_PORT}/api/health`,
    reuseExistingServer: !process.env.CI,
    timeout: 600_000,
    stdout: 'pipe',
    env: {
      PORT: String(E2E_PORT),
      RELAY_PORT: String(E2E_RELAY_PORT),
      DATA_DIR: './data/e2e',
      // Every tab of the suite asks for its certificate from 127.0.0.1: raise the per-address
      // issuance limit (default 30/min, burst 20) that a real deployment keeps.
      ISSUE_RATE_PER_MINUTE: '600',
      ISSUE_BURST: '200',
      // Short epochs, so a tab that stakes joins the committee within seconds (two epochs later).
      CHAIN_EPOCH_BLOCKS: '5',
      // …and a short empty-block interval (default 10 s), so those epochs pass while the chain idles.
      CHAIN_IDLE_BLOCK_INTERVAL_MS: '2000',
      // The anchor stakes as much as one tab will: the four tab validators hold 80 % of the power,
      // so blocks finalize only with their votes (three of them and the anchor are enough).
      CHAIN_ANCHOR_STAKE: '500',
    },
  },
})

import { expect, test } from '@playwright/test'
import {
  openTab,
  startTsx,
  state,
  stopProcess,
  waitForDirect,
  waitForHttp,
  type Tab,
} from './fixtures'
import { E2E_PORT } from '../playwright.config'

// A server of its own (not the shared one), so this test can stop and restart it.
const PORT = E2E_PORT + 20
const BASE = `http://localhost:${PORT}`
const ENV = { PORT: String(PORT), RELAY_PORT: String(PORT + 1), DATA_DIR: './data/e2e-restart' }

test('the relay stops and restarts: 4 tabs reconnect and see each other again without reloading', async ({
  browser,
}) => {
  test.setTimeout(180_000)
  let server = startTsx(['bin/server.ts'], ENV)
  const tabs: Tab[] = []
  try {
    await waitForHttp(`${BASE}/api/health`, 60_000)
    const relayId = (
      (await (await fetch(`${BASE}/api/health`)).json()) as { relay: { peerId: string } }
    ).relay.peerId
    for (let i = 0; i < 4; i++) tabs.push(await openTab(browser, BASE))
    const ids = await Promise.all(tabs.map((t) => waitForDirect(t.page, 20_000)))
    const loadsBefore = await Promise.all(
      tabs.map((t) => t.page.evaluate(() => performance.timeOrigin)),
    )

    await stopProcess(server)
    // Every tab notices: no relay, and the page tells the user it is retrying.
    for (const t of tabs) {
      await t.page.waitForFunction(() => window.hypermesh?.relayConnected === false, undefined, {
        timeout: 15_000,
      })
    }
    await expect(tabs[0]!.page.getByTestId('mesh-problem')).toContainText('relay', {
      timeout: 15_000,
    })

    const restartedAt = Date.now()
    server = startTsx(['bin/server.ts'], ENV)
    await waitForHttp(`${BASE}/api/health`, 60_000)
    // Same DATA_DIR: the relay keeps its key, so its peer ID and addresses survive the restart.
    const relayAfter = (
      (await (await fetch(`${BASE}/api/health`)).json()) as { relay: { peerId: string } }
    ).relay.peerId
    expect(relayAfter).toBe(relayId)

    for (const [i, t] of tabs.entries()) {
      await t.page.waitForFunction(
        ({ others, since }) => {
          const h = window.hypermesh
          if (h === undefined || !h.relayConnected) return false
          if (!h.connections.some((c) => c.transport === 'webrtc')) return false
          // Fresh heartbeats from every other tab since the restart.
          return others.every((id) => h.nodes.some((n) => n.peerId === id && n.lastSeen >= since))
        },
        { others: ids.filter((_, j) => j !== i), since: restartedAt },
        { timeout: 30_000 - (Date.now() - restartedAt), polling: 250 },
      )
    }
    expect(Date.now() - restartedAt).toBeLessThan(30_000)
    // No reload happened: same document, same node.
    const loadsAfter = await Promise.all(
      tabs.map((t) => t.page.evaluate(() => performance.timeOrigin)),
    )
    expect(loadsAfter).toEqual(loadsBefore)
    for (const [i, t] of tabs.entries()) expect((await state(t.page)).peerId).toBe(ids[i])
    // The relay knows the tabs again: each took a new reservation.
    await expect
      .poll(
        async () =>
          (
            (await (await fetch(`${BASE}/api/health`)).json()) as {
              relay: { reservations: number }
            }
          ).relay.reservations,
        { timeout: 20_000 },
      )
      .toBe(4)
  } finally {
    await Promise.all(tabs.map((t) => t.context.close()))
    await stopProcess(server)
  }
})

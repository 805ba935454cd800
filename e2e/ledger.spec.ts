import { expect, test, type Page } from '@playwright/test'
import { openTab, state, type Tab } from './fixtures'

/**
 * The bank-transfer test of DESIGN.md §11 on real tabs: four tabs register (grant), stake through
 * the home page and join the committee beside the server's anchor validator; credits move between
 * them through the send form; one validator tab closes mid-run and the chain keeps finalizing; it
 * comes back (same browser profile, so same identity and stored chain) and catches up; at the end
 * every tab has the same state root at the same height, the balances add up, and the total supply
 * is what registration minted.
 */

const CREDIT = 1_000_000n

async function ledger(page: Page) {
  const l = (await state(page)).ledger
  if (l === null) throw new Error('the ledger is not running in this tab')
  return l
}

async function sendCredits(from: Page, toKeyHex: string, credits: number): Promise<void> {
  await from.getByTestId('send-to').fill(toKeyHex)
  await from.getByTestId('send-amount').fill(String(credits))
  await from.getByTestId('send-submit').click()
  await expect(from.getByTestId('send-result')).toContainText(/included in block \d+/, {
    timeout: 30_000,
  })
}

test('validator tabs agree on balances and supply while one closes and comes back', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(240_000)
  if (baseURL === undefined) throw new Error('baseURL is not set')
  const tabs: Tab[] = []
  for (let i = 0; i < 4; i++) tabs.push(await openTab(browser, baseURL, '/?target=3'))

  // Every tab registers (hashcash + certificate) and receives the registration grant.
  for (const tab of tabs) {
    await expect
      .poll(async () => (await state(tab.page)).ledger?.registered ?? false, { timeout: 60_000 })
      .toBe(true)
  }
  const grant = BigInt((await ledger(tabs[0]!.page)).balance)
  expect(grant).toBeGreaterThan(0n)

  // Each tab stakes half of its grant from the home page and enters the committee two epochs on.
  const stake = grant / 2n / CREDIT
  for (const tab of tabs) {
    await tab.page.getByTestId('stake-amount').fill(String(stake))
    await tab.page.getByTestId('stake-submit').click()
    await expect(tab.page.getByTestId('stake-result')).toContainText(/included in block \d+/, {
      timeout: 30_000,
    })
  }
  for (const tab of tabs) {
    await expect
      .poll(async () => (await state(tab.page)).ledger?.validator ?? false, { timeout: 90_000 })
      .toBe(true)
    await expect(tab.page.getByTestId('validator-badge')).toBeVisible()
  }
  const supply = BigInt((await ledger(tabs[0]!.page)).totalSupply)
  const keys = await Promise.all(tabs.map(async (t) => (await ledger(t.page)).publicKey))

  // Random transfers (seeded: the same pairs and amounts every run), each waited for until it is
  // in a block; `sent[i]` tracks what tab i should hold.
  const delta = tabs.map(() => 0n)
  let seed = 20261127
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return (seed >>> 8) % n
  }
  const transfer = async (from: number, to: number): Promise<void> => {
    const credits = 1 + rand(9)
    await sendCredits(tabs[from]!.page, keys[to]!, credits)
    delta[from]! -= BigInt(credits) * CREDIT
    delta[to]! += BigInt(credits) * CREDIT
  }
  const randomPair = (among: number[]): [number, number] => {
    const from = among[rand(among.length)]!
    const others = among.filter((i) => i !== from)
    return [from, others[rand(others.length)]!]
  }
  for (let i = 0; i < 4; i++) await transfer(...randomPair([0, 1, 2, 3]))

  // Tab 2 (a validator) closes; the others keep finalizing and moving credits.
  const leaving = tabs[2]!
  const leftAt = (await ledger(tabs[0]!.page)).height
  await leaving.page.close()
  await expect
    .poll(async () => (await ledger(tabs[0]!.page)).height, { timeout: 30_000 })
    .toBeGreaterThan(leftAt + 3)
  for (let i = 0; i < 3; i++) await transfer(...randomPair([0, 1, 3]))

  // It comes back in the same browser profile: same tab slot, identity and stored chain.
  leaving.page = await leaving.context.newPage()
  await leaving.page.goto('/?target=3')
  await expect
    .poll(async () => (await state(leaving.page)).ledger?.publicKey ?? '', { timeout: 30_000 })
    .toBe(keys[2])
  await expect
    .poll(async () => (await ledger(leaving.page)).height - (await ledger(tabs[0]!.page)).height, {
      timeout: 60_000,
    })
    .toBeGreaterThanOrEqual(-1)
  await transfer(2, rand(2) === 0 ? 0 : 3)

  // Everyone agrees: a common height has the same state root in every tab.
  await expect
    .poll(
      async () => {
        const views = await Promise.all(tabs.map((t) => ledger(t.page)))
        const common = Math.min(...views.map((v) => v.height))
        const roots = views.map(
          (v) => v.recentRoots.find((r) => r.height === common)?.stateRoot ?? null,
        )
        return roots.every((r) => r !== null && r === roots[0])
      },
      { timeout: 30_000 },
    )
    .toBe(true)

  // Balances: each tab's balance is its grant − stake ± what it sent and received.
  for (const [i, tab] of tabs.entries()) {
    await expect
      .poll(async () => BigInt((await ledger(tab.page)).balance), { timeout: 30_000 })
      .toBe(grant - stake * CREDIT + delta[i]!)
  }
  // Supply is conserved: no credit was created or destroyed by the transfers (fees are 0).
  for (const tab of tabs) expect(BigInt((await ledger(tab.page)).totalSupply)).toBe(supply)
  const held = (await Promise.all(tabs.map((t) => ledger(t.page)))).reduce(
    (sum, l) => sum + BigInt(l.balance) + BigInt(l.stake) + BigInt(l.unbonding),
    0n,
  )
  // The rest of the supply is the anchor validator's stake (and grants of any other tabs).
  const anchor = (await (await fetch(`${baseURL}/api/chain/status`)).json()) as {
    anchor: { stake: string } | null
  }
  expect(held).toBeLessThanOrEqual(supply)
  expect(supply - held).toBeGreaterThanOrEqual(BigInt(anchor.anchor?.stake ?? '0'))

  // The tabs unstake and wait until the committee no longer counts on them, so the server's chain
  // keeps finalizing with its anchor after they close.
  for (const tab of tabs) {
    await tab.page.getByTestId('stake-amount').fill(String(stake))
    await tab.page.getByTestId('unstake-submit').click()
    await expect(tab.page.getByTestId('stake-result')).toContainText(/included in block \d+/, {
      timeout: 30_000,
    })
  }
  for (const tab of tabs) {
    await expect
      .poll(async () => (await state(tab.page)).ledger?.validator ?? true, { timeout: 90_000 })
      .toBe(false)
  }
  for (const tab of tabs) await tab.context.close()
})

/**
 * `stake`: bond credits from the balance. Body `{ amount: uint > 0 }`. Bonded stake counts in the
 * committee election at the end of the current epoch, so it takes effect two epochs later.
 */
import { readAmount, readMap } from '../codec'
import { addAmount } from '../state'
import type { TxKind } from '../types'
import { requireBalance, requirePositive, senderAccount } from './common'

/** Body of a `stake` or `unstake`. */
export interface StakeBody {
  /** Credits bonded (or unbonded), > 0. */
  amount: bigint
}

/** The `stake` kind. */
export const stakeKind: TxKind<StakeBody> = {
  kind: 'stake',
  decodeBody(raw) {
    const m = readMap(raw, 'body', ['amount'])
    return { amount: readAmount(m.amount, 'body.amount') }
  },
  check(view, tx) {
    requirePositive(tx.body.amount, 'a stake')
    const account = senderAccount(view, tx.from)
    requireBalance(account, tx.body.amount)
    addAmount(account.stake, tx.body.amount)
  },
  apply(view, tx) {
    const account = senderAccount(view, tx.from)
    view.putAccount(tx.from, {
      ...account,
      balance: account.balance - tx.body.amount,
      stake: account.stake + tx.body.amount,
    })
  },
}

/**
 * `unstake`: move bonded stake to unbonding. Body `{ amount: uint > 0 }`. The credits return to
 * the balance at the first block of epoch `current + 2` and stay slashable until then.
 */
import { readAmount, readMap } from '../codec'
import { UNBONDING_EPOCHS } from '../constants'
import { InsufficientStakeError } from '../errors'
import { addAmount } from '../state'
import type { TxKind } from '../types'
import { requirePositive, senderAccount } from './common'
import type { StakeBody } from './stake'

/** The `unstake` kind. */
export const unstakeKind: TxKind<StakeBody> = {
  kind: 'unstake',
  decodeBody(raw) {
    const m = readMap(raw, 'body', ['amount'])
    return { amount: readAmount(m.amount, 'body.amount') }
  },
  check(view, tx) {
    requirePositive(tx.body.amount, 'an unstake')
    const account = senderAccount(view, tx.from)
    if (account.stake < tx.body.amount) {
      throw new InsufficientStakeError(tx.body.amount, account.stake)
    }
  },
  apply(view, tx) {
    const { amount } = tx.body
    const account = senderAccount(view, tx.from)
    const release = view.epoch + UNBONDING_EPOCHS
    // One entry per release epoch: an account never holds more than UNBONDING_EPOCHS entries.
    const existing = account.unbonding.find((e) => e.release === release)
    const unbonding = existing
      ? account.unbonding.map((e) =>
          e.release === release ? { amount: addAmount(e.amount, amount), release } : e,
        )
      : [...account.unbonding, { amount, release }]
    view.putAccount(tx.from, { ...account, stake: account.stake - amount, unbonding })
  },
}

/**
 * `transfer`: move credits from the sender's balance to another account, created if needed.
 * Body `{ to: bytes(32), amount: uint > 0 }`.
 */
import { readAmount, readMap, readPublicKey } from '../codec'
import { MAX_AMOUNT } from '../constants'
import { InvalidAmountError } from '../errors'
import type { TxKind } from '../types'
import { credit, requireBalance, requirePositive, senderAccount } from './common'

/** Body of a `transfer`. */
export interface TransferBody {
  /** Recipient account (raw 32-byte public key). */
  to: Uint8Array
  /** Credits moved, > 0. */
  amount: bigint
}

/** The `transfer` kind. */
export const transferKind: TxKind<TransferBody> = {
  kind: 'transfer',
  decodeBody(raw) {
    const m = readMap(raw, 'body', ['to', 'amount'])
    return { to: readPublicKey(m.to, 'body.to'), amount: readAmount(m.amount, 'body.amount') }
  },
  check(view, tx) {
    const { to, amount } = tx.body
    requirePositive(amount, 'a transfer')
    requireBalance(senderAccount(view, tx.from), amount)
    const recipient = view.account(to)
    if (recipient !== undefined && recipient.balance > MAX_AMOUNT - amount) {
      throw new InvalidAmountError("the recipient's balance would exceed 2^64 - 1")
    }
  },
  apply(view, tx) {
    const { to, amount } = tx.body
    const sender = senderAccount(view, tx.from)
    view.putAccount(tx.from, { ...sender, balance: sender.balance - amount })
    credit(view, to, amount)
  },
}

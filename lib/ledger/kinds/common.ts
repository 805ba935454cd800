/** Small helpers the kinds share. */
import { toHex } from '../codec'
import { InsufficientFundsError, InvalidAmountError, UnknownAccountError } from '../errors'
import { addAmount, EMPTY_ACCOUNT, type LedgerView } from '../state'
import type { Account } from '../values'

/** Throws {@link InvalidAmountError} unless `amount` > 0. */
export function requirePositive(amount: bigint, what: string): void {
  if (amount <= 0n) throw new InvalidAmountError(`${what} must be positive`)
}

/** The sender's account (the envelope rules made sure it exists). */
export function senderAccount(view: LedgerView, from: Uint8Array): Account {
  const account = view.account(from)
  if (account === undefined) throw new UnknownAccountError(toHex(from))
  return account
}

/** Throws {@link InsufficientFundsError} unless `account` can spend `amount`. */
export function requireBalance(account: Account, amount: bigint): void {
  if (account.balance < amount) throw new InsufficientFundsError(amount, account.balance)
}

/** Add `amount` to the balance of `publicKey`, creating its account if needed. */
export function credit(view: LedgerView, publicKey: Uint8Array, amount: bigint): void {
  const account = view.account(publicKey) ?? EMPTY_ACCOUNT
  view.putAccount(publicKey, { ...account, balance: addAmount(account.balance, amount) })
}

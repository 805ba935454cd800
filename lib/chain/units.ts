/**
 * Credits on the ledger are integers of base units: 1 credit = 10^6 units, so fees, demurrage
 * (0.01–0.1 % per epoch) and exchange fees (0.3 %) stay exact (DESIGN.md §9). The UI shows credits
 * with up to six decimals.
 */

/** Base units per credit. */
export const UNITS_PER_CREDIT = 1_000_000n

/** Error of a credit amount a person typed that is not one. */
export class CreditAmountError extends Error {
  override readonly name = 'CreditAmountError'
  readonly code = 'ERR_CREDIT_AMOUNT'
}

/** Units → decimal credits text, without trailing zeros: `1500000n` → `"1.5"`. */
export function formatCredits(units: bigint): string {
  const negative = units < 0n
  const abs = negative ? -units : units
  const whole = abs / UNITS_PER_CREDIT
  const frac = (abs % UNITS_PER_CREDIT).toString().padStart(6, '0').replace(/0+$/, '')
  return `${negative ? '-' : ''}${whole}${frac === '' ? '' : `.${frac}`}`
}

/**
 * Decimal credits text → units. Accepts `12`, `12.5`, `0.000001`; refuses signs, exponents,
 * more than six decimals and empty input with {@link CreditAmountError}.
 */
export function parseCredits(text: string): bigint {
  const m = /^(\d{1,13})(?:\.(\d{1,6}))?$/.exec(text.trim())
  if (m === null) {
    throw new CreditAmountError(
      `"${text}" is not an amount of credits: use digits with at most six decimals, e.g. 12.5`,
    )
  }
  return BigInt(m[1]!) * UNITS_PER_CREDIT + BigInt((m[2] ?? '').padEnd(6, '0'))
}

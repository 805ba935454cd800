/**
 * An error the TrustChain HTTP API answers with: a status and the `{ error: { name, code,
 * message } }` body every route uses, so clients match on `code` and show `message`.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    override readonly name: string,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }

  /** The JSON body of the answer. */
  toJSON(): { error: { name: string; code: string; message: string } } {
    return { error: { name: this.name, code: this.code, message: this.message } }
  }
}

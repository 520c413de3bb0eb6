/**
 * The one failure the DUMP payload decoder knows: {@link PayloadError}, with a `code` that says which kind.
 *
 * | code          | meaning                                                                  | what to do        |
 * |---------------|--------------------------------------------------------------------------|-------------------|
 * | `truncated`   | the payload ends before the value does                                   | read it again     |
 * | `checksum`    | the CRC64 footer does not match the bytes                                | read it again     |
 * | `version`     | the RDB version in the footer is newer than this decoder knows           | use DUMP/RESTORE  |
 * | `unsupported` | a known RDB type this decoder does not translate (modules, pre-7.0 ones) | use DUMP/RESTORE  |
 * | `corrupt`     | the bytes break the format (bad length, bad encoding, trailing bytes)    | report it         |
 * | `limit`       | the value is bigger than the configured {@link PayloadLimits}            | raise the limit   |
 */

export type PayloadErrorCode = "truncated" | "checksum" | "version" | "unsupported" | "corrupt" | "limit";

/** A DUMP payload that cannot be decoded; thrown by every function of `src/rdb/` on bad or too big input. */
export class PayloadError extends Error {
  override name = "PayloadError";
  constructor(readonly code: PayloadErrorCode, message: string) {
    super(message);
  }
}

/** Shorthand for `throw new PayloadError("corrupt", message)` in expression position. */
export function corrupt(message: string): never {
  throw new PayloadError("corrupt", message);
}

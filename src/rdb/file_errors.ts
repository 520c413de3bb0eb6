/**
 * The one failure of the RDB file reader: {@link RdbFileError}, with a `code` and the byte `offset` of the
 * file where the problem is.
 *
 * | code          | meaning                                                                    |
 * |---------------|----------------------------------------------------------------------------|
 * | `header`      | the file does not start with `REDIS` and a 4-digit version                 |
 * | `version`     | the RDB version is outside what this reader knows                          |
 * | `truncated`   | the input ended before the file's end marker (or inside an item)           |
 * | `corrupt`     | the bytes break the format (unknown opcode or type, bad length, bad string) |
 * | `checksum`    | the CRC64 after the end marker does not match the bytes                    |
 * | `unsupported` | a known part this reader does not copy (pre-GA modules or functions)       |
 * | `limit`       | one item (a key and its value) is larger than the configured limit         |
 * | `trailing`    | bytes follow the end marker                                                |
 */

export type RdbFileErrorCode =
  | "header"
  | "version"
  | "truncated"
  | "corrupt"
  | "checksum"
  | "unsupported"
  | "limit"
  | "trailing";

export class RdbFileError extends Error {
  override name = "RdbFileError";
  constructor(readonly code: RdbFileErrorCode, message: string, readonly offset: number) {
    super(message);
  }
}

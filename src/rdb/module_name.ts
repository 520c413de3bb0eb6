/**
 * The name of a module type as TYPE reports it (`ReJSON-RL`, `MBbloom--`, `TSDB-TYPE`), read from the
 * 64-bit module id that follows the type byte of a module value (RDB type 6 or 7): nine characters of six
 * bits each, first character in the highest bits, then ten bits of encoding version (Redis' module.c,
 * moduleTypeEncodeId). Pure: undefined when the bytes are not a module value with a readable id.
 */
import { RDB_TYPE } from "./types.ts";

const CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** RDB length encodings of the id: a 32-bit or 64-bit big-endian number follows. */
const LEN_32 = 0x80;
const LEN_64 = 0x81;

/** The module type name of a DUMP payload (or RDB value) starting at its type byte; undefined if none. */
export function moduleTypeName(value: Uint8Array): string | undefined {
  const type = value[0];
  if (type !== RDB_TYPE.MODULE_2 && type !== RDB_TYPE.MODULE_PRE_GA) return undefined;
  let id: bigint;
  if (value[1] === LEN_64 && value.length >= 10) {
    id = new DataView(value.buffer, value.byteOffset + 2, 8).getBigUint64(0);
  } else if (value[1] === LEN_32 && value.length >= 6) {
    id = BigInt(new DataView(value.buffer, value.byteOffset + 2, 4).getUint32(0));
  } else return undefined;
  let rest = id >> 10n;
  const chars: string[] = [];
  for (let i = 0; i < 9; i++) {
    chars.unshift(CHARSET[Number(rest & 63n)]);
    rest >>= 6n;
  }
  return chars.join("");
}

/** The module id of a type name and encoding version (the inverse, for tests and probes). */
export function moduleTypeId(name: string, encodingVersion: number): bigint {
  let id = 0n;
  for (const char of name) id = (id << 6n) | BigInt(CHARSET.indexOf(char));
  return (id << 10n) | BigInt(encodingVersion);
}

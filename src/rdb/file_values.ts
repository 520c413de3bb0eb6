/**
 * Where a serialized value ends in an RDB file: {@link skipValue} steps over the value of RDB type `type`
 * without decoding it (strings are skipped by their length, LZF is not decompressed), so the raw value
 * bytes can be cut out and sent as a DUMP payload. The layouts are the same as in DUMP payloads (see
 * payload.ts, collections.ts, stream.ts); module values (type 7) are a module ID and typed fields up to an
 * EOF opcode, readable without the module.
 *
 * Work is proportional to the bytes: every element costs at least one byte, so a hostile count ends in
 * NEED_MORE (then `truncated`) or `limit`, never in a long loop over nothing.
 */
import type { FileCursor } from "./file_cursor.ts";
import { RdbFileError } from "./file_errors.ts";
import { RDB_TYPE, RDB_TYPE_NAMES } from "./types.ts";

const MODULE_OPCODE_EOF = 0;
const MODULE_OPCODE_SINT = 1;
const MODULE_OPCODE_UINT = 2;
const MODULE_OPCODE_FLOAT = 3;
const MODULE_OPCODE_DOUBLE = 4;
const MODULE_OPCODE_STRING = 5;
const STREAM_ID_SIZE = 16;
/** Old text scores: a length byte, with 253 NaN, 254 +inf, 255 -inf carrying no text. */
const TEXT_SCORE_SPECIAL = 253;

/** True for every type byte that can start a key in an RDB file. */
export function isValueType(type: number): boolean {
  return type <= RDB_TYPE.HASH_LISTPACK_EX && RDB_TYPE_NAMES.has(type);
}

/** Steps `cursor` over one value of RDB type `type` (checked with {@link isValueType} first). */
export function skipValue(cursor: FileCursor, type: number, at: number): void {
  switch (type) {
    case RDB_TYPE.STRING:
    case RDB_TYPE.HASH_ZIPMAP:
    case RDB_TYPE.LIST_ZIPLIST:
    case RDB_TYPE.SET_INTSET:
    case RDB_TYPE.ZSET_ZIPLIST:
    case RDB_TYPE.HASH_ZIPLIST:
    case RDB_TYPE.HASH_LISTPACK:
    case RDB_TYPE.ZSET_LISTPACK:
    case RDB_TYPE.SET_LISTPACK:
    case RDB_TYPE.HASH_LISTPACK_EX_PRE_GA:
      return cursor.skipString();
    case RDB_TYPE.HASH_LISTPACK_EX:
      cursor.skip(8);
      return cursor.skipString();
    case RDB_TYPE.LIST:
    case RDB_TYPE.SET:
    case RDB_TYPE.LIST_QUICKLIST:
      return repeat(cursor, () => cursor.skipString());
    case RDB_TYPE.HASH:
      return repeat(cursor, () => {
        cursor.skipString();
        cursor.skipString();
      });
    case RDB_TYPE.ZSET:
      return repeat(cursor, () => {
        cursor.skipString();
        const size = cursor.byte();
        if (size < TEXT_SCORE_SPECIAL) cursor.skip(size);
      });
    case RDB_TYPE.ZSET_2:
      return repeat(cursor, () => {
        cursor.skipString();
        cursor.skip(8);
      });
    case RDB_TYPE.LIST_QUICKLIST_2:
      return repeat(cursor, () => {
        cursor.length();
        cursor.skipString();
      });
    case RDB_TYPE.HASH_METADATA:
      cursor.skip(8);
      return skipFieldsWithTtl(cursor);
    case RDB_TYPE.HASH_METADATA_PRE_GA:
      return skipFieldsWithTtl(cursor);
    case RDB_TYPE.STREAM_LISTPACKS:
    case RDB_TYPE.STREAM_LISTPACKS_2:
    case RDB_TYPE.STREAM_LISTPACKS_3:
      return skipStream(cursor, type);
    case RDB_TYPE.MODULE_2:
      cursor.lengthBig();
      return skipModuleFields(cursor);
  }
  throw new RdbFileError(
    "unsupported",
    `RDB type ${type} (${RDB_TYPE_NAMES.get(type)}) at offset ${cursor.offset(at)} is not supported`,
    cursor.offset(at),
  );
}

/**
 * Typed module fields up to the EOF opcode (module values, module aux data): integers as lengths, a
 * 4-byte float, an 8-byte double, strings.
 */
export function skipModuleFields(cursor: FileCursor): void {
  for (;;) {
    const at = cursor.pos;
    const opcode = cursor.lengthBig();
    if (opcode === BigInt(MODULE_OPCODE_EOF)) return;
    if (opcode === BigInt(MODULE_OPCODE_SINT) || opcode === BigInt(MODULE_OPCODE_UINT)) cursor.lengthBig();
    else if (opcode === BigInt(MODULE_OPCODE_FLOAT)) cursor.skip(4);
    else if (opcode === BigInt(MODULE_OPCODE_DOUBLE)) cursor.skip(8);
    else if (opcode === BigInt(MODULE_OPCODE_STRING)) cursor.skipString();
    else cursor.corrupt(`Unknown module field opcode ${opcode}`, at);
  }
}

function repeat(cursor: FileCursor, one: () => void): void {
  for (let count = cursor.length(); count > 0; count--) one();
}

function skipFieldsWithTtl(cursor: FileCursor): void {
  repeat(cursor, () => {
    cursor.lengthBig();
    cursor.skipString();
    cursor.skipString();
  });
}

function skipStream(cursor: FileCursor, type: number): void {
  repeat(cursor, () => {
    cursor.skipString(); // master ID
    cursor.skipString(); // listpack
  });
  const v2 = type >= RDB_TYPE.STREAM_LISTPACKS_2;
  const v3 = type >= RDB_TYPE.STREAM_LISTPACKS_3;
  cursor.length(); // length
  skipLengths(cursor, v2 ? 7 : 2); // last ID; first ID, max deleted ID, entries added
  repeat(cursor, () => {
    cursor.skipString(); // group name
    skipLengths(cursor, v2 ? 3 : 2); // last ID; entries read
    repeat(cursor, () => {
      cursor.skip(STREAM_ID_SIZE + 8); // ID, delivery time
      cursor.lengthBig(); // delivery count
    });
    repeat(cursor, () => {
      cursor.skipString(); // consumer name
      cursor.skip(v3 ? 16 : 8); // seen time; active time
      repeat(cursor, () => cursor.skip(STREAM_ID_SIZE));
    });
  });
}

function skipLengths(cursor: FileCursor, count: number): void {
  for (let i = 0; i < count; i++) cursor.lengthBig();
}

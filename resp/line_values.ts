/**
 * The value of one complete RESP element whose bytes are all here, for the decoder's general path:
 * `lineValue` for the one-line types (`+ - : _ # , (`), `bulkValue` for a bulk's payload (`$ ! =`). Pure;
 * a malformed element throws a ProtocolError (the decoder makes it sticky).
 */
import { ErrorReply, ProtocolError } from "./errors.ts";
import { parseDouble, parseInteger, text } from "./scalars.ts";
import { latin1, RespDouble, type RespValue, RespVerbatim } from "./types.ts";
import * as wire from "./wire.ts";

const utf8 = new TextDecoder();

/** The value of the line type `type` whose text is buf[start, end) (the type byte is at start - 1). */
export function lineValue(type: number, buf: Uint8Array, start: number, end: number): RespValue {
  switch (type) {
    case wire.SIMPLE:
      return text(buf, start, end);
    case wire.ERROR:
      return new ErrorReply(utf8.decode(buf.subarray(start, end)));
    case wire.INTEGER: {
      const value = parseInteger(buf, start, end);
      if (value === undefined) throw new ProtocolError(`Invalid integer ${latin1(buf.subarray(start, end))}`);
      return value;
    }
    case wire.NULL:
      if (end !== start) throw new ProtocolError("Null '_' followed by data");
      return null;
    case wire.BOOLEAN: {
      const flag = end === start + 1 ? buf[start] : 0;
      if (flag !== 0x74 && flag !== 0x66) throw new ProtocolError("Boolean must be '#t' or '#f'");
      return flag === 0x74;
    }
    case wire.DOUBLE: {
      const raw = latin1(buf.subarray(start, end));
      return new RespDouble(parseDouble(raw), raw);
    }
    case wire.BIG_NUMBER: {
      const raw = latin1(buf.subarray(start, end));
      if (!/^[-+]?[0-9]+$/.test(raw)) throw new ProtocolError(`Invalid big number ${raw}`);
      return BigInt(raw);
    }
    default:
      throw new ProtocolError(`Unexpected ${wire.describe(type)} where a one-line RESP type was expected`);
  }
}

/** The value of a complete bulk of type BULK, BULK_ERROR or VERBATIM with payload `bytes`. */
export function bulkValue(type: number, bytes: Uint8Array): RespValue {
  switch (type) {
    case wire.BULK:
      return bytes;
    case wire.BULK_ERROR:
      return new ErrorReply(utf8.decode(bytes));
    case wire.VERBATIM:
      if (bytes.length < 4 || bytes[3] !== 0x3a) {
        throw new ProtocolError("Verbatim string without a 'fmt:' prefix");
      }
      return new RespVerbatim(latin1(bytes.subarray(0, 3)), bytes.subarray(4));
    default:
      throw new ProtocolError(`Unexpected ${wire.describe(type)} where a bulk type was expected`);
  }
}

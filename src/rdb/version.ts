/**
 * The RDB version in a payload's footer, as it matters for choosing between RESTORE and type-based writes:
 * a server RESTOREs only payloads whose version is at most its own RDB version (Redis 7.0 writes 10, Valkey
 * 8.0 writes 11, Redis 7.4 and 8.0 write 12). A target's own version is best learned by DUMPing a scratch
 * key there and reading it with {@link payloadRdbVersion}.
 */
import { crc64 } from "./crc64.ts";
import { PayloadError } from "./errors.ts";
import { FOOTER_SIZE, readFooter } from "./payload.ts";

/** The RDB version a payload was written with; throws like decodePayload on a short or corrupt footer. */
export function payloadRdbVersion(payload: Uint8Array): number {
  return readFooter(payload).rdbVersion;
}

/**
 * True when a server whose RDB version is `targetRdbVersion` can RESTORE `payload` (same or older
 * version); false means the key must be written type-based.
 */
export function restorableOn(payload: Uint8Array, targetRdbVersion: number): boolean {
  return payloadRdbVersion(payload) <= targetRdbVersion;
}

/**
 * A copy of `payload` stamped with RDB version `version` and a recomputed CRC64. For tests of the fallback
 * (a payload "from a newer server"); the value bytes are unchanged, so it is only as valid as they are.
 */
export function rewritePayloadVersion(payload: Uint8Array, version: number): Uint8Array {
  readFooter(payload);
  if (!Number.isInteger(version) || version < 0 || version > 0xffff) {
    throw new PayloadError("version", `RDB version ${version} does not fit the 2-byte footer`);
  }
  const out = payload.slice();
  const view = new DataView(out.buffer);
  view.setUint16(out.length - FOOTER_SIZE, version, true);
  view.setBigUint64(out.length - 8, crc64(out.subarray(0, out.length - 8)), true);
  return out;
}

/**
 * The RDB version in a payload's footer, read without checking the CRC64 (cheap enough for every key of a
 * copy; RESTORE or openPayload checks the CRC later). Undefined when the payload is too short to have one.
 */
export function peekRdbVersion(payload: Uint8Array): number | undefined {
  if (payload.length < FOOTER_SIZE + 1) return undefined;
  const at = payload.length - FOOTER_SIZE;
  return payload[at] | (payload[at + 1] << 8);
}

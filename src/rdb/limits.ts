/**
 * What a payload may make the decoder allocate. Every decode call gets one {@link Budget}; each decoded
 * element and each byte produced by decompression is charged to it, so a hostile payload ends in a
 * `PayloadError` with code `limit` instead of an unbounded allocation. Elements that are views into the
 * payload cost no new bytes; decompressed strings do.
 */
import { PayloadError } from "./errors.ts";

export interface PayloadLimits {
  /** Largest payload accepted at all, in bytes. */
  maxPayloadBytes: number;
  /** Most elements (list items, members, fields + values, stream entries and their fields) per value. */
  maxElements: number;
  /** Most bytes decompression may produce per value (LZF strings). */
  maxDecompressedBytes: number;
}

export const DEFAULT_PAYLOAD_LIMITS: Readonly<PayloadLimits> = Object.freeze({
  maxPayloadBytes: 512 * 1024 * 1024,
  maxElements: 16 * 1024 * 1024,
  maxDecompressedBytes: 512 * 1024 * 1024,
});

/** The running totals of one decode call, checked against its limits on every charge. */
export class Budget {
  #elements = 0;
  #bytes = 0;
  readonly limits: Readonly<PayloadLimits>;

  constructor(limits: Partial<PayloadLimits> = {}) {
    this.limits = { ...DEFAULT_PAYLOAD_LIMITS, ...limits };
  }

  /** Throws `limit` when a payload of `size` bytes is over `maxPayloadBytes`. */
  payload(size: number): void {
    if (size > this.limits.maxPayloadBytes) {
      throw new PayloadError(
        "limit",
        `Payload of ${size} bytes is over ${this.limits.maxPayloadBytes}: raise maxPayloadBytes to decode it`,
      );
    }
  }

  /** Charges `count` elements; throws `limit` when the total would pass `maxElements`. */
  elements(count: number): void {
    this.#elements += count;
    if (this.#elements > this.limits.maxElements) {
      throw new PayloadError(
        "limit",
        `Payload has more than ${this.limits.maxElements} elements: raise maxElements to decode it`,
      );
    }
  }

  /** Charges `count` decompressed bytes before they are allocated; throws `limit` past the total. */
  bytes(count: number): void {
    this.#bytes += count;
    if (this.#bytes > this.limits.maxDecompressedBytes) {
      throw new PayloadError(
        "limit",
        `Payload decompresses to more than ${this.limits.maxDecompressedBytes} bytes: raise maxDecompressedBytes`,
      );
    }
  }
}

/**
 * The one record type that flows from readers to writers. Keys and payloads are bytes end to end.
 *
 * `expireAt`: absolute unix time in ms, `NO_EXPIRY` (-1) for a key without TTL, `GONE` (-2) when the key no
 * longer exists on the source (the writer deletes it on the target).
 */
export const NO_EXPIRY = -1;
export const GONE = -2;

export interface KeyRecord {
  key: Uint8Array;
  /** DUMP payload; null when the key is gone or was skipped. */
  dump: Uint8Array | null;
  expireAt: number;
}

/** Why a key was not copied. `reason` is the server's words or ours; `advice` says what to do. */
export interface KeyFailure {
  key: Uint8Array;
  stage: "read" | "write";
  reason: string;
  advice: string;
}

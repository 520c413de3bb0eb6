/**
 * One side of a key in a verification: present or not, its type (quick) or DUMP payload (full), and its
 * absolute expiry; read for a batch of keys in one pipeline (TYPE or DUMP, and PEXPIRETIME or PTTL).
 */
import { ErrorReply, type RespValue, toText } from "../../resp/mod.ts";
import type { Commands } from "../redis/commands.ts";

export type CompareMode = "quick" | "full";

export interface Side {
  present: boolean;
  type: string;
  dump: Uint8Array | null;
  expireAt: number; // -1 none
}

/** True when the key on this side carries an expiry at or before `time`. */
export function expiresBy(side: Side, time: number): boolean {
  return side.expireAt !== -1 && side.expireAt <= time;
}

export async function readSides(
  connection: Commands,
  keys: Uint8Array[],
  mode: CompareMode,
  expireTime: boolean,
): Promise<Side[]> {
  const now = Date.now();
  const replies = await connection.pipelineKeys(
    [[mode === "full" ? "DUMP" : "TYPE"], [expireTime ? "PEXPIRETIME" : "PTTL"]],
    keys,
  );
  const sides: Side[] = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const first = replies[2 * i];
    const second = replies[2 * i + 1];
    if (first instanceof ErrorReply) throw first;
    if (second instanceof ErrorReply) throw second;
    const ttlValue = Number(second);
    const present = mode === "full" ? first !== null : toText(first as RespValue) !== "none";
    sides[i] = {
      present: present && ttlValue !== -2,
      type: mode === "full" ? "" : toText(first as RespValue),
      dump: mode === "full" ? first as Uint8Array | null : null,
      expireAt: ttlValue < 0 ? -1 : expireTime ? ttlValue : now + ttlValue,
    };
  }
  return sides;
}

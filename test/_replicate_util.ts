/** Helpers shared by the replicate test files: URIs, in-process runs, raw connections, key listings. */
import assert from "node:assert/strict";
import { riot, type Run } from "./_riot.ts";
import { connect } from "../src/redis/connect.ts";
import type { RedisConnection } from "../src/redis/connection.ts";
import { DEFAULT_CONNECTION } from "../src/redis/options.ts";
import type { RedisServer } from "./_server.ts";

export function uri(server: { host: string; port: number }, db?: number): string {
  return `redis://${server.host}:${server.port}${db === undefined ? "" : `/${db}`}`;
}

/** `riot replicate SOURCE_URI TARGET_URI --progress none ...extra`. */
export function replicate(
  source: { host: string; port: number },
  target: { host: string; port: number },
  ...extra: string[]
) {
  return riot(["replicate", uri(source), uri(target), "--progress", "none", ...extra]);
}

/** `riot compare SOURCE_URI TARGET_URI --progress none ...extra`. */
export function compare(
  source: { host: string; port: number },
  target: { host: string; port: number },
  ...extra: string[]
) {
  return riot(["compare", uri(source), uri(target), "--progress", "none", ...extra]);
}

/** The single JSON object a --json run prints on stdout. */
// deno-lint-ignore no-explicit-any
export function jsonOf(run: Run): any {
  const lines = run.out.split("\n").filter((line) => line !== "");
  assert.equal(lines.length, 1, `one JSON line on stdout, got: ${run.out}`);
  return JSON.parse(lines[0]);
}

/** A raw connection to `server` (db 0 unless given); the caller closes it. */
export function raw(server: { host: string; port: number }, db = 0): Promise<RedisConnection> {
  return connect({ ...DEFAULT_CONNECTION, host: server.host, port: server.port, db, timeoutMs: 10_000 });
}

/** Every key of the server's db 0 (or `db`), sorted, as text. */
export async function keysOf(server: RedisServer, db = 0): Promise<string[]> {
  const listed = await server.cli("-n", String(db), "--scan");
  return listed === "" ? [] : listed.split("\n").sort();
}

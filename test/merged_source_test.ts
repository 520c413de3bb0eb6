/** MergedSource: several key sources at once, in arrival order, failures and stops shared. Pure. */
import assert from "node:assert/strict";
import type { KeyBatch, KeySource } from "../src/pipeline/stages.ts";
import { MergedSource } from "../src/sources/merged_source.ts";

const NONE = { permissions: "none" as const, sanitizeOps: true, sanitizeResources: true };
const key = (text: string) => new TextEncoder().encode(text);

/** A source of `count` one-key batches named `node:i`, each with its cursor, failing after `failAt`. */
function source(node: string, count: number, failAt = Infinity): KeySource {
  return {
    async *batches(signal?: AbortSignal): AsyncGenerator<KeyBatch> {
      for (let i = 0; i < count; i++) {
        if (i === failAt) throw new Error(`${node} failed`);
        await Promise.resolve();
        yield {
          keys: [key(`${node}:${i}`)],
          position: { node, cursor: String(i + 1), done: i === count - 1 },
        };
        if (signal?.aborted) return;
      }
    },
  };
}

Deno.test({
  name: "MergedSource yields every batch of every source once, each with its own node's positions",
  ...NONE,
  async fn() {
    const seen: string[] = [];
    const cursors = new Map<string, string>();
    for await (const batch of new MergedSource([source("a", 5), source("b", 3), source("c", 0)]).batches()) {
      seen.push(new TextDecoder().decode(batch.keys[0]));
      const last = cursors.get(batch.position!.node);
      assert.ok(
        last === undefined || Number(batch.position!.cursor) === Number(last) + 1,
        "in order per node",
      );
      cursors.set(batch.position!.node, batch.position!.cursor);
    }
    assert.deepEqual(seen.sort(), ["a:0", "a:1", "a:2", "a:3", "a:4", "b:0", "b:1", "b:2"]);
    assert.deepEqual(Object.fromEntries(cursors), { a: "5", b: "3" });
  },
});

Deno.test({
  name: "MergedSource ends with the first failure of any source",
  ...NONE,
  async fn() {
    await assert.rejects(async () => {
      for await (const _ of new MergedSource([source("a", 100), source("b", 100, 3)]).batches()) {
        // drain
      }
    }, /b failed/);
  },
});

Deno.test({
  name: "MergedSource stops every source when the signal aborts, and yields none of the batches waiting",
  ...NONE,
  async fn() {
    const stop = new AbortController();
    let count = 0;
    for await (const _ of new MergedSource([source("a", 1000), source("b", 1000)]).batches(stop.signal)) {
      if (++count === 10) stop.abort();
    }
    assert.equal(count, 10, "no batch after the abort (those scanned ahead are dropped)");
  },
});

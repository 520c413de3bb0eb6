/**
 * The pieces of the transfer loop that hold no connection: the bounded queue between stages and the
 * tracker of resume positions. Pure: no servers, no I/O.
 */
import assert from "node:assert/strict";
import { BoundedQueue } from "../src/pipeline/queue.ts";
import { PositionTracker } from "../src/pipeline/positions.ts";
import type { SourcePosition } from "../src/pipeline/stages.ts";

/** True when `promise` has settled after the pending microtasks and one macrotask. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => done = true, () => done = true);
  await new Promise((resolve) => setTimeout(resolve, 0));
  return done;
}

Deno.test(
  "BoundedQueue: a full queue blocks push until a consumer takes one",
  { permissions: "none" },
  async () => {
    const queue = new BoundedQueue<number>(2);
    await queue.push(1);
    await queue.push(2);
    const third = queue.push(3);
    assert.equal(await settled(third), false, "the third push waits");
    assert.equal(await queue.take(), 1);
    assert.equal(await settled(third), true);
    assert.deepEqual([await queue.take(), await queue.take()], [2, 3]);
  },
);

Deno.test("BoundedQueue: the weight bound blocks too, but one item heavier than it passes an empty queue", {
  permissions: "none",
}, async () => {
  const queue = new BoundedQueue<string>(100, 10);
  await queue.push("big", 50);
  const next = queue.push("small", 1);
  assert.equal(await settled(next), false, "over the weight bound");
  assert.equal(await queue.take(), "big");
  assert.equal(await settled(next), true);
  assert.equal(queue.queuedWeight, 1);
});

Deno.test(
  "BoundedQueue: a closed queue drains what it holds, then gives undefined; push after close throws",
  {
    permissions: "none",
  },
  async () => {
    const queue = new BoundedQueue<number>(4);
    await queue.push(1);
    await queue.push(2);
    queue.close();
    assert.deepEqual([await queue.take(), await queue.take(), await queue.take()], [1, 2, undefined]);
    await assert.rejects(queue.push(3), /push after close/);
    const waiting = new BoundedQueue<number>(1);
    const taker = waiting.take();
    waiting.close();
    assert.equal(await taker, undefined, "a waiting consumer is released");
  },
);

Deno.test("BoundedQueue: fail() rejects waiting and later pushes and takes, and drops what was queued", {
  permissions: "none",
}, async () => {
  const queue = new BoundedQueue<number>(1);
  await queue.push(1);
  const pusher = queue.push(2);
  const boom = new Error("reader failed");
  queue.fail(boom);
  await assert.rejects(pusher, (error) => error === boom);
  await assert.rejects(queue.take(), (error) => error === boom);
  await assert.rejects(queue.push(3), (error) => error === boom);
  const empty = new BoundedQueue<number>(1);
  const taker = empty.take();
  empty.fail(boom);
  await assert.rejects(taker, (error) => error === boom);
});

const at = (cursor: string, done = false): SourcePosition => ({ node: "", cursor, done });

Deno.test(
  "PositionTracker: the position moves only past batches whose keys, and every earlier batch's, are settled",
  {
    permissions: "none",
  },
  () => {
    const reached: string[] = [];
    const tracker = new PositionTracker((position) => reached.push(position.cursor));
    const a = tracker.open(10, at("11"));
    const b = tracker.open(5, at("22"));
    const c = tracker.open(0, at("33")); // an empty SCAN reply
    const d = tracker.open(4, at("0", true));
    tracker.settle(b, 5);
    tracker.settle(d, 4);
    assert.deepEqual(reached, [], "a later batch written first moves nothing");
    tracker.settle(a, 6);
    assert.deepEqual(reached, [], "part of the first batch is not enough");
    tracker.settle(a, 4);
    assert.deepEqual(reached, ["11", "22", "33", "0"]);
    assert.equal(c, 2);
  },
);

Deno.test("PositionTracker: batches without a position (a key list) advance nothing but do not block", {
  permissions: "none",
}, () => {
  const reached: string[] = [];
  const tracker = new PositionTracker((position) => reached.push(position.cursor));
  const a = tracker.open(3);
  const b = tracker.open(3, at("7"));
  tracker.settle(b, 3);
  tracker.settle(a, 3);
  assert.deepEqual(reached, ["7"]);
});

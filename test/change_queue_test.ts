/**
 * ChangeQueue, the live phase's de-duplicating queue of changed keys: a key waits once however often it
 * changes, keeps the time of its first unapplied change, and a key in flight is never handed out in a second
 * batch until `done()`. Pure: runs with permissions "none".
 */
import assert from "node:assert/strict";
import { ChangeQueue } from "../src/live/change_queue.ts";

const NONE = { permissions: "none" } as const;
const key = (text: string) => new TextEncoder().encode(text);
const names = (batch: { key: Uint8Array }[]) => batch.map((entry) => new TextDecoder().decode(entry.key));

Deno.test({
  name: "ChangeQueue.add() keeps a key once however often it changes, with the time of its first change",
  ...NONE,
  fn() {
    const queue = new ChangeQueue(10);
    assert.equal(queue.add(key("a"), 100), true);
    assert.equal(queue.add(key("b"), 110), true);
    assert.equal(queue.add(key("a"), 120), true);
    assert.equal(queue.add(key("a"), 130), true);
    assert.equal(queue.size, 2);
    const batch = queue.takeBatch(10);
    assert.deepEqual(names(batch), ["a", "b"], "in the order of the first change");
    assert.deepEqual(batch.map((entry) => entry.since), [100, 110], "lag counts from the oldest change");
    assert.equal(queue.size, 0);
  },
});

Deno.test({
  name: "ChangeQueue tells keys apart by every byte, including ones that are not UTF-8",
  ...NONE,
  fn() {
    const queue = new ChangeQueue(10);
    // Each of these decodes to U+FFFD as UTF-8: a text id would merge them.
    const keys = [Uint8Array.of(0xff), Uint8Array.of(0xfe), Uint8Array.of(0x80), Uint8Array.of(0xc3)];
    for (const k of keys) queue.add(k);
    // Long keys that differ only past their first 4096 bytes.
    const long1 = new Uint8Array(5000).fill(7);
    const long2 = long1.slice();
    long2[4999] = 8;
    queue.add(long1);
    queue.add(long2);
    assert.equal(queue.size, 6);
    const batch = queue.takeBatch(10);
    assert.deepEqual(batch.map((entry) => entry.key), [...keys, long1, long2]);
  },
});

Deno.test({
  name: "ChangeQueue.takeBatch() never hands out a key in flight again before done()",
  ...NONE,
  fn() {
    const queue = new ChangeQueue(10);
    queue.add(key("a"), 1);
    queue.add(key("b"), 2);
    const first = queue.takeBatch(10);
    assert.deepEqual(names(first), ["a", "b"]);
    assert.equal(queue.inFlightCount, 2);

    // Both change again while their first copy is in flight; a new key arrives too.
    queue.add(key("a"), 3);
    queue.add(key("c"), 4);
    queue.add(key("b"), 5);
    assert.equal(queue.size, 3, "a and b wait again, for their newer values");
    const second = queue.takeBatch(10);
    assert.deepEqual(names(second), ["c"], "only the key that is not in flight");
    assert.deepEqual(queue.takeBatch(10), [], "nothing else may go while a and b are in flight");

    queue.done(first);
    assert.equal(queue.inFlightCount, 1);
    const third = queue.takeBatch(10);
    assert.deepEqual(names(third), ["a", "b"], "the newer values go after the first batch is done");
    assert.deepEqual(third.map((entry) => entry.since), [3, 5]);
    queue.done(second);
    queue.done(third);
    assert.equal(queue.inFlightCount, 0);
    assert.equal(queue.size, 0);
  },
});

Deno.test({
  name: "ChangeQueue.takeBatch(max) takes at most max keys, oldest first, skipping keys in flight",
  ...NONE,
  fn() {
    const queue = new ChangeQueue(10);
    for (const name of ["a", "b", "c", "d", "e"]) queue.add(key(name));
    const first = queue.takeBatch(2);
    assert.deepEqual(names(first), ["a", "b"]);
    queue.add(key("a"));
    assert.deepEqual(names(queue.takeBatch(2)), ["c", "d"], "a is in flight: skipped, not counted");
    assert.deepEqual(names(queue.takeBatch(2)), ["e"]);
    queue.done(first);
    assert.deepEqual(names(queue.takeBatch(2)), ["a"]);
  },
});

Deno.test({
  name: "ChangeQueue.add() refuses a new key when full (counted), but a key already waiting is no overflow",
  ...NONE,
  fn() {
    const queue = new ChangeQueue(2);
    assert.equal(queue.add(key("a"), 1), true);
    assert.equal(queue.add(key("b"), 2), true);
    assert.equal(queue.add(key("a"), 3), true, "already waiting: nothing is lost");
    assert.equal(queue.overflowed, 0);
    assert.equal(queue.add(key("c"), 4), false, "full: the caller must re-scan");
    assert.equal(queue.overflowed, 1);
    assert.equal(queue.size, 2);
    assert.deepEqual(names(queue.takeBatch(10)), ["a", "b"]);
    // In flight keys do not count against the capacity: the queue holds waiting keys only.
    assert.equal(queue.add(key("c"), 5), true);
    assert.equal(queue.add(key("a"), 6), true);
    assert.equal(queue.add(key("d"), 7), false);
    assert.equal(queue.overflowed, 2);
  },
});

Deno.test({
  name: "ChangeQueue.clear() forgets waiting keys but keeps the in-flight guard until done()",
  ...NONE,
  fn() {
    const queue = new ChangeQueue(10);
    queue.add(key("a"));
    const first = queue.takeBatch(10);
    queue.add(key("a"));
    queue.add(key("b"));
    queue.clear();
    assert.equal(queue.size, 0);
    queue.add(key("a"));
    assert.deepEqual(queue.takeBatch(10), [], "a is still in flight after clear()");
    queue.done(first);
    assert.deepEqual(names(queue.takeBatch(10)), ["a"]);
  },
});

Deno.test({
  name: "ChangeQueue.waitForChange() resolves at once when a key can be taken, on add(), or on done()",
  ...NONE,
  async fn() {
    const queue = new ChangeQueue(10);
    queue.add(key("a"));
    await queue.waitForChange(60_000); // resolves at once, or the test times out
    const first = queue.takeBatch(10);

    let woke = false;
    const waiting = queue.waitForChange(60_000).then(() => woke = true);
    await Promise.resolve();
    assert.equal(woke, false);
    queue.add(key("b"));
    await waiting;

    const second = queue.takeBatch(10);
    queue.add(key("a")); // waits behind its in-flight copy: nothing to take yet
    let wokeOnDone = false;
    const onDone = queue.waitForChange(60_000).then(() => wokeOnDone = true);
    await Promise.resolve();
    assert.equal(wokeOnDone, false);
    queue.done(first);
    await onDone;
    assert.deepEqual(names(queue.takeBatch(10)), ["a"]);
    queue.done(second);
  },
});

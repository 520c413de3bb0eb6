/**
 * The one retry policy (src/retry.ts): what is retriable, the capped backoff with jitter, and the loop's
 * limits. Pure: no servers, no I/O.
 */
import assert from "node:assert/strict";
import { ErrorReply } from "../resp/mod.ts";
import { AuthError, ConnectionError, TimeoutError } from "../src/redis/errors.ts";
import { OptionError } from "../src/redis/options.ts";
import { backoffDelay, isRetriable, retry, type RetryPolicy } from "../src/retry.ts";
import { isRetriableCode } from "../src/pipeline/failure.ts";
import { failureCode } from "../src/pipeline/failure.ts";

const RETRIABLE: [string, unknown][] = [
  ["a lost connection", new ConnectionError("h:1", "h:1 closed the connection")],
  ["a timeout", new TimeoutError("h:1", "no reply")],
  ["LOADING", new ErrorReply("LOADING Redis is loading the dataset in memory")],
  ["BUSY", new ErrorReply("BUSY Redis is busy running a script.")],
  ["TRYAGAIN", new ErrorReply("TRYAGAIN Multiple keys request during rehashing of slot")],
  ["CLUSTERDOWN", new ErrorReply("CLUSTERDOWN The cluster is down")],
  ["MASTERDOWN", new ErrorReply("MASTERDOWN Link with MASTER is down")],
  ["READONLY", new ErrorReply("READONLY You can't write against a read only replica.")],
];

const NEVER: [string, unknown][] = [
  ["authentication", new AuthError("h:1", "Authentication failed at h:1: WRONGPASS")],
  ["a permission", new ErrorReply("NOPERM this user has no permissions to run the 'restore' command")],
  ["usage", new ErrorReply("ERR wrong number of arguments for 'restore' command")],
  ["a refused payload", new ErrorReply("ERR DUMP payload version or checksum are wrong")],
  ["a bad option", new OptionError("--retry-limit must be a number")],
  ["out of memory", new ErrorReply("OOM command not allowed when used memory > 'maxmemory'.")],
  ["a plain Error", new Error("bug")],
];

for (const [what, error] of RETRIABLE) {
  Deno.test(`isRetriable: ${what} is retried`, { permissions: "none" }, () => {
    assert.equal(isRetriable(error), true);
  });
}
for (const [what, error] of NEVER) {
  Deno.test(`isRetriable: ${what} is never retried`, { permissions: "none" }, () => {
    assert.equal(isRetriable(error), false);
  });
}

Deno.test("per-key refusals are sent again for exactly the replies the one predicate retries", {
  permissions: "none",
}, () => {
  for (const [what, error] of [...RETRIABLE, ...NEVER]) {
    if (!(error instanceof ErrorReply)) continue;
    assert.equal(isRetriableCode(failureCode(error)), isRetriable(error), what);
  }
  for (const text of ["MOVED 3999 127.0.0.1:6381", "ASK 3999 127.0.0.1:6381", "BUSYKEY Target key name"]) {
    assert.equal(isRetriableCode(failureCode(new ErrorReply(text))), false, text);
  }
});

Deno.test("backoffDelay doubles from --retry-backoff up to the cap, jittered within the upper half", {
  permissions: "none",
}, () => {
  const policy: RetryPolicy = { limit: 10, backoffMs: 100, maxBackoffMs: 1000 };
  const low = () => 0;
  const high = () => 1 - Number.EPSILON;
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(policy, n, high)), [
    100,
    200,
    400,
    800,
    1000,
    1000,
  ]);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(policy, n, low)), [
    50,
    100,
    200,
    400,
    500,
    500,
  ]);
  // A huge retry number neither overflows nor exceeds the cap.
  assert.equal(backoffDelay(policy, 10_000, high), 1000);
  for (let i = 0; i < 100; i++) {
    const delay = backoffDelay(policy, 3);
    assert.ok(delay >= 200 && delay <= 400, `${delay}`);
  }
});

const FAST: RetryPolicy = { limit: 3, backoffMs: 1, maxBackoffMs: 2 };

Deno.test("retry: a retriable failure is tried again up to the limit, then the last error is thrown", {
  permissions: "none",
}, async () => {
  let attempts = 0;
  const seen: number[] = [];
  const error = await retry(
    () => {
      attempts++;
      return Promise.reject(new ConnectionError("h:1", `lost ${attempts}`));
    },
    FAST,
    { onRetry: (_, n) => seen.push(n) },
  ).catch((e) => e);
  assert.equal(attempts, 4, "the first attempt and 3 retries");
  assert.deepEqual(seen, [1, 2, 3]);
  assert.equal((error as Error).message, "lost 4");
});

Deno.test("retry: a non-retriable failure is thrown at once; a success after failures resolves", {
  permissions: "none",
}, async () => {
  let attempts = 0;
  await assert.rejects(
    retry(() => {
      attempts++;
      return Promise.reject(new ErrorReply("NOPERM no"));
    }, FAST),
    /NOPERM/,
  );
  assert.equal(attempts, 1);
  attempts = 0;
  const value = await retry(() => {
    return ++attempts < 3 ? Promise.reject(new ErrorReply("BUSY script")) : Promise.resolve("done");
  }, FAST);
  assert.deepEqual([value, attempts], ["done", 3]);
});

Deno.test("retry: a failed reconnect counts as a failed attempt; --retry-limit 0 never retries", {
  permissions: "none",
}, async () => {
  let attempts = 0;
  let reconnects = 0;
  await assert.rejects(
    retry(
      () => {
        attempts++;
        return Promise.reject(new ConnectionError("h:1", "lost"));
      },
      FAST,
      {
        beforeRetry: () => {
          reconnects++;
          return Promise.reject(new ConnectionError("h:1", "refused"));
        },
      },
    ),
    /refused/,
  );
  assert.deepEqual([attempts, reconnects], [1, 3]);
  attempts = 0;
  await assert.rejects(
    retry(() => {
      attempts++;
      return Promise.reject(new ConnectionError("h:1", "lost"));
    }, { ...FAST, limit: 0 }),
  );
  assert.equal(attempts, 1);
});

Deno.test("retry: an abort ends the backoff pause and throws the last error", {
  permissions: "none",
}, async () => {
  const stop = new AbortController();
  const started = performance.now();
  setTimeout(() => stop.abort(), 20);
  let attempts = 0;
  await assert.rejects(
    retry(
      () => {
        attempts++;
        return Promise.reject(new ConnectionError("h:1", "lost"));
      },
      { limit: 5, backoffMs: 60_000, maxBackoffMs: 60_000 },
      { signal: stop.signal },
    ),
    /lost/,
  );
  assert.ok(performance.now() - started < 10_000);
  assert.ok(attempts <= 2, `${attempts}`);
});

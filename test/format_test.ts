/** Unit tests of src/ui/format.ts (pure) and of Progress rendering with an injected clock and writer. */

import assert from "node:assert/strict";
import {
  etaMs,
  fitColumns,
  formatBar,
  formatBytes,
  formatCount,
  formatDoneOfTotal,
  formatDuration,
  formatLag,
  formatPercent,
  formatProgressLine,
  formatRate,
  formatThousands,
  windowRate,
} from "../src/ui/format.ts";
import { Progress } from "../src/ui/progress.ts";
import { Logger } from "../src/ui/log.ts";

const permissions = "none" as const;
/** What the bar writes to go back to the start of its line and clear it. */
const CLEAR = "\r\x1b[2K";

Deno.test({
  name: "formatCount() shows at most 5 characters and moves up a unit when rounding reaches 1000",
  permissions,
  fn() {
    const cases: [number, string][] = [
      [0, "0"],
      [7, "7"],
      [999, "999"],
      [999.6, "1.0k"],
      [1000, "1.0k"],
      [1234, "1.2k"],
      [12_345, "12.3k"],
      [123_456, "123k"],
      [999_499, "999k"],
      [999_960, "1.0M"],
      [1_200_000, "1.2M"],
      [3_456_789_012, "3.5G"],
      [-1500, "-1.5k"],
    ];
    for (const [n, text] of cases) assert.equal(formatCount(n), text, `formatCount(${n})`);
  },
});

Deno.test({
  name: "formatBytes() uses binary units with a space",
  permissions,
  fn() {
    const cases: [number, string][] = [
      [0, "0 B"],
      [1023, "1023 B"],
      [1024, "1.0 KiB"],
      [1536, "1.5 KiB"],
      [12.3 * 1024 * 1024, "12.3 MiB"],
      [1024 * 1024 - 1, "1.0 MiB"],
      [150 * 1024 ** 3, "150 GiB"],
    ];
    for (const [n, text] of cases) assert.equal(formatBytes(n), text, `formatBytes(${n})`);
  },
});

Deno.test({
  name: "formatThousands() groups digits by three",
  permissions,
  fn() {
    assert.equal(formatThousands(0), "0");
    assert.equal(formatThousands(999), "999");
    assert.equal(formatThousands(1_000_000), "1,000,000");
    assert.equal(formatThousands(-12345.6), "-12,346");
  },
});

Deno.test({
  name: "formatDuration() picks the unit by size and rounds down",
  permissions,
  fn() {
    const cases: [number, string][] = [
      [0, "0ms"],
      [-5, "0ms"],
      [450, "450ms"],
      [2_560, "2.5s"],
      [9_999, "9.9s"],
      [45_900, "45s"],
      [185_000, "3m05s"],
      [3_720_000, "1h02m"],
      [2 * 86_400_000 + 3 * 3_600_000, "2d03h"],
      [Infinity, "--"],
    ];
    for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, `formatDuration(${ms})`);
  },
});

Deno.test({
  name: "formatPercent() clamps and never shows 100% before the end",
  permissions,
  fn() {
    assert.equal(formatPercent(0, 10), "0.0%");
    assert.equal(formatPercent(423, 1000), "42.3%");
    assert.equal(formatPercent(99_999, 100_000), "99.9%");
    assert.equal(formatPercent(10, 10), "100%");
    assert.equal(formatPercent(12, 10), "100%");
    assert.equal(formatPercent(5, undefined), "--");
    assert.equal(formatPercent(0, 0), "--");
  },
});

Deno.test({
  name: "windowRate() is items per second between the oldest and newest sample",
  permissions,
  fn() {
    assert.equal(windowRate([]), 0);
    assert.equal(windowRate([{ t: 0, done: 10 }]), 0);
    assert.equal(windowRate([{ t: 5, done: 0 }, { t: 5, done: 10 }]), 0);
    assert.equal(windowRate([{ t: 0, done: 0 }, { t: 500, done: 50 }, { t: 2000, done: 400 }]), 200);
    assert.equal(formatRate(1234), "1.2k/s");
  },
});

Deno.test({
  name: "etaMs() is undefined without a total or a rate, and 0 once done",
  permissions,
  fn() {
    assert.equal(etaMs(10, undefined, 5), undefined);
    assert.equal(etaMs(10, 100, 0), undefined);
    assert.equal(etaMs(100, 100, 0), 0);
    assert.equal(etaMs(40, 100, 20), 3000);
  },
});

Deno.test({
  name: "formatBar() fills the width in proportion, clamped",
  permissions,
  fn() {
    assert.equal(formatBar(0, 10), "[          ]");
    assert.equal(formatBar(0.5, 10), "[====>     ]");
    assert.equal(formatBar(1, 10), "[==========]");
    assert.equal(formatBar(7, 4), "[====]");
    assert.equal(formatBar(NaN, 4), "[    ]");
  },
});

Deno.test({
  name: "formatProgressLine() shows done/total, percent, rate, ETA and extra; final lines show the time",
  permissions,
  fn() {
    const line = { label: "copying", done: 12_300, total: 100_000, rate: 4_500, elapsedMs: 2_000 };
    assert.equal(formatProgressLine(line), "copying: 12.3k/100k (12.3%) 4.5k/s eta 19s");
    assert.equal(
      formatProgressLine({ ...line, totalEstimated: true, extra: "queue 12%" }, 10),
      "copying [>         ] 12.3k/~100k 12.3% 4.5k/s eta 19s | queue 12%",
    );
    assert.equal(
      formatProgressLine({ ...line, done: 100_000, final: true, elapsedMs: 61_000 }),
      "copying: 100k/100k (100%) 4.5k/s in 1m01s",
    );
    assert.equal(formatProgressLine({ label: "events", done: 42, rate: 0, elapsedMs: 1 }), "events: 42 0/s");
    assert.equal(formatDoneOfTotal(5, 10, true), "5/~10");
  },
});

Deno.test({
  name: "formatProgressLine() never shows more done than the total: a total passed grows and becomes a guess",
  permissions,
  fn() {
    // Live mode: keys written during the copy (new keys, changes) count too, so done can pass DBSIZE.
    const line = { label: "copying", done: 12_500, total: 10_000, rate: 4_500, elapsedMs: 2_000 };
    assert.equal(formatProgressLine(line), "copying: 12.5k/~12.5k (100%) 4.5k/s eta 0ms");
    assert.equal(
      formatProgressLine(line, 10),
      "copying [==========] 12.5k/~12.5k 100% 4.5k/s eta 0ms",
    );
    assert.equal(
      formatProgressLine({ ...line, final: true }),
      "copying: 12.5k/~12.5k (100%) 4.5k/s in 2.0s",
    );
  },
});

Deno.test({
  name: "fitColumns() cuts long lines with an ellipsis",
  permissions,
  fn() {
    assert.equal(fitColumns("abcdef", 10), "abcdef");
    assert.equal(fitColumns("abcdef", 4), "abc…");
  },
});

/** A Progress wired to an array of writes and a settable clock. */
function captured(style: "bar" | "log" | "none", intervalMs = 5) {
  const writes: string[] = [];
  const logger = new Logger("warn", { write: (line) => writes.push(line) });
  let clock = 0;
  let done = 0;
  const progress = new Progress({
    label: "gen",
    style,
    logger,
    intervalMs,
    write: (text) => writes.push(text),
    now: () => clock,
    poll: () => ({ done, total: 100 }),
  });
  return {
    progress,
    writes,
    logger,
    set(time: number, count: number) {
      clock = time;
      done = count;
    },
  };
}

/** Resolves once `condition()` holds (checked every few ms), rejects after 2 s. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("Condition not met within 2 s");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test({
  name: "Progress in log style prints a line per interval and a final one with the average rate",
  permissions,
  async fn() {
    const { progress, writes, set } = captured("log");
    progress.start();
    set(1_000, 40);
    await until(() => writes.length > 0);
    progress.stop(false); // the timer is stopped; write the final line by hand below
    assert.match(writes[0], /^gen: 40\/100 \(40\.0%\) 40\/s eta 1\.5s\n$/);
    const second = captured("log", 5);
    second.progress.start();
    await until(() => second.writes.length > 0);
    second.set(4_000, 100);
    second.progress.stop();
    assert.equal(second.writes.at(-1), "gen: 100/100 (100%) 25/s in 4.0s\n");
    second.progress.stop();
    assert.equal(second.writes.at(-1), "gen: 100/100 (100%) 25/s in 4.0s\n");
  },
});

Deno.test({
  name: "Progress in log style prints nothing for a run shorter than one interval",
  permissions,
  fn() {
    const { progress, writes, set } = captured("log", 60_000);
    progress.start();
    set(4_000, 100);
    progress.stop();
    assert.deepEqual(writes, []);
  },
});

Deno.test({
  name: "Progress with style none writes nothing",
  permissions,
  fn() {
    const { progress, writes } = captured("none");
    progress.start();
    progress.stop();
    assert.deepEqual(writes, []);
  },
});

Deno.test({
  name: "Progress bar clears its line before a log line and restores beforeWrite on stop",
  permissions,
  async fn() {
    const { progress, writes, logger, set } = captured("bar");
    set(1_000, 50);
    progress.start();
    await until(() => writes.length > 0);
    assert.ok(writes[0].startsWith(CLEAR));
    assert.match(writes[0].slice(CLEAR.length), /^gen \[=*>? *\] 50\/100 50\.0%/);
    progress.stop(false); // stop the timer before looking at the writes
    const before = writes.length;
    assert.equal(writes.at(-1), CLEAR); // stop(false) clears the bar
    logger.warn("hello");
    assert.deepEqual(writes.slice(before), ["warning: hello\n"]);
    assert.equal(logger.beforeWrite, undefined);
  },
});

Deno.test({
  name: "Progress bar: stop() draws the final line and ends it with a newline",
  permissions,
  fn() {
    const { progress, writes, set } = captured("bar", 60_000);
    progress.start();
    set(2_000, 100);
    progress.stop(true);
    assert.equal(writes.at(-1), `${CLEAR}gen [${"=".repeat(10)}] 100/100 100% 50/s in 2.0s\n`);
  },
});

Deno.test({
  name: "Progress bar: a log line written while the bar is shown clears it first",
  permissions,
  async fn() {
    const { progress, writes, logger } = captured("bar");
    progress.start();
    await until(() => writes.length > 0);
    logger.warn("note");
    progress.stop(false);
    const at = writes.indexOf("warning: note\n");
    assert.ok(at > 0);
    assert.equal(writes[at - 1], CLEAR);
  },
});

Deno.test({
  name: "formatLag() shows p50/p99 in ms, and says so when no change was applied (no NaN)",
  permissions: "none",
  fn() {
    assert.equal(formatLag(12.4, 40.6), "lag p50 12 ms, p99 41 ms");
    assert.equal(formatLag(NaN, NaN), "no change applied yet");
  },
});

/**
 * The live phase's loss watch, on made-up INFO text: a new run_id (restart), more FLUSHDB/FLUSHALL calls
 * (a flush sends no per-key events) and counters that went down (CONFIG RESETSTAT) each give a reason to
 * re-scan; nothing else does. Pure: runs with permissions "none".
 */
import assert from "node:assert/strict";
import { lossReason, type LossSnapshot, parseLossInfo } from "../src/live/loss_watch.ts";

const NONE = { permissions: "none" } as const;

const RUN_A = "4f2a9c1d0b7e3a5c6d8e9f0a1b2c3d4e5f6a7b8c";
// Same first digit and length as RUN_A: only the full id tells them apart.
const RUN_B = "4e11d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3";

/** INFO server + commandstats as a Redis 7 server words it (CRLF line ends, sections, other commands). */
function info(runId: string, calls: { flushdb?: number; flushall?: number; swapdb?: number } = {}): string {
  const lines = [
    "# Server",
    "redis_version:7.0.15",
    "redis_git_sha1:00000000",
    "redis_mode:standalone",
    "process_id:4242",
    "process_supervised:no",
    `run_id:${runId}`,
    "tcp_port:6379",
    "uptime_in_seconds:12",
    "",
    "# Commandstats",
    "cmdstat_set:calls=1000,usec=900,usec_per_call=0.90,rejected_calls=0,failed_calls=0",
  ];
  if (calls.flushdb !== undefined) {
    lines.push(
      `cmdstat_flushdb:calls=${calls.flushdb},usec=31,usec_per_call=10.33,rejected_calls=0,failed_calls=0`,
    );
  }
  lines.push("cmdstat_info:calls=7,usec=250,usec_per_call=35.71,rejected_calls=0,failed_calls=0");
  if (calls.flushall !== undefined) {
    lines.push(
      `cmdstat_flushall:calls=${calls.flushall},usec=8,usec_per_call=8.00,rejected_calls=0,failed_calls=0`,
    );
  }
  if (calls.swapdb !== undefined) {
    lines.push(
      `cmdstat_swapdb:calls=${calls.swapdb},usec=5,usec_per_call=5.00,rejected_calls=0,failed_calls=0`,
    );
  }
  return lines.join("\r\n") + "\r\n";
}

Deno.test({
  name: "parseLossInfo() reads the whole run_id and adds FLUSHDB and FLUSHALL calls",
  ...NONE,
  fn() {
    assert.deepEqual(parseLossInfo(info(RUN_A, { flushdb: 3, flushall: 12 })), {
      runId: RUN_A,
      flushes: 15,
      swaps: 0,
    });
    assert.deepEqual(parseLossInfo(info(RUN_B, { flushdb: 2 })), { runId: RUN_B, flushes: 2, swaps: 0 });
    assert.deepEqual(parseLossInfo(info(RUN_B, { flushall: 1 })), { runId: RUN_B, flushes: 1, swaps: 0 });
    assert.deepEqual(
      parseLossInfo(info(RUN_A)),
      { runId: RUN_A, flushes: 0, swaps: 0 },
      "never flushed: no line",
    );
    assert.deepEqual(parseLossInfo(info(RUN_A).replaceAll("\r\n", "\n")), {
      runId: RUN_A,
      flushes: 0,
      swaps: 0,
    });
  },
});

Deno.test({
  name: "lossReason() says nothing while run_id and flush calls stay the same",
  ...NONE,
  fn() {
    const before = parseLossInfo(info(RUN_A, { flushdb: 1, flushall: 1 }));
    const now = parseLossInfo(info(RUN_A, { flushdb: 1, flushall: 1 }));
    assert.equal(lossReason(before, now), undefined);
  },
});

Deno.test({
  name: "lossReason() sees a restart by its new run_id, whatever the flush counters did",
  ...NONE,
  fn() {
    const before = parseLossInfo(info(RUN_A, { flushdb: 4 }));
    for (const after of [info(RUN_B, { flushdb: 4 }), info(RUN_B), info(RUN_B, { flushdb: 9 })]) {
      assert.match(lossReason(before, parseLossInfo(after)) ?? "", /restarted \(its run_id changed\)/);
    }
  },
});

Deno.test({
  name: "lossReason() sees a FLUSHDB or FLUSHALL since the last check, and a reset of the statistics",
  ...NONE,
  fn() {
    const before = parseLossInfo(info(RUN_A, { flushdb: 2, flushall: 0 }));
    const flushed = [info(RUN_A, { flushdb: 3, flushall: 0 }), info(RUN_A, { flushdb: 2, flushall: 1 })];
    for (const after of flushed) {
      assert.match(lossReason(before, parseLossInfo(after)) ?? "", /FLUSHDB\/FLUSHALL ran on the source/);
    }
    // CONFIG RESETSTAT: the counters drop, so a flush in between could be hidden.
    assert.match(
      lossReason(before, parseLossInfo(info(RUN_A))) ?? "",
      /command statistics were reset/,
    );
  },
});

Deno.test({
  name: "lossReason() over a sequence of INFO polls reports each loss once, at the poll that shows it",
  ...NONE,
  fn() {
    const polls = [
      info(RUN_A),
      info(RUN_A),
      info(RUN_A, { flushdb: 1 }),
      info(RUN_A, { flushdb: 1 }),
      info(RUN_B),
      info(RUN_B),
    ];
    const reasons: (string | undefined)[] = [];
    let last: LossSnapshot = parseLossInfo(polls[0]);
    for (const text of polls.slice(1)) {
      const now = parseLossInfo(text);
      reasons.push(lossReason(last, now));
      last = now;
    }
    assert.deepEqual(reasons.map((reason) => reason?.split(" ")[0]), [
      undefined,
      "FLUSHDB/FLUSHALL",
      undefined,
      "the",
      undefined,
    ]);
    assert.match(reasons[3]!, /run_id/);
  },
});

Deno.test({
  name: "lossReason() sees a SWAPDB (a swapped database sends no per-key events) and a reset of its counter",
  ...NONE,
  fn() {
    const before = parseLossInfo(info(RUN_A, { flushdb: 1 }));
    assert.equal(parseLossInfo(info(RUN_A, { swapdb: 4 })).swaps, 4);
    assert.match(lossReason(before, parseLossInfo(info(RUN_A, { flushdb: 1, swapdb: 1 }))) ?? "", /SWAPDB/);
    const swapped = parseLossInfo(info(RUN_A, { flushdb: 1, swapdb: 2 }));
    assert.match(lossReason(swapped, before) ?? "", /statistics were reset/);
  },
});

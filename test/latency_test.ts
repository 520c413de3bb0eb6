/** LatencyStats: pure, so these run with permissions "none". */

import assert from "node:assert/strict";
import { LatencyStats } from "../src/pipeline/latency.ts";

Deno.test({
  name: "LatencyStats reports NaN with no samples",
  permissions: "none",
  fn() {
    const stats = new LatencyStats();
    assert.equal(stats.count, 0);
    assert.ok(Number.isNaN(stats.avg));
    assert.ok(Number.isNaN(stats.percentile(50)));
  },
});

Deno.test({
  name: "LatencyStats.percentile() is the exact nearest rank while samples fit the exact buffer",
  permissions: "none",
  fn() {
    const stats = new LatencyStats();
    for (const ms of [4, 1, 3, 2, 100]) stats.add(ms);
    assert.deepEqual([stats.min, stats.max, stats.avg, stats.count], [1, 100, 22, 5]);
    assert.equal(stats.percentile(0), 1);
    assert.equal(stats.percentile(20), 1);
    assert.equal(stats.percentile(21), 2);
    assert.equal(stats.percentile(50), 3);
    assert.equal(stats.percentile(80), 4);
    assert.equal(stats.percentile(99), 100);
    assert.equal(stats.percentile(100), 100);
    stats.add(0);
    assert.equal(stats.percentile(0), 0, "adding after a percentile re-sorts");
    assert.throws(() => stats.percentile(101), RangeError);
    assert.throws(() => stats.add(-1), RangeError);
    assert.throws(() => stats.add(NaN), RangeError);
  },
});

Deno.test({
  name: "LatencyStats stays within its precision past the exact buffer, in bounded memory",
  permissions: "none",
  fn() {
    const stats = new LatencyStats({ exactSamples: 100, precision: 0.01 });
    // 1,000,000 samples: 0.001 ms .. 1000 ms, uniformly spread in rank.
    const n = 1_000_000;
    for (let i = 1; i <= n; i++) stats.add(i / 1000);
    assert.equal(stats.count, n);
    assert.equal(stats.min, 0.001);
    assert.equal(stats.max, 1000);
    assert.ok(Math.abs(stats.avg - 500.0005) < 1e-6);
    for (const p of [1, 50, 90, 99, 99.9]) {
      const exact = (p / 100) * n / 1000;
      const got = stats.percentile(p);
      assert.ok(Math.abs(got - exact) / exact <= 0.01, `p${p}: ${got} vs ${exact}`);
    }
    assert.equal(stats.percentile(100), 1000);
    assert.equal(stats.percentile(0), 0.001);
  },
});

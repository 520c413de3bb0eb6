/** cli/cluster_flags.ts: --key-slots, --partition and sentinel descriptions to typed values. Pure. */

import assert from "node:assert/strict";
import { sentinelSetup, slotSelection } from "../src/cli/cluster_flags.ts";
import { UsageError } from "../src/cli/parse.ts";
import { DEFAULT_CONNECTION } from "../src/redis/options.ts";

const permissions = "none" as const;
const env = (vars: Record<string, string> = {}) => ({ get: (name: string) => vars[name] });

Deno.test({
  name: "slotSelection() reads --key-slots or --partition, neither means every slot, both is a usage error",
  permissions,
  fn() {
    assert.equal(slotSelection({}, env()), undefined);
    assert.deepEqual(slotSelection({ keySlots: "10923-16383,0-5460" }, env()), {
      ranges: [{ start: 0, end: 5460 }, { start: 10923, end: 16383 }],
    });
    const auto = slotSelection({ partition: "auto/4" }, env({ JOB_COMPLETION_INDEX: "1" }));
    assert.deepEqual(auto?.ranges, [{ start: 4096, end: 8191 }]);
    assert.equal(auto?.partition?.index, 1);
    assert.throws(() => slotSelection({ keySlots: "1", partition: "0/2" }, env()), /give one of them/);
    assert.throws(() => slotSelection({ keySlots: "9-1" }, env()), UsageError);
    assert.throws(() => slotSelection({ partition: "auto/2" }, env()), (error: Error) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, /needs JOB_COMPLETION_INDEX/);
      return true;
    });
  },
});

Deno.test({
  name: "sentinelSetup() takes a redis-sentinel:// URI or --sentinel-master with -h/-p, never both",
  permissions,
  fn() {
    const options = { ...DEFAULT_CONNECTION, host: "s1", port: 26380, password: "pw", db: 2 };
    assert.equal(sentinelSetup(options, undefined, undefined), undefined);
    assert.equal(sentinelSetup(options, undefined, "redis://h:1"), undefined);
    assert.deepEqual(sentinelSetup(options, "mymaster", undefined), {
      sentinels: [{ host: "s1", port: 26380 }],
      service: "mymaster",
      master: { user: undefined, password: "pw", db: 2, tls: false },
    });
    assert.equal(sentinelSetup(options, undefined, "redis-sentinel://a,b:2/svc")?.sentinels.length, 2);
    assert.throws(() => sentinelSetup(options, "m", "redis-sentinel://a/svc"), /both name the service/);
    assert.throws(() => sentinelSetup(options, undefined, "redis-sentinel://:secret@a"), (error: Error) => {
      assert.ok(error instanceof UsageError);
      assert.ok(!error.message.includes("secret"));
      return true;
    });
    assert.throws(() => sentinelSetup({ ...options, cluster: true }, "m", undefined), /do not go together/);
  },
});

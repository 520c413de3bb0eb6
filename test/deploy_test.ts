/** deploy/kubernetes/replicate-job.yaml: the example Job stays consistent with itself. */

import assert from "node:assert/strict";

Deno.test({
  name: "replicate-job.yaml: an Indexed Job whose completions match --partition auto/N, parallelism <= N",
  permissions: { read: ["deploy/kubernetes/replicate-job.yaml"] },
  async fn() {
    const text = await Deno.readTextFile(new URL("../deploy/kubernetes/replicate-job.yaml", import.meta.url));
    assert.match(text, /^\s+completionMode: Indexed\s*$/m);
    const completions = Number(/^\s+completions: (\d+)/m.exec(text)?.[1]);
    const parallelism = Number(/^\s+parallelism: (\d+)/m.exec(text)?.[1]);
    const partition = Number(/--partition=auto\/(\d+)/.exec(text)?.[1]);
    assert.ok(completions >= 1);
    assert.equal(partition, completions);
    assert.ok(parallelism >= 1 && parallelism <= completions);
    assert.match(text, /restartPolicy: Never/);
    assert.ok(!/password: ["']?[^$\s]/i.test(text), "no literal password in the manifest");
  },
});

/**
 * Target keys no source key accounts for (the verification's target pass), and re-checks of remembered
 * differences, which treat a key only in the target by the same rule. With --key-proc the rule runs the
 * template backwards (KeyMap.onlyInTarget); without, it asks the source for the key itself.
 */
import type { Commands } from "../redis/commands.ts";
import { type Checked, checkKeys } from "./check_keys.ts";
import { expiresBy, readSides } from "./sides.ts";
import type { Diff, VerifyConfig } from "./verify.ts";

/**
 * The target pass on one batch of target keys: those no source key accounts for are "only in target".
 * Without --key-proc: keys the source lacks (one multi-key EXISTS answers the common case, every key on
 * the source, in one command), re-checked on both sides since the key may have appeared on the source
 * meanwhile; keys now on both sides are not counted here, the source pass counts the keys it sees. With
 * --key-proc: keys that no existing source key maps to, still on the target when looked at again.
 */
export async function checkTargetKeys(
  source: Commands,
  target: Commands,
  keys: Uint8Array[],
  config: VerifyConfig,
): Promise<Checked> {
  if (config.keyMap) {
    const only = await config.keyMap.onlyInTarget(source, keys, config.scan);
    return await stillOnTarget(target, keys.filter((_, i) => only[i]), config);
  }
  const present = await source.call("EXISTS", ...keys);
  if (present === keys.length) return NOTHING_CHECKED;
  const replies = await source.pipelineKeys([["EXISTS"]], keys);
  const extra = keys.filter((_, i) => replies[i] === 0);
  if (extra.length === 0) return NOTHING_CHECKED;
  const checked = await checkKeys(source, target, extra, config);
  return {
    ok: 0,
    expired: checked.expired,
    onBoth: 0,
    onSource: 0,
    found: checked.found.filter((d) => d.kind === "extra"),
  };
}

/** Target keys known to be no source key's image: "only in target" unless gone or expiring. */
async function stillOnTarget(target: Commands, keys: Uint8Array[], config: VerifyConfig): Promise<Checked> {
  const sides = keys.length === 0 ? [] : await readSides(target, keys, "quick", config.targetExpireTime);
  const expiredBy = Date.now() + config.ttlToleranceMs;
  const checked: Checked = { ok: 0, expired: 0, onBoth: 0, onSource: 0, found: [] };
  sides.forEach((side, i) => {
    if (!side.present) return;
    if (expiresBy(side, expiredBy)) checked.expired++;
    else checked.found.push({ key: keys[i], kind: "extra", detail: "only in target" });
  });
  return checked;
}

export const NOTHING_CHECKED: Checked = Object.freeze({
  ok: 0,
  expired: 0,
  onBoth: 0,
  onSource: 0,
  found: [],
});

/** One slice of remembered diffs checked again; with --key-proc, target-only keys by the target pass's rule. */
export async function recheckSlice(
  slice: Diff[],
  source: Commands,
  target: Commands,
  config: VerifyConfig,
): Promise<Checked> {
  if (!config.keyMap) return await checkKeys(source, target, slice.map((diff) => diff.key), config);
  const extra = slice.filter((diff) => diff.kind === "extra").map((diff) => diff.key);
  const others = slice.filter((diff) => diff.kind !== "extra").map((diff) => diff.key);
  const [a, b] = await Promise.all([
    checkKeys(source, target, others, config),
    extra.length === 0 ? NOTHING_CHECKED : checkTargetKeys(source, target, extra, config),
  ]);
  return {
    ok: a.ok + b.ok,
    expired: a.expired + b.expired,
    onBoth: a.onBoth,
    onSource: a.onSource,
    found: [...a.found, ...b.found],
  };
}

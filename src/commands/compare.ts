/**
 * `riot compare SOURCE TARGET`: verify that two databases hold the same keys, types, TTLs (and values with
 * --mode full). Prints OK:n V:n >:n <:n T:n; exit 0 when nothing differs, 1 otherwise.
 */
import type { CommandModule } from "../cli/command.ts";
import { parseCommandArgs } from "../cli/command.ts";
import type { OptionSpec } from "../cli/parse.ts";
import {
  KEY_SPECS,
  OUTPUT_SPECS,
  scanOptionsFrom,
  threadsWithin,
  VERIFY_SPECS,
} from "../cli/replication_specs.ts";
import { resolveTwoServers, TWO_SERVER_SPECS } from "../cli/two_servers.ts";
import {
  readFromOf,
  sentinelSetup,
  setAsideSentinelUris,
  SLOT_AND_SENTINEL_SPECS,
  slotSelection,
  withSlotFilter,
} from "../cli/cluster_flags.ts";
import { SlotSet } from "../redis/cluster/slots.ts";
import type { ServerEndpoint } from "../redis/server_endpoint.ts";
import { openSide, sumDbSize, verifyConnectionsOf } from "../jobs/sides.ts";
import { supportsExpireTime } from "../readers/dump_reader.ts";
import { type CompareMode, differs, verify } from "../verify/verify.ts";
import { defaultProgressStyle, Progress, type ProgressStyle } from "../ui/progress.ts";
import { reportVerify, verifyJson } from "../ui/report.ts";

const SPECS: readonly OptionSpec[] = [
  {
    long: "mode",
    kind: "string",
    key: "mode",
    arg: "MODE",
    choices: ["quick", "full"],
    help: "quick: existence, type and TTL; full: values too",
    defaultText: "quick",
  },
  {
    long: "quick",
    kind: "flag",
    key: "mode",
    value: "quick",
    help: "Same as --mode quick (RIOT's spelling)",
  },
  {
    long: "pause",
    kind: "duration",
    key: "pause",
    arg: "MS",
    min: 0,
    help: "Pause before each re-check round",
    defaultText: "1s",
  },
  ...KEY_SPECS,
  ...VERIFY_SPECS,
  ...SLOT_AND_SENTINEL_SPECS,
  ...OUTPUT_SPECS,
  ...TWO_SERVER_SPECS,
];

export const compareCommand: CommandModule = {
  name: "compare",
  summary: "Compare the keys of two Redis databases",
  usage: `Usage: riot compare SOURCE_URI TARGET_URI [OPTIONS]
       riot [SOURCE OPTIONS] compare [TARGET OPTIONS] [OPTIONS]

Prints OK:n V:n >:n <:n T:n: identical, value (or type) differs, only in source, only in target, TTL off
by more than --ttl-tolerance. --rounds N re-checks differing keys so that keys changing during the check
are not reported as lasting differences.
`,
  specs: SPECS,
  async run(context) {
    const { values, positionals: given } = parseCommandArgs(compareCommand, context.argv);
    const { positionals, uris } = setAsideSentinelUris(given);
    const { source, target } = resolveTwoServers(context.global, values, positionals, context.env);
    const sentinel = {
      source: sentinelSetup(source, values.sentinelMaster as string | undefined, uris[0]),
      target: sentinelSetup(target, undefined, uris[1]),
    };
    const selection = slotSelection(values, context.env);
    const slots = selection ? new SlotSet(selection.ranges) : undefined;
    const json = values.json === true;
    const style = (values.progress as ProgressStyle | undefined) ?? (json ? "none" : defaultProgressStyle());
    const threads = threadsWithin(values, source.pool, target.pool);
    const showDiffs = (values.showDiffs as number | undefined) ?? 10;
    const servers: ServerEndpoint[] = [];
    try {
      const left = await openSide(
        { ...source, clientName: "riot-compare" },
        "source",
        threads,
        sentinel.source,
        {
          readFrom: readFromOf(values),
        },
      );
      servers.push(left);
      const right = await openSide(
        { ...target, clientName: "riot-compare" },
        "target",
        threads,
        sentinel.target,
      );
      servers.push(right);
      const [sourceExpireTime, targetExpireTime] = await Promise.all([
        supportsExpireTime(left.control),
        supportsExpireTime(right.control),
      ]);
      const total = await sumDbSize(left.scanNodes(slots));
      const checked = { checked: 0 };
      const progress = new Progress({
        label: "comparing",
        style,
        logger: context.log,
        poll: () => ({ done: checked.checked, total, totalEstimated: values.keyPattern !== undefined }),
      });
      progress.start();
      let result;
      try {
        result = await verify(
          verifyConnectionsOf(left, right, slots),
          {
            mode: (values.mode as CompareMode | undefined) ?? "quick",
            ttlToleranceMs: (values.ttlTolerance as number | undefined) ?? 100,
            scan: withSlotFilter(scanOptionsFrom(values), slots),
            batch: (values.batch as number | undefined) ?? 1000,
            rounds: (values.rounds as number | undefined) ?? 1,
            pauseMs: (values.pause as number | undefined) ?? 1000,
            sourceExpireTime,
            targetExpireTime,
          },
          checked,
        );
      } finally {
        progress.stop(true);
      }
      if (json) context.out(`${JSON.stringify(verifyJson(result, showDiffs))}\n`);
      else {
        context.log.notice(`Compared in ${result.seconds.toFixed(2)} s (${result.rounds} round(s))`);
        reportVerify(result, showDiffs, context.log, context.out);
      }
      return differs(result) ? 1 : 0;
    } finally {
      for (const server of servers) server.close();
    }
  },
};

/**
 * `riot compare SOURCE TARGET`: verify that two databases hold the same keys, types, TTLs (and values with
 * --mode full). Prints OK:n V:n >:n <:n T:n; exit 0 when nothing differs, 1 otherwise.
 */
import type { CommandModule } from "../cli/command.ts";
import { parseCommandArgs } from "../cli/command.ts";
import type { OptionSpec } from "../cli/parse.ts";
import {
  filtersText,
  KEY_PROC_SPEC,
  KEY_SPECS,
  keyMapFrom,
  OUTPUT_SPECS,
  scanOptionsFrom,
  STREAM_SPECS,
  streamOptionsFrom,
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
import { type CompareMode, differs, verify, type VerifyPosition } from "../verify/verify.ts";
import { openCompareCheckpoint } from "../jobs/compare_checkpoint.ts";
import { defaultProgressStyle, Progress, type ProgressStyle } from "../ui/progress.ts";
import { reportVerify, verifyJson } from "../ui/report.ts";
import { watchStopSignals } from "./stop_signals.ts";

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
  {
    long: "checkpoint",
    kind: "string",
    key: "checkpoint",
    arg: "FILE",
    help: "Record how far the comparison got in FILE (SIGINT saves it) and continue from it when run again",
  },
  KEY_PROC_SPEC,
  ...STREAM_SPECS,
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
    const { source, target, clusterFlags } = resolveTwoServers(
      context.global,
      values,
      positionals,
      context.env,
    );
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
    const keyMap = keyMapFrom(values, source.db);
    const streams = streamOptionsFrom(values);
    const servers: ServerEndpoint[] = [];
    const stop = new AbortController();
    try {
      const left = await openSide(
        { ...source, clientName: "riot-compare" },
        "source",
        threads,
        sentinel.source,
        { readFrom: readFromOf(values), flag: clusterFlags.source, side: "source" },
      );
      servers.push(left);
      const right = await openSide(
        { ...target, clientName: "riot-compare" },
        "target",
        threads,
        sentinel.target,
        { flag: clusterFlags.target, side: "target" },
      );
      servers.push(right);
      const [sourceExpireTime, targetExpireTime] = await Promise.all([
        supportsExpireTime(left.control),
        supportsExpireTime(right.control),
      ]);
      const mode = (values.mode as CompareMode | undefined) ?? "quick";
      const checkpoint = values.checkpoint === undefined ? undefined : await openCompareCheckpoint(
        values.checkpoint as string,
        { source: left.name, target: right.name, db: `${source.db}->${target.db}` },
        `compare --mode ${mode}${filtersText(values) ? ` ${filtersText(values)}` : ""}`,
      );
      // With --checkpoint, the first signal ends the comparison at a batch boundary so that the checkpoint
      // is saved; without, a signal ends the process as usual.
      const signals = checkpoint
        ? watchStopSignals(context, {
          stop: () => stop.abort(),
          meaning: () => "finishing the batches in flight, then saving the checkpoint",
          abortNote: "the checkpoint keeps its last save",
        })
        : undefined;
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
      let last: VerifyPosition | undefined = checkpoint?.resume;
      checkpoint?.file.autosave(2000, () => ({ ...last?.counts }));
      try {
        result = await verify(
          verifyConnectionsOf(left, right, slots),
          {
            mode,
            ttlToleranceMs: (values.ttlTolerance as number | undefined) ?? 100,
            scan: withSlotFilter(scanOptionsFrom(values), slots),
            batch: (values.batch as number | undefined) ?? 1000,
            rounds: (values.rounds as number | undefined) ?? 1,
            pauseMs: (values.pause as number | undefined) ?? 1000,
            sourceExpireTime,
            targetExpireTime,
            keyMap,
            streamIds: !streams?.newIds,
            streamPrune: streams?.prune,
            log: context.log,
            signal: stop.signal,
            resume: checkpoint?.resume,
            onPosition: checkpoint
              ? (position) => {
                last = position;
                checkpoint.file.advance({ node: "", cursor: position.cursor, done: position.done });
              }
              : undefined,
          },
          checked,
        );
      } finally {
        progress.stop(true);
        signals?.close();
        checkpoint?.file.stop();
      }
      if (checkpoint) {
        if (!result.stopped) checkpoint.file.markComplete();
        checkpoint.file.setCounters({ ...last?.counts });
        await checkpoint.file.save();
      }
      const resumed = checkpoint?.resume !== undefined;
      if (json) {
        const shape = verifyJson(result, showDiffs);
        const before = checkpoint?.resume?.counts.seen ?? 0;
        context.out(`${JSON.stringify(checkpoint ? { ...shape, resumed, checkedBefore: before } : shape)}\n`);
      } else {
        context.log.notice(`Compared in ${result.seconds.toFixed(2)} s (${result.rounds} round(s))`);
        if (resumed) {
          context.log.notice(
            `Resumed from checkpoint ${checkpoint!.file.path}: ${
              checkpoint!.resume!.counts.seen
            } key(s) were ` +
              "checked before; their differences are counted, not listed",
          );
        }
        reportVerify(result, showDiffs, context.log, context.out);
      }
      if (result.stopped && signals?.received) {
        context.log.warn(
          `Stopped by ${signals.received} after ${last?.counts.seen ?? 0} source key(s) checked: ` +
            `run the same command again to continue from checkpoint ${checkpoint!.file.path}`,
        );
        return signals.exitCode;
      }
      return differs(result) ? 1 : 0;
    } finally {
      for (const server of servers) server.close();
    }
  },
};

/**
 * Source and target of replicate/compare, from either CLI form:
 * - classic: options before the command are the source's, connection options after it the target's
 *   (`riot -h src -p 6379 replicate -h tgt -p 6380`);
 * - URIs: `riot replicate SOURCE_URI TARGET_URI`;
 * - explicit: `--source-port`, `--target-tls`, ... anywhere after the command.
 * A server described twice in different ways (say a positional URI and --source-uri) is a usage error.
 */
import { type ConnectionOptions, describeEndpoint } from "../redis/options.ts";
import { redactUri } from "../redis/uri.ts";
import {
  CONNECTION_SPECS,
  type Environment,
  hasConnectionValues,
  lowerFirst,
  pickPrefixed,
  prefixedConnectionSpecs,
  toConnectionOptions,
} from "./connection_flags.ts";
import { type OptionSpec, type ParsedValues, UsageError } from "./parse.ts";

/** Options accepted after replicate/compare: target connection options and both prefixed forms. */
export const TWO_SERVER_SPECS: readonly OptionSpec[] = [
  ...CONNECTION_SPECS.map((spec) => ({
    ...spec,
    owner: "target",
    help: `Target: ${lowerFirst(spec.help)}`,
  })),
  ...prefixedConnectionSpecs("source"),
  ...prefixedConnectionSpecs("target"),
];

export interface TwoServers {
  source: ConnectionOptions;
  target: ConnectionOptions;
  /**
   * Per side, the cluster flag its error lines name (src/redis/cluster/detect.ts): the one the user gave,
   * when cluster mode is on (to drop it); the one to add, when it is off.
   */
  clusterFlags: { source: string; target: string };
}

export function resolveTwoServers(
  global: ParsedValues,
  own: ParsedValues,
  positionals: string[],
  env: Environment,
): TwoServers {
  if (positionals.length > 2) {
    throw new UsageError(
      `Too many arguments: ${
        positionals.slice(2).map((text) => redactUri(text, false)).join(" ")
      } (expected at most SOURCE TARGET)`,
    );
  }
  const sourceFlags = pickPrefixed(own, "source");
  const targetFlags = pickPrefixed(own, "target");
  const plainTarget: ParsedValues = {};
  for (const spec of CONNECTION_SPECS) {
    if (own[spec.key] !== undefined) plainTarget[spec.key] = own[spec.key];
  }
  let sourceUri: string | undefined;
  let targetUri: string | undefined;
  if (positionals.length === 2) [sourceUri, targetUri] = positionals;
  else if (positionals.length === 1) {
    const sourceGiven = hasConnectionValues(global) || hasConnectionValues(sourceFlags);
    if (sourceGiven) targetUri = positionals[0];
    else sourceUri = positionals[0];
  }
  conflict("source", sourceUri, sourceFlags.uri, "--source-uri");
  conflict("source", sourceUri, global.uri, "-u before the command");
  conflict("target", targetUri, targetFlags.uri, "--target-uri");
  conflict("target", targetUri, plainTarget.uri, "-u after the command");
  for (const spec of CONNECTION_SPECS) {
    conflictValue("source", spec, global[spec.key], sourceFlags[spec.key]);
    conflictValue("target", spec, plainTarget[spec.key], targetFlags[spec.key]);
  }
  const source = toConnectionOptions([global, sourceFlags], env, sourceUri, {
    side: "source",
    prefixes: [undefined, "source"],
  });
  const target = toConnectionOptions([plainTarget, targetFlags], env, targetUri, {
    side: "target",
    prefixes: [undefined, "target"],
  });
  if (!hasConnectionValues(plainTarget) && !hasConnectionValues(targetFlags) && targetUri === undefined) {
    throw new UsageError(
      "No target: give it after the command (-h HOST -p PORT, -u URI, --target-port ...) or as the second URI",
    );
  }
  if (describeEndpoint(source) === describeEndpoint(target) && source.db === target.db) {
    throw new UsageError(
      `Source and target are the same database (${
        describeEndpoint(source)
      }, db ${source.db}): give the target after the command`,
    );
  }
  return { source, target, clusterFlags: clusterFlagsOf(own, global.cluster === true) };
}

/**
 * Cluster mode is on for the source by -c before the command or --source-cluster, for the target by -c
 * after it or --target-cluster: name the one given, or, to add, the prefixed form (it works in every CLI
 * form) with the short one beside it.
 */
function clusterFlagsOf(own: ParsedValues, globalCluster: boolean): TwoServers["clusterFlags"] {
  return {
    source: globalCluster
      ? "-c"
      : own["source.cluster"] === true
      ? "--source-cluster"
      : "--source-cluster (or -c before the command)",
    target: own.cluster === true
      ? "-c"
      : own["target.cluster"] === true
      ? "--target-cluster"
      : "--target-cluster (or -c after the command)",
  };
}

function conflict(side: string, positional: unknown, other: unknown, name: string): void {
  if (positional !== undefined && other !== undefined && positional !== other) {
    throw new UsageError(
      `The ${side} is given twice: as the URI '${redactUri(String(positional))}' and with ${name}`,
    );
  }
}

function conflictValue(side: string, spec: OptionSpec, a: unknown, b: unknown): void {
  if (a !== undefined && b !== undefined && a !== b) {
    throw new UsageError(`Conflicting ${side} options: --${spec.long} and --${side}-${spec.long} differ`);
  }
}

/**
 * What readers, writers and verifiers need from a server: the commands of a RedisConnection, without its
 * socket. A RedisConnection is one (one server); a ClusterConnection is one too (a whole cluster, routed
 * by slot), and so is a NodeClient (one node of a cluster). Stages typed with CommandTarget work on all of
 * them unchanged: same reply order, ErrorReply values for per-command errors, rejections for lost
 * connections.
 */
import type { RedisConnection } from "./connection.ts";

export type CommandTarget = Pick<RedisConnection, "endpoint" | "pipeline" | "pipelineKeys" | "call">;

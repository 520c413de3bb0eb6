/** Key count of the selected database, for progress totals (DBSIZE; 0 when the server refuses it). */
import type { Commands } from "../redis/commands.ts";

export async function dbSize(connection: Commands): Promise<number | undefined> {
  try {
    const reply = await connection.call("DBSIZE");
    return typeof reply === "number" ? reply : undefined;
  } catch {
    return undefined;
  }
}

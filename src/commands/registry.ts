/** Every subcommand, in the order `riot --help` lists them. */
import type { CommandModule } from "../cli/command.ts";

export const COMMANDS: CommandModule[] = [];

export function registerCommand(command: CommandModule): void {
  COMMANDS.push(command);
}

export function findCommand(name: string): CommandModule | undefined {
  return COMMANDS.find((command) => command.name === name);
}

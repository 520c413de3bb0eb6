/** Imports each command module so that it registers itself; main.ts imports this once. */

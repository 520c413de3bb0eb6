/** Imports each command module so that it registers itself; main.ts imports this once. */
import "./ping.ts";
import "./replicate.ts";
import "./generate.ts";
import "./compare.ts";

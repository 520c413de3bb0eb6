/** The release version, printed by `riot -V`. */
export const VERSION = "0.1.0";

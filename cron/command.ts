import { parseArgs } from "node:util";

/** `npm run job`'s arguments. --trigger, --by and --key are for the web server, which starts heavy jobs in a process like this one. */
export const parseCommand = () =>
  parseArgs({
    allowPositionals: true,
    options: {
      replay: { type: "string" },
      snapshot: { type: "string" },
      force: { type: "boolean" },
      trigger: { type: "string" },
      by: { type: "string" },
      key: { type: "string" },
    },
  });

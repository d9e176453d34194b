// Worker-thread entry for tools/provision: workers do not inherit the parent's `--import tsx`, so this registers
// tsx's loader (its public ESM API) and then loads the TypeScript worker named in workerData.entry.
import { register } from "tsx/esm/api";
import { workerData } from "node:worker_threads";

register();
await import(workerData.entry);

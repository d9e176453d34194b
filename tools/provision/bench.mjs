/**
 * The provisioning benchmark (bench.ts) run as `npm run provision` runs the CLI: from its cached bundle
 * (bundle.mjs), without tsx. Same arguments and output as bench.ts.
 *
 *   node <PROVISION_NODE_FLAGS> tools/provision/bench.mjs [--count N] [--board B] [--jobs N] [--dir <parent>] [--keep]
 */
import { pathToFileURL } from "node:url";
import { bundleFile } from "./bundle.mjs";

await import(pathToFileURL(bundleFile("bench.ts", "esm")).href);

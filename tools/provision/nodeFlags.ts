/**
 * Node start-up flags for processes that run big batches (package.json `provision`, tools/bench/provisioning.ts);
 * why, in batch.ts tuneHeapForBatches. Kept in a module of its own so that the bench runner can read them without
 * loading the provisioning code. tests/tools/provision/cli.test.ts checks that package.json uses the same.
 */
export const PROVISION_NODE_FLAGS = ["--max-semi-space-size=1", "--min-semi-space-size=1", "--initial-old-space-size=8", "--heap-growing-percent=50"] as const;

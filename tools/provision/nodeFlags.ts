/**
 * Node start-up flags for processes that run big batches (package.json `provision`, tools/bench/provisioning.ts);
 * why the heap flags, in batch.ts tuneHeapForBatches. Kept in a module of its own so that the bench runner can read
 * them without loading the provisioning code. tests/tools/provision/cli.test.ts checks that package.json uses the same.
 *
 * --no-opt: no TurboFan. Since the native engine (nativeEngine.ts) does the cryptography and the file writes, the
 * JavaScript left per device is glue that the interpreter and Sparkplug run about as fast, and the optimizing
 * compiler only added its compile jobs and memory: 5,000 devices 8,940 vs 8,716 images/s (medians of 8 interleaved
 * runs, tools/provision/bench.ts) with 171 vs 178 µs of CPU a device, 40,000 devices the same rate (14,100-14,300 vs
 * 12,600-14,300 images/s), and peak RSS 5 MB lower and flatter: 40,000 vs 1,000 devices x1.03-1.06 instead of
 * x1.07-1.10 (three interleaved pairs each). It replaces --interrupt-budget=400000 (which only delayed TurboFan).
 *
 * --expose-gc: batch.ts collectChunkGarbage() asks for a major collection after each chunk commits.
 */
export const PROVISION_NODE_FLAGS = [
	"--max-semi-space-size=1", "--min-semi-space-size=1", "--initial-old-space-size=8", "--heap-growing-percent=50", "--no-opt", "--expose-gc",
] as const;

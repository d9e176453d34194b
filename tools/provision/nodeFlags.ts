/**
 * Node start-up flags for processes that run big batches (package.json `provision`, tools/bench/provisioning.ts);
 * why the heap flags, in batch.ts tuneHeapForBatches. Kept in a module of its own so that the bench runner can read
 * them without loading the provisioning code. tests/tools/provision/cli.test.ts checks that package.json uses the same.
 *
 * --interrupt-budget=400000 (V8's default is 132 KB): a function runs longer before V8 considers optimizing it, so
 * fewer functions go through TurboFan, which compiles on V8's background threads. In a batch of 5,000 devices those
 * threads took ~0.5 s of CPU on this 2-core VM, next to ~1 s for the two threads issuing devices (perf, by thread).
 * With the flag (two interleaved runs each, tools/provision/bench.ts, peak RSS in KiB / 1024): 1,000 devices
 * 3,800-4,000 vs 3,000-3,200 images/s and 87-88 vs 97-98 MiB; 5,000 devices 7,550 vs 6,550-7,100 images/s and
 * 91-93 vs 101-104 MiB; 40,000 devices 11,400-11,800 vs 11,800-12,100 images/s (163-169 vs 159-163 µs of CPU a
 * device: hot code is optimized a little later) and 98 vs 105-110 MiB.
 */
export const PROVISION_NODE_FLAGS = [
	"--max-semi-space-size=1", "--min-semi-space-size=1", "--initial-old-space-size=8", "--heap-growing-percent=50", "--interrupt-budget=400000",
] as const;

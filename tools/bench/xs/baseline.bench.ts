/**
 * XS bench baseline: the lane's uvu shim and one empty test, nothing of the firmware. Its snapshot size is
 * subtracted from signedLocation.bench.ts's to give what the signing path adds to the XS heap.
 */
import { test } from "uvu";

test("nothing", () => {});

test.run();

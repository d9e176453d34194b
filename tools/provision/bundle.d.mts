/** tools/provision/bundle.mjs */
export function bundleFile(entry: string, format: "esm" | "cjs"): string;

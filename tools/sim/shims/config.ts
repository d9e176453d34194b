/** Node stand-in for Moddable's `mc/config` (mapped in tsconfig.tools.json): Node runs pass settings to wire(). */
const config: Record<string, unknown> = Object.freeze({});
export default config;

/*
 * XS host functions (xs/includes/xs.d.ts in the Moddable SDK; missing from @moddable/typings on npm): `native(name)`
 * binds the C function `name` of a native module when xsc compiles with -c, as mcconfig does.
 */
declare function native(name: string): (...args: any[]) => any;
declare function Native(name: string): new (...args: any[]) => any;

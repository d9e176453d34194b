// Node-side type check only (tsconfig.tools.json): the one Moddable global that firmware reachable from Node tests
// uses. XS runs get it from the lane's shims; the firmware check takes it from @moddable/typings' xs.d.ts.
declare function trace(...items: Array<string | number | boolean>): void;

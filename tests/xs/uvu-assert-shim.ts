/**
 * `uvu/assert` for the XS lane, with uvu 0.5.6's messages and semantics (assert/index.mjs). Deep equality follows
 * dequal's rules, which uvu uses: same constructor required; Date by time, RegExp by source and flags; arrays,
 * plain objects, Map and Set (object keys and members matched deeply); ArrayBuffer, typed arrays and DataView by
 * bytes; NaN equals NaN (but not inside typed arrays). `throws` is synchronous, as in uvu.
 */

type Message = string | Error;

export class Assertion extends Error {
	code = "ERR_ASSERTION";
	details: false | string;
	generated: boolean;
	operator: string;
	expects: unknown;
	actual: unknown;

	constructor(options: { message?: string; details?: string; generated?: boolean; operator: string; expects: unknown; actual: unknown }) {
		super(options.message);
		this.name = "Assertion";
		this.details = options.details ?? false;
		this.generated = !!options.generated;
		this.operator = options.operator;
		this.expects = options.expects;
		this.actual = options.actual;
	}
}

function assert(pass: boolean, actual: unknown, expects: unknown, operator: string, backup: string, msg?: Message): void {
	if (pass) return;
	if (msg instanceof Error) throw msg;
	throw new Assertion({ actual, expects, operator, message: msg || backup, generated: !msg });
}

const has = Object.prototype.hasOwnProperty;

function findKey(iterable: Map<unknown, unknown> | Set<unknown>, target: unknown): unknown {
	for (const key of iterable.keys()) if (deepEqual(key, target)) return key;
	return undefined;
}

function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
	if (a.byteLength !== b.byteLength) return false;
	const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
	const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
	for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
	return true;
}

/** dequal's deep equality (see the header). */
export function deepEqual(foo: unknown, bar: unknown): boolean {
	if (foo === bar) return true;
	if (foo && bar && typeof foo === "object" && typeof bar === "object") {
		const ctor = (foo as object).constructor;
		if (ctor !== (bar as object).constructor) return false;
		if (ctor === Date) return (foo as Date).getTime() === (bar as Date).getTime();
		if (ctor === RegExp) return String(foo) === String(bar);
		if (ctor === Array) {
			const a = foo as unknown[];
			const b = bar as unknown[];
			if (a.length !== b.length) return false;
			for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
			return true;
		}
		if (ctor === Set) {
			const a = foo as Set<unknown>;
			const b = bar as Set<unknown>;
			if (a.size !== b.size) return false;
			for (let member of a) {
				if (member && typeof member === "object") {
					member = findKey(b, member);
					if (!member) return false;
				}
				if (!b.has(member)) return false;
			}
			return true;
		}
		if (ctor === Map) {
			const a = foo as Map<unknown, unknown>;
			const b = bar as Map<unknown, unknown>;
			if (a.size !== b.size) return false;
			for (const [k, value] of a) {
				let key = k;
				if (key && typeof key === "object") {
					key = findKey(b, key);
					if (!key) return false;
				}
				if (!b.has(key) || !deepEqual(value, b.get(key))) return false;
			}
			return true;
		}
		if (ctor === ArrayBuffer) return sameBytes(new Uint8Array(foo as ArrayBuffer), new Uint8Array(bar as ArrayBuffer));
		if (ArrayBuffer.isView(foo) && ArrayBuffer.isView(bar)) {
			if (foo instanceof DataView || !("length" in foo)) return sameBytes(foo, bar);
			const a = foo as unknown as ArrayLike<unknown>;
			const b = bar as unknown as ArrayLike<unknown>;
			if (foo.byteLength !== bar.byteLength) return false;
			for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
			return true;
		}
		let count = 0;
		for (const key in foo) {
			if (has.call(foo, key) && ++count && !has.call(bar, key)) return false;
			if (!(key in (bar as object)) || !deepEqual((foo as Record<string, unknown>)[key], (bar as Record<string, unknown>)[key]))
				return false;
		}
		return Object.keys(bar).length === count;
	}
	return foo !== foo && bar !== bar;
}

export function ok(value: unknown, msg?: Message): asserts value {
	assert(!!value, false, true, "ok", "Expected value to be truthy", msg);
}

export function is(value: unknown, expected: unknown, msg?: Message): void {
	assert(value === expected, value, expected, "is", "Expected values to be strictly equal:", msg);
}

is.not = function isNot(value: unknown, expected: unknown, msg?: Message): void {
	assert(value !== expected, value, expected, "is.not", "Expected values not to be strictly equal", msg);
};

export function equal(value: unknown, expected: unknown, msg?: Message): void {
	assert(deepEqual(value, expected), value, expected, "equal", "Expected values to be deeply equal:", msg);
}

export function unreachable(msg?: Message): void {
	assert(false, true, false, "unreachable", "Expected not to be reached!", msg);
}

export function type(value: unknown, expected: string, msg?: Message): void {
	const actual = typeof value;
	assert(actual === expected, actual, expected, "type", `Expected "${actual}" to be "${expected}"`, msg);
}

function ctorName(expected: { name?: string; constructor: { name: string } }): string {
	return "`" + (expected.name || expected.constructor.name) + "`";
}

export function instance(value: unknown, expected: Function, msg?: Message): void {
	assert(value instanceof expected, value, expected, "instance", `Expected value to be an instance of ${ctorName(expected)}`, msg);
}

export function match(value: string, expected: string | RegExp, msg?: Message): void {
	if (typeof expected === "string")
		assert(value.includes(expected), value, expected, "match", `Expected value to include "${expected}" substring`, msg);
	else assert(expected.test(value), value, expected, "match", `Expected value to match \`${String(expected)}\` pattern`, msg);
}

function dedent(text: string): string {
	text = text.replace(/\r?\n/g, "\n");
	const indents = text.match(/^[ \t]*(?=\S)/gm) ?? [];
	const min = indents.reduce((m, s) => Math.min(m, s.length), Infinity);
	return indents.length && min ? text.replace(new RegExp(`^[ \\t]{${min}}`, "gm"), "") : text;
}

export function snapshot(value: string, expected: string, msg?: Message): void {
	value = dedent(value);
	expected = dedent(expected);
	assert(value === expected, value, expected, "snapshot", "Expected value to match snapshot:", msg);
}

export function fixture(value: string, expected: string, msg?: Message): void {
	value = dedent(value);
	expected = dedent(expected);
	assert(value === expected, value, expected, "fixture", "Expected value to match fixture:", msg);
}

type Expectation = Message | RegExp | ((error: any) => unknown) | null | undefined;

function errorMessage(error: unknown): string {
	return error instanceof Error ? error.message : String((error as { message?: unknown })?.message ?? error);
}

export function throws(block: () => unknown, expected?: Expectation, msg?: Message): void {
	if (!msg && typeof expected === "string") {
		msg = expected;
		expected = undefined;
	}
	try {
		block();
	} catch (error) {
		if (error instanceof Assertion) throw error;
		if (typeof expected === "function")
			assert(!!(expected as (e: unknown) => unknown)(error), false, true, "throws", "Expected function to throw matching exception", msg);
		else if (expected instanceof RegExp)
			assert(expected.test(errorMessage(error)), false, true, "throws", `Expected function to throw exception matching \`${String(expected)}\` pattern`, msg);
		return;
	}
	assert(false, false, true, "throws", "Expected function to throw", msg);
}

export function not(value: unknown, msg?: Message): void {
	assert(!value, true, false, "not", "Expected value to be falsey", msg);
}

not.ok = not;

not.equal = function notEqual(value: unknown, expected: unknown, msg?: Message): void {
	assert(!deepEqual(value, expected), value, expected, "not.equal", "Expected values not to be deeply equal", msg);
};

not.type = function notType(value: unknown, expected: string, msg?: Message): void {
	const actual = typeof value;
	assert(actual !== expected, actual, expected, "not.type", `Expected "${actual}" not to be "${expected}"`, msg);
};

not.instance = function notInstance(value: unknown, expected: Function, msg?: Message): void {
	assert(!(value instanceof expected), value, expected, "not.instance", `Expected value not to be an instance of ${ctorName(expected)}`, msg);
};

not.snapshot = function notSnapshot(value: string, expected: string, msg?: Message): void {
	assert(dedent(value) !== dedent(expected), value, expected, "not.snapshot", "Expected value not to match snapshot", msg);
};

not.fixture = function notFixture(value: string, expected: string, msg?: Message): void {
	assert(dedent(value) !== dedent(expected), value, expected, "not.fixture", "Expected value not to match fixture", msg);
};

not.match = function notMatch(value: string, expected: string | RegExp, msg?: Message): void {
	if (typeof expected === "string")
		assert(!value.includes(expected), value, expected, "not.match", `Expected value not to include "${expected}" substring`, msg);
	else assert(!expected.test(value), value, expected, "not.match", `Expected value not to match \`${String(expected)}\` pattern`, msg);
};

not.throws = function notThrows(block: () => unknown, expected?: Expectation, msg?: Message): void {
	if (!msg && typeof expected === "string") {
		msg = expected;
		expected = undefined;
	}
	try {
		block();
	} catch (error) {
		if (typeof expected === "function")
			assert(!(expected as (e: unknown) => unknown)(error), true, false, "not.throws", "Expected function not to throw matching exception", msg);
		else if (expected instanceof RegExp)
			assert(!expected.test(errorMessage(error)), true, false, "not.throws", `Expected function not to throw exception matching \`${String(expected)}\` pattern`, msg);
		else if (!expected) assert(false, true, false, "not.throws", "Expected function not to throw", msg);
	}
};

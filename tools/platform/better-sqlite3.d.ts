// Minimal typings for the part of better-sqlite3 (12.x) the platform uses; @types/better-sqlite3 is not installed.
declare module "better-sqlite3" {
	namespace Database {
		interface RunResult {
			changes: number;
			lastInsertRowid: number | bigint;
		}
		interface Statement<P extends unknown[] = unknown[]> {
			run(...params: P): RunResult;
			get(...params: P): unknown;
			all(...params: P): unknown[];
		}
		interface Options {
			readonly?: boolean;
			fileMustExist?: boolean;
			timeout?: number;
		}
		interface Database {
			readonly open: boolean;
			readonly inTransaction: boolean;
			prepare<P extends unknown[] = unknown[]>(sql: string): Statement<P>;
			exec(sql: string): Database;
			pragma(source: string, options?: { simple?: boolean }): unknown;
			transaction<F extends (...args: never[]) => unknown>(fn: F): F;
			close(): Database;
		}
	}
	interface DatabaseConstructor {
		new (filename: string, options?: Database.Options): Database.Database;
	}
	const Database: DatabaseConstructor;
	export = Database;
}

/*
 * The part of Moddable's `file` module (modules/files/file) that hal/simulator/platformCa uses, for the npm type
 * check only: mcconfig builds resolve "file" to the SDK's own typings/file.d.ts through the paths it generates.
 * Same signatures as that file (@moddable/typings 5.6.0); if tsconfig.json ever includes the SDK's file.d.ts,
 * delete this one.
 */
declare module "file" {
	export class File {
		constructor(path: string, write?: boolean);
		read<T extends typeof ArrayBuffer | typeof String>(type: T, bytes?: number): T extends typeof String ? string : InstanceType<T>;
		write(value: ArrayBufferLike | ArrayBuffer | string, ...moreValues: (ArrayBuffer | string)[]): void;
		close(): void;
		readonly length: number;
		position: number;
		static delete(path: string): boolean;
		static exists(path: string): boolean;
		static rename(from: string, to: string): boolean;
	}
}

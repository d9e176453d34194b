/**
 * GNSS track files for the modem emulator: GPX 1.1 (`<trkpt lat lon><ele/><time/></trkpt>`) or CSV
 * (`time,lat,lon,alt,accuracy`, header optional, time as ISO 8601 or seconds from the start).
 * Parsers never throw on content: they return `{ ok: false, errors }` with the line number and the reason.
 */
export interface TrackPoint {
	/** Milliseconds from the first point of the track. */
	readonly offsetMs: number;
	readonly lat: number;
	readonly lon: number;
	readonly alt?: number;
	/** Horizontal accuracy in metres, when the file gives one. */
	readonly accuracy?: number;
}

export interface TrackError {
	readonly line: number;
	readonly reason: string;
}

export type TrackResult = { readonly ok: true; readonly points: readonly TrackPoint[] } | { readonly ok: false; readonly errors: readonly TrackError[] };

export function parseTrack(text: string, format?: "gpx" | "csv"): TrackResult {
	const kind = format ?? (/^\s*(<\?xml|<gpx)/i.test(text) ? "gpx" : "csv");
	return kind === "gpx" ? parseGpx(text) : parseCsv(text);
}

function lineOf(text: string, index: number): number {
	let line = 1;
	for (let i = 0; i < index && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
	return line;
}

function checkLatLon(lat: number, lon: number): string | undefined {
	if (!Number.isFinite(lat) || lat < -90 || lat > 90) return "latitude must be a number in [-90, 90]";
	if (!Number.isFinite(lon) || lon < -180 || lon > 180) return "longitude must be a number in [-180, 180]";
	return undefined;
}

export function parseGpx(text: string): TrackResult {
	const errors: TrackError[] = [];
	const raw: { line: number; time?: number; lat: number; lon: number; alt?: number }[] = [];
	if (!/<gpx[\s>]/i.test(text)) return { ok: false, errors: [{ line: 1, reason: "not a GPX document (no <gpx> element)" }] };
	const re = /<trkpt\b([^>]*?)(\/>|>([\s\S]*?)<\/trkpt>)/g;
	for (let m = re.exec(text); m; m = re.exec(text)) {
		const line = lineOf(text, m.index);
		const attrs = m[1] ?? "";
		const body = m[3] ?? "";
		const latS = /\blat\s*=\s*["']([^"']*)["']/.exec(attrs)?.[1];
		const lonS = /\blon\s*=\s*["']([^"']*)["']/.exec(attrs)?.[1];
		if (latS === undefined || lonS === undefined) { errors.push({ line, reason: "trkpt without lat and lon attributes" }); continue; }
		const lat = Number(latS), lon = Number(lonS);
		const bad = latS.trim() === "" || lonS.trim() === "" ? "empty lat or lon" : checkLatLon(lat, lon);
		if (bad) { errors.push({ line, reason: bad }); continue; }
		const eleS = /<ele>([^<]*)<\/ele>/.exec(body)?.[1];
		const timeS = /<time>([^<]*)<\/time>/.exec(body)?.[1];
		let alt: number | undefined;
		if (eleS !== undefined) {
			alt = Number(eleS);
			if (eleS.trim() === "" || !Number.isFinite(alt)) { errors.push({ line, reason: `bad <ele> "${eleS}"` }); continue; }
		}
		let time: number | undefined;
		if (timeS !== undefined) {
			time = Date.parse(timeS.trim());
			if (!Number.isFinite(time)) { errors.push({ line, reason: `bad <time> "${timeS}" (want ISO 8601)` }); continue; }
		}
		raw.push({ line, lat, lon, ...(alt !== undefined ? { alt } : {}), ...(time !== undefined ? { time } : {}) });
	}
	if (errors.length) return { ok: false, errors };
	if (raw.length === 0) return { ok: false, errors: [{ line: lineOf(text, text.length), reason: "no <trkpt> in the file" }] };
	const withTime = raw.filter((p) => p.time !== undefined).length;
	if (withTime !== 0 && withTime !== raw.length) return { ok: false, errors: [{ line: raw.find((p) => p.time === undefined)!.line, reason: "some trkpt have <time> and this one has not" }] };
	// Without times, points are one second apart (a 1 Hz logger).
	const t0 = raw[0]!.time ?? 0;
	return finish(raw.map((p, i) => ({ line: p.line, offsetMs: p.time !== undefined ? p.time - t0 : i * 1000, lat: p.lat, lon: p.lon, alt: p.alt })));
}

export function parseCsv(text: string): TrackResult {
	const errors: TrackError[] = [];
	const rows: { line: number; offsetMs: number; lat: number; lon: number; alt?: number; accuracy?: number }[] = [];
	const lines = text.split(/\r?\n/);
	let t0: number | undefined;
	let mode: "iso" | "seconds" | undefined;
	lines.forEach((content, index) => {
		const line = index + 1;
		const trimmed = content.trim();
		if (trimmed === "" || trimmed.startsWith("#")) return;
		const cells = trimmed.split(",").map((c) => c.trim());
		if (rows.length === 0 && errors.length === 0 && /^time$/i.test(cells[0] ?? "")) return; // header
		if (cells.length < 3 || cells.length > 5) { errors.push({ line, reason: `expected 3 to 5 columns (time,lat,lon[,alt[,accuracy]]), got ${cells.length}` }); return; }
		const [timeS, latS, lonS, altS, accS] = cells as [string, string, string, string?, string?];
		let time: number;
		const isSeconds = /^-?\d+(\.\d+)?$/.test(timeS);
		if (isSeconds) time = Number(timeS) * 1000;
		else time = Date.parse(timeS);
		if (timeS === "" || !Number.isFinite(time)) { errors.push({ line, reason: `bad time "${timeS}" (ISO 8601 or seconds)` }); return; }
		const rowMode = isSeconds ? "seconds" : "iso";
		if (mode && mode !== rowMode) { errors.push({ line, reason: `time "${timeS}" mixes ISO 8601 and seconds in one file` }); return; }
		mode = rowMode;
		const lat = Number(latS), lon = Number(lonS);
		const bad = latS === "" || lonS === "" ? "empty lat or lon" : checkLatLon(lat, lon);
		if (bad) { errors.push({ line, reason: bad }); return; }
		let alt: number | undefined;
		if (altS !== undefined && altS !== "") {
			alt = Number(altS);
			if (!Number.isFinite(alt)) { errors.push({ line, reason: `bad altitude "${altS}"` }); return; }
		}
		let accuracy: number | undefined;
		if (accS !== undefined && accS !== "") {
			accuracy = Number(accS);
			if (!Number.isFinite(accuracy) || accuracy <= 0) { errors.push({ line, reason: `bad accuracy "${accS}" (metres, > 0)` }); return; }
		}
		t0 ??= time;
		rows.push({ line, offsetMs: time - t0, lat, lon, ...(alt !== undefined ? { alt } : {}), ...(accuracy !== undefined ? { accuracy } : {}) });
	});
	if (errors.length) return { ok: false, errors };
	if (rows.length === 0) return { ok: false, errors: [{ line: lines.length, reason: "no points in the file" }] };
	return finish(rows);
}

function finish(rows: readonly { line: number; offsetMs: number; lat: number; lon: number; alt?: number | undefined; accuracy?: number }[]): TrackResult {
	for (let i = 1; i < rows.length; i++)
		if (rows[i]!.offsetMs < rows[i - 1]!.offsetMs) return { ok: false, errors: [{ line: rows[i]!.line, reason: "time goes backwards" }] };
	return {
		ok: true,
		points: Object.freeze(rows.map((r) => Object.freeze({
			offsetMs: r.offsetMs, lat: r.lat, lon: r.lon,
			...(r.alt !== undefined ? { alt: r.alt } : {}),
			...(r.accuracy !== undefined ? { accuracy: r.accuracy } : {}),
		}))),
	};
}

/** Formats parser errors one per line: `walk.csv:12: bad time "x" (ISO 8601 or seconds)`. */
export function formatTrackErrors(name: string, errors: readonly TrackError[]): string {
	return errors.map((e) => `${name}:${e.line}: ${e.reason}`).join("\n");
}

export interface TrackPosition {
	readonly lat: number;
	readonly lon: number;
	readonly alt: number;
	readonly accuracy?: number;
	/** Ground speed m/s and course degrees true, from the segment being travelled. */
	readonly speed: number;
	readonly course: number;
}

/** Position `offsetMs` after the start of the track, interpolated linearly; holds the last point after the end. */
export function positionAt(points: readonly TrackPoint[], offsetMs: number): TrackPosition {
	const first = points[0]!;
	if (points.length === 1 || offsetMs <= first.offsetMs) return at(first, points[1] ?? first, 0);
	for (let i = 1; i < points.length; i++) {
		const a = points[i - 1]!, b = points[i]!;
		if (offsetMs <= b.offsetMs) {
			const span = b.offsetMs - a.offsetMs;
			return at(a, b, span > 0 ? (offsetMs - a.offsetMs) / span : 1);
		}
	}
	const last = points[points.length - 1]!;
	return { ...at(points[points.length - 2]!, last, 1), speed: 0 };
}

function at(a: TrackPoint, b: TrackPoint, f: number): TrackPosition {
	const lat = a.lat + (b.lat - a.lat) * f;
	const lon = a.lon + (b.lon - a.lon) * f;
	const alt = (a.alt ?? 0) + ((b.alt ?? a.alt ?? 0) - (a.alt ?? 0)) * f;
	// Equirectangular approximation: good to a fraction of a percent over the few metres of a segment.
	const rad = Math.PI / 180;
	const dy = (b.lat - a.lat) * rad * 6_371_000;
	const dx = (b.lon - a.lon) * rad * 6_371_000 * Math.cos(((a.lat + b.lat) / 2) * rad);
	const dt = (b.offsetMs - a.offsetMs) / 1000;
	const speed = dt > 0 ? Math.hypot(dx, dy) / dt : 0;
	const course = (Math.atan2(dx, dy) / rad + 360) % 360;
	const accuracy = a.accuracy ?? b.accuracy;
	return { lat, lon, alt, speed, course, ...(accuracy !== undefined ? { accuracy } : {}) };
}

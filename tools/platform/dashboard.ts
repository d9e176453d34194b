/** The QA dashboard (issue 5 part 4): one static page that reads the admin API. Placeholder until built out. */
export function dashboardHtml(): string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Enigm platform</title></head>
<body><h1>Enigm platform</h1><p>Admin API: <a href="/admin/devices">/admin/devices</a></p></body></html>`;
}

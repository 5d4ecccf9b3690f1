// speedscope.js - gilspy's speedscope and Chrome trace-event files checked
// with what speedscope itself ships (npm package "speedscope"): its JSON
// schema, and its app (dist/release/index.html) in headless Chromium.
//
//   node speedscope.js suite DIR FOLDED SPEEDSCOPE TRACE [FILTERED]
//       FOLDED, SPEEDSCOPE and TRACE are one recording (record -o x.txt
//       -o x.speedscope.json -o x.trace.json, with --threads --idle);
//       the folded counts are the reference.  FILTERED is the same
//       recording rendered without --idle.  Screenshots go into DIR.
//   node speedscope.js schema FILE
//       validate FILE against speedscope's file-format-schema.json
//
// Prints "PASS<TAB>what", "FAIL<TAB>what" and "#<TAB>note" lines; the
// shell test (t0420-speedscope.sh) turns them into TAP.
'use strict';

const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

const APP = path.join(__dirname, 'node_modules', 'speedscope', 'dist', 'release');
const SCHEMA = path.join(APP, 'file-format-schema.json');
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync'];

let failures = 0;
function report(ok, what) {
	if (!ok)
		failures++;
	console.log((ok ? 'PASS' : 'FAIL') + '\t' + what);
	return ok;
}
function note(s) { console.log('#\t' + s); }

// --- a JSON-schema validator for the subset speedscope's schema uses -------
//
// draft-07 keywords: $ref (to #/definitions/... or #), type, properties,
// required, items, anyOf, enum, const; title and $schema are annotations.
// Any other keyword throws, so the validator can never pass a document by
// ignoring a rule it does not know.
const ANNOTATIONS = new Set(['title', '$schema', 'definitions', 'description']);
const KNOWN = new Set(['$ref', 'type', 'properties', 'required', 'items', 'anyOf', 'enum', 'const']);

function typeOk(t, v) {
	switch (t) {
	case 'object': return v !== null && typeof v === 'object' && !Array.isArray(v);
	case 'array': return Array.isArray(v);
	case 'string': return typeof v === 'string';
	case 'number': return typeof v === 'number' && Number.isFinite(v);
	case 'integer': return Number.isInteger(v);
	case 'boolean': return typeof v === 'boolean';
	case 'null': return v === null;
	default: throw new Error('unsupported type ' + t);
	}
}

function resolve(root, ref) {
	if (ref === '#')
		return root;
	if (!ref.startsWith('#/'))
		throw new Error('unsupported $ref ' + ref);
	return ref.slice(2).split('/').reduce((o, k) => {
		if (!o || !(k in o))
			throw new Error('dangling $ref ' + ref);
		return o[k];
	}, root);
}

// Errors of v against schema s, as "path: problem" strings.
function validate(root, s, v, at, errs) {
	for (const k of Object.keys(s))
		if (!KNOWN.has(k) && !ANNOTATIONS.has(k))
			throw new Error('unsupported schema keyword ' + k + ' at ' + at);
	if (s.$ref)
		validate(root, resolve(root, s.$ref), v, at, errs);
	if (s.type !== undefined) {
		const ts = Array.isArray(s.type) ? s.type : [s.type];
		if (!ts.some((t) => typeOk(t, v))) {
			errs.push(at + ': not ' + ts.join('|'));
			return errs;
		}
	}
	if ('const' in s && v !== s.const)
		errs.push(at + ': not ' + JSON.stringify(s.const));
	if (s.enum && !s.enum.includes(v))
		errs.push(at + ': ' + JSON.stringify(v) + ' not in ' + JSON.stringify(s.enum));
	if (s.required && typeOk('object', v))
		for (const k of s.required)
			if (!(k in v))
				errs.push(at + ': missing ' + k);
	if (s.properties && typeOk('object', v))
		for (const [k, sub] of Object.entries(s.properties))
			if (k in v)
				validate(root, sub, v[k], at + '.' + k, errs);
	if (s.items && Array.isArray(v))
		v.forEach((x, i) => validate(root, s.items, x, at + '[' + i + ']', errs));
	if (s.anyOf) {
		const sub = s.anyOf.map((a) => validate(root, a, v, at, []));
		if (!sub.some((e) => e.length === 0))
			errs.push(at + ': matches none of anyOf (' +
				sub.map((e) => e[0]).join(' / ') + ')');
	}
	return errs;
}

function schemaErrors(doc) {
	const schema = JSON.parse(fs.readFileSync(SCHEMA, 'utf8'));
	return validate(schema, schema, doc, '$', []);
}

function checkSchema(file, label) {
	const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
	const errs = schemaErrors(doc);
	report(errs.length === 0, label + ' validates against speedscope\'s file-format-schema.json' +
		(errs.length ? ': ' + errs.slice(0, 3).join('; ') : ''));
	// The validator itself must see breakage, or passing means nothing.
	const broken = JSON.parse(JSON.stringify(doc));
	if (broken.profiles.length) {
		broken.profiles[0].unit = 'samples';
		delete broken.profiles[0].weights;
	} else {
		broken.shared = {};
	}
	report(schemaErrors(broken).length > 0, 'the validator rejects a broken copy of ' + label);
	return doc;
}

// --- the reference: folded stacks with thread roots ------------------------

const STATE_OF_FRAME = {
	'[GIL held]': 'held', '[waiting for GIL]': 'waiting',
	'[running without GIL]': 'native', '[idle]': 'idle',
};

// label "NAME (tid)" -> { total, states: {held: n, ...}, leaf: {frame: n} }
function readFolded(file) {
	const threads = new Map();
	for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
		const m = /^thread (.*?);(?:.*;)?([^;]*) (\d+)$/.exec(line) ||
			/^thread (.*) (\d+)$/.exec(line);
		if (!m)
			continue;
		const label = m[1], leaf = m.length === 4 ? m[2] : '', n = Number(m[m.length - 1]);
		if (!threads.has(label))
			threads.set(label, { total: 0, states: {}, leaf: {}, frames: new Set() });
		const t = threads.get(label);
		t.total += n;
		t.leaf[leaf] = (t.leaf[leaf] || 0) + n;
		for (const f of line.replace(/ \d+$/, '').split(';').slice(1))
			t.frames.add(f);
		const st = STATE_OF_FRAME[leaf];
		if (st)
			t.states[st] = (t.states[st] || 0) + n;
	}
	return threads;
}

const splitLabel = (label) => /^(.*) \((\d+)\)$/.exec(label).slice(1);

// --- the speedscope file against the folded counts -------------------------

function checkSpeedscopeFile(doc, ref) {
	const names = doc.profiles.map((p) => p.name);
	const want = [...ref.keys()].sort((a, b) => Number(splitLabel(a)[1]) - Number(splitLabel(b)[1]));
	report(JSON.stringify(names) === JSON.stringify(want),
		'one profile per thread, "NAME (tid)", sorted by tid (' + names.join(', ') + ')');
	for (const p of doc.profiles) {
		const r = ref.get(p.name) || { total: -1, leaf: {} };
		const sum = p.weights.reduce((a, b) => a + b, 0);
		const leaf = {};
		let merged = true;
		p.samples.forEach((s, i) => {
			const f = doc.shared.frames[s[s.length - 1]].name;
			leaf[f] = (leaf[f] || 0) + p.weights[i];
			if (i && JSON.stringify(s) === JSON.stringify(p.samples[i - 1]))
				merged = false;
		});
		report(p.unit === 'none' && sum === r.total && p.endValue === r.total && p.startValue === 0,
			p.name + ': weights are sample counts, ' + sum + ' in all as in the folded output (' + r.total + ')');
		report(JSON.stringify(Object.entries(leaf).sort()) === JSON.stringify(Object.entries(r.leaf).sort()),
			p.name + ': samples per GIL-state leaf frame match the folded output (' + JSON.stringify(leaf) + ')');
		report(merged && p.samples.length === p.weights.length,
			p.name + ': identical consecutive stacks are merged (' + p.samples.length + ' samples for ' + sum + ')');
	}
}

// --- the trace file against the trace-event format ------------------------

const STATES = new Set(['held', 'waiting', 'native', 'idle', 'running']);
const META = new Set(['process_name', 'thread_name', 'process_sort_index', 'thread_sort_index']);

function checkTraceFile(doc, ref, wantSeconds) {
	const ev = doc.traceEvents;
	const bad = [];
	report(Array.isArray(ev) && ev.length > 0 && ['ms', 'ns'].includes(doc.displayTimeUnit),
		'the trace is a JSON object with traceEvents and displayTimeUnit "' + doc.displayTimeUnit + '"');
	for (const [i, e] of ev.entries()) {
		const common = typeof e.name === 'string' && Number.isInteger(e.pid) && Number.isInteger(e.tid) &&
			(e.args === undefined || (typeof e.args === 'object' && !Array.isArray(e.args)));
		let ok = common;
		if (e.ph === 'X')
			ok = ok && typeof e.ts === 'number' && e.ts >= 0 && typeof e.dur === 'number' && e.dur >= 0 &&
				(e.cat === undefined || typeof e.cat === 'string');
		else if (e.ph === 'M')
			ok = ok && META.has(e.name) && (/_name$/.test(e.name) ? typeof e.args.name === 'string'
				: Number.isInteger(e.args.sort_index));
		else if (e.ph === 'C')
			ok = ok && typeof e.ts === 'number' && e.args && Object.keys(e.args).length > 0 &&
				Object.values(e.args).every((v) => typeof v === 'number');
		else
			ok = false;
		if (!ok)
			bad.push(i + ': ' + JSON.stringify(e).slice(0, 120));
	}
	report(bad.length === 0, 'every event has the fields its phase needs (X: ts dur pid tid name; M: args.name ' +
		'or args.sort_index; C: ts and numeric args)' + (bad.length ? ': ' + bad.slice(0, 2).join(' | ') : ''));

	const pids = new Set(ev.map((e) => e.pid));
	const tname = new Map(ev.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [e.tid, e.args.name]));
	const pname = ev.find((e) => e.ph === 'M' && e.name === 'process_name');
	report(pids.size === 1 && pname && pname.args.name.length > 0,
		'one process, named by process_name metadata ("' + (pname ? pname.args.name : '') + '")');
	const want = new Map([...ref.keys()].map((l) => [Number(splitLabel(l)[1]), splitLabel(l)[0]]));
	want.set(0, 'GIL holder');
	report(JSON.stringify([...tname].sort()) === JSON.stringify([...want].sort()),
		'thread_name metadata names every thread and the GIL-holder track (' +
		[...tname].map(([t, n]) => n + '/' + t).join(', ') + ')');

	// Intervals per track: sorted, never overlapping.
	const byTid = new Map();
	for (const e of ev.filter((x) => x.ph === 'X')) {
		if (!byTid.has(e.tid))
			byTid.set(e.tid, []);
		byTid.get(e.tid).push(e);
	}
	let overlap = 0, end = 0;
	for (const l of byTid.values())
		l.forEach((e, i) => {
			if (i && e.ts < l[i - 1].ts + l[i - 1].dur)
				overlap++;
			end = Math.max(end, e.ts + e.dur);
		});
	report(overlap === 0, 'intervals of a track are in time order and never overlap (' + overlap + ' overlaps)');
	report(end / 1e6 > wantSeconds * 0.8 && end / 1e6 < wantSeconds * 1.3,
		'the timeline spans the recording: ' + (end / 1e6).toFixed(3) + ' s for -d ' + wantSeconds);

	for (const [label, r] of ref) {
		const [name, tid] = splitLabel(label);
		const l = byTid.get(Number(tid)) || [];
		const states = [...new Set(l.map((e) => e.name))].sort();
		report(l.every((e) => STATES.has(e.name)) &&
			JSON.stringify(states) === JSON.stringify(Object.keys(r.states).sort()),
			name + ': intervals are named by the GIL states its samples had (' + states.join(', ') + ')');
		const total = l.reduce((a, e) => a + e.dur, 0);
		const diffs = Object.keys(r.states).map((s) => {
			const t = l.filter((e) => e.name === s).reduce((a, e) => a + e.dur, 0) / total * 100;
			const c = r.states[s] / r.total * 100;
			return [s, t, c];
		});
		report(diffs.every(([, t, c]) => Math.abs(t - c) < 12),
			name + ': time share per state follows its sample share (' +
			diffs.map(([s, t, c]) => s + ' ' + t.toFixed(0) + '% of time, ' + c.toFixed(0) + '% of samples').join('; ') + ')');
		const fns = l.filter((e) => e.args && e.args.function).map((e) => e.args.function);
		report(fns.length >= l.length * 0.9 && fns.every((f) => r.frames.has(f)),
			name + ': ' + fns.length + ' of ' + l.length + ' intervals carry the innermost Python function, ' +
			'a frame of its folded stacks (' + [...new Set(fns)].slice(0, 3).join(', ') + ')');
	}

	// The GIL-holder track: slices named after holders, each inside a held
	// interval of that thread, and hand-offs between the two spinners.
	const gil = byTid.get(0) || [];
	const labels = new Set(ref.keys());
	let outside = 0;
	for (const g of gil) {
		const tid = labels.has(g.name) ? Number(splitLabel(g.name)[1]) : -1;
		const held = (byTid.get(tid) || []).filter((e) => e.name === 'held');
		if (!held.some((e) => e.ts <= g.ts && g.ts < e.ts + Math.max(e.dur, 1)))
			outside++;
	}
	const holders = new Set(gil.map((g) => g.name));
	report(gil.length > 0 && outside === 0,
		'GIL-holder slices are named after threads and start inside a held interval of that thread (' +
		gil.length + ' slices, ' + outside + ' outside)');
	let handoffs = 0;
	gil.forEach((g, i) => { if (i && g.name !== gil[i - 1].name && g.ts === gil[i - 1].ts + gil[i - 1].dur) handoffs++; });
	report(holders.size >= 2 && handoffs > 5,
		'the GIL changes hands between the spinners (' + [...holders].join(', ') + '; ' + handoffs + ' direct hand-offs)');

	const cs = ev.filter((e) => e.ph === 'C');
	report(cs.length > 1 && cs.every((e) => e.name === 'GIL waiters' && e.tid === 0 &&
		Number.isInteger(e.args.waiting) && e.args.waiting >= 0 && e.args.waiting <= ref.size) &&
		cs.some((e) => e.args.waiting > 0) &&
		cs.every((e, i) => !i || (e.ts >= cs[i - 1].ts && e.args.waiting !== cs[i - 1].args.waiting)),
	'the "GIL waiters" counter is written on every change, between 0 and the number of threads (' +
		cs.length + ' points, max ' + Math.max(...cs.map((e) => e.args.waiting)) + ')');
}

// --- the speedscope app -----------------------------------------------------

// A static server on 127.0.0.1: the app at /, the test files at /data/.
function serve(dataDir) {
	const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
		'.wasm': 'application/wasm', '.png': 'image/png', '.woff2': 'font/woff2' };
	const srv = http.createServer((req, res) => {
		const u = decodeURIComponent(req.url.split(/[?#]/)[0]);
		const [base, rel] = u.startsWith('/data/') ? [dataDir, u.slice(6)] : [APP, u === '/' ? 'index.html' : u.slice(1)];
		const f = path.resolve(base, rel);
		if (req.method !== 'GET' || !f.startsWith(path.resolve(base) + path.sep)) {
			res.writeHead(403);
			res.end();
			return;
		}
		fs.readFile(f, (err, body) => {
			if (err) {
				res.writeHead(404);
				res.end();
				return;
			}
			res.writeHead(200, { 'Content-Type': types[path.extname(f)] || 'application/octet-stream' });
			res.end(body);
		});
	});
	return new Promise((ok) => srv.listen(0, '127.0.0.1', () => ok(srv)));
}

async function openProfile(ctx, base, file) {
	const page = await ctx.newPage();
	page.errors = [];
	page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
	page.on('pageerror', (e) => page.errors.push(String(e)));
	const url = base + '/index.html#profileURL=' + encodeURIComponent(base + '/data/' + path.basename(file));
	await page.goto(url, { waitUntil: 'load' });
	// loaded once the toolbar names the profile with its "(i/N)" position
	await page.waitForFunction(() => /\(\d+\/\d+\)/.test(document.body.innerText), null, { timeout: 20000 });
	return page;
}

// The profile selector, as a user sees it after clicking the title:
// [{name, weight}] in its order.
async function selectorRows(page) {
	return page.$$eval('tr[title]', (rows) => rows.map((r) => {
		const td = r.querySelectorAll('td');
		return { name: r.getAttribute('title'), weight: td[td.length - 1].textContent.trim() };
	}));
}

async function showProfile(page, name) {
	await page.click('text=/\\(\\d+\\/\\d+\\)/');
	await page.click('tr[title="' + name.replace(/"/g, '\\"') + '"]');
	await page.waitForFunction((n) => document.body.innerText.includes(n + ' ('), name);
	await page.mouse.move(5, 400);
}

// Sandwich view rows: [{total, self, name}] (counts as shown, commas out).
async function sandwich(page) {
	await page.click('text=Sandwich');
	await page.waitForFunction(() => [...document.querySelectorAll('tr:not([title])')]
		.some((r) => r.querySelectorAll('td').length === 3), null, { timeout: 10000 });
	await page.waitForTimeout(200);
	return page.$$eval('tr:not([title])', (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent.trim()))
		.filter((c) => c.length === 3).map((c) => ({ total: c[0], self: c[1], name: c[2] })));
}
const num = (s) => Number(s.replace(/,/g, '').replace(/ .*$/, ''));

async function appSpeedscope(ctx, base, file, ref, dir) {
	const page = await openProfile(ctx, base, file);
	const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
	report(page.errors.length === 0, 'speedscope opens the speedscope file without errors' +
		(page.errors.length ? ': ' + page.errors.join(' | ') : ''));
	report((await page.title()).startsWith(doc.name), 'the page title is the recording\'s command line (' + await page.title() + ')');
	await page.click('text=/\\(\\d+\\/\\d+\\)/');
	await page.waitForTimeout(200);
	await page.screenshot({ path: path.join(dir, 'speedscope-profiles.png') });
	const rows = await selectorRows(page);
	const want = [...ref.keys()].sort((a, b) => Number(splitLabel(a)[1]) - Number(splitLabel(b)[1]));
	report(JSON.stringify(rows.map((r) => r.name)) === JSON.stringify(want),
		'its profile selector lists the threads by name and tid (' + rows.map((r) => r.name).join(', ') + ')');
	report(rows.every((r) => num(r.weight) === (ref.get(r.name) || {}).total),
		'its profile selector shows each thread\'s sample count as in the folded output (' +
		rows.map((r) => r.name + ' ' + r.weight + '/' + (ref.get(r.name) || {}).total).join(', ') + ')');
	await page.keyboard.press('Escape');

	for (const name of want) {
		await showProfile(page, name);
		const sw = await sandwich(page);
		const got = {};
		for (const r of sw)
			if (STATE_OF_FRAME[r.name])
				got[r.name] = num(r.self);
		const exp = Object.fromEntries(Object.entries(ref.get(name).leaf).filter(([f]) => STATE_OF_FRAME[f]));
		report(JSON.stringify(Object.entries(got).sort()) === JSON.stringify(Object.entries(exp).sort()),
			name + ': speedscope\'s sandwich view counts the GIL states as the folded output does (' +
			Object.entries(got).map(([f, n]) => f + ' ' + n).join(', ') + ')');
		const slug = splitLabel(name)[0].replace(/[^A-Za-z0-9_-]+/g, '_');
		await page.screenshot({ path: path.join(dir, 'speedscope-' + slug + '-sandwich.png') });
		await page.click('text=Left Heavy');
		await page.waitForTimeout(300);
		await page.screenshot({ path: path.join(dir, 'speedscope-' + slug + '-leftheavy.png') });
	}
	report(page.errors.length === 0, 'no errors while switching threads and views' +
		(page.errors.length ? ': ' + page.errors.join(' | ') : ''));
	await page.close();
}

async function appTrace(ctx, base, file, ref, dir) {
	const page = await openProfile(ctx, base, file);
	const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
	const pname = doc.traceEvents.find((e) => e.name === 'process_name');
	const pid = pname.pid, proc = pname.args.name;
	report(page.errors.length === 0, 'speedscope imports the trace without errors' +
		(page.errors.length ? ': ' + page.errors.join(' | ') : ''));
	await page.screenshot({ path: path.join(dir, 'trace-gil-holder.png') });
	const rows = await selectorRows(page);
	// speedscope names an imported thread "PROCESS (pid P), THREAD (tid T)"
	const want = ['GIL holder (0)', ...[...ref.keys()].sort((a, b) => Number(splitLabel(a)[1]) - Number(splitLabel(b)[1]))]
		.map((l) => { const [n, t] = splitLabel(l); return proc + ' (pid ' + pid + '), ' + n + ' (tid ' + t + ')'; });
	report(JSON.stringify(rows.map((r) => r.name).sort()) === JSON.stringify(want.slice().sort()),
		'its profile selector lists the GIL-holder track and every thread (' +
		rows.map((r) => r.name.replace(/^.*\), /, '')).join(', ') + ')');

	// The holder track's sandwich: time per holder thread, in the shares
	// their held samples have in the folded output.
	await showProfile(page, want[0]);
	const sw = await sandwich(page);
	await page.screenshot({ path: path.join(dir, 'trace-gil-holder-sandwich.png') });
	const secs = (s) => { const m = /^([\d.]+)(ms|s|µs)/.exec(s); return m ? Number(m[1]) * { s: 1, ms: 1e-3, 'µs': 1e-6 }[m[2]] : NaN; };
	const heldTotal = [...ref.values()].reduce((a, r) => a + (r.states.held || 0), 0);
	const timeTotal = sw.reduce((a, r) => a + secs(r.self), 0);
	const shares = sw.map((r) => [r.name, secs(r.self) / timeTotal * 100,
		((ref.get(r.name) || { states: {} }).states.held || 0) / heldTotal * 100]);
	report(sw.length >= 2 && shares.every(([n, t, c]) => ref.has(n) && Math.abs(t - c) < 12),
		'the GIL-holder track shows who held the GIL, in the shares of their held samples (' +
		shares.map(([n, t, c]) => n + ' ' + t.toFixed(0) + '% vs ' + c.toFixed(0) + '%').join(', ') + ')');
	await page.click('text=Time Order');
	await page.waitForTimeout(300);
	await page.screenshot({ path: path.join(dir, 'trace-gil-holder.png') });

	// a thread that both held and waited: one of the spinners
	const busy = [...ref].find(([, r]) => r.states.held && r.states.waiting);
	const spinner = busy && want.find((w) => w.endsWith(', ' + splitLabel(busy[0])[0] + ' (tid ' + splitLabel(busy[0])[1] + ')'));
	if (spinner) {
		await showProfile(page, spinner);
		await page.waitForTimeout(300);
		await page.screenshot({ path: path.join(dir, 'trace-spinner.png') });
		const sw2 = await sandwich(page);
		report(sw2.some((r) => /^held /.test(r.name)) && sw2.some((r) => /^waiting /.test(r.name)),
			'a spinner\'s track holds held and waiting intervals (' + sw2.map((r) => r.name.slice(0, 40)).join(', ') + ')');
	}
	report(page.errors.length === 0, 'no errors while switching tracks and views' +
		(page.errors.length ? ': ' + page.errors.join(' | ') : ''));
	await page.close();
}

async function suite(dir, folded, ssFile, traceFile, filtered) {
	const ref = readFolded(folded);
	note('folded reference: ' + [...ref].map(([l, r]) => l + ' ' + r.total).join(', '));
	const doc = checkSchema(ssFile, path.basename(ssFile));
	checkSpeedscopeFile(doc, ref);
	if (filtered) {
		const f = checkSchema(filtered, path.basename(filtered));
		// A thread that was only ever idle gets no profile; whether the
		// main thread is one depends on whether a sample caught it
		// taking the GIL back after a sleep, so the expected set comes
		// from the folded counts of the same recording.
		const busy = [...ref].filter(([, r]) => Object.keys(r.states).some((k) => k !== 'idle')).map(([l]) => l).sort();
		const got = f.profiles.map((p) => p.name).sort();
		report(got.join() === busy.join() &&
			f.profiles.every((p) => p.samples.every((st) => f.shared.frames[st[st.length - 1]].name !== '[idle]')),
		'without --idle, idle samples are dropped and only threads with other samples get a profile (' +
			got.join(', ') + '; expected ' + busy.join(', ') + ')');
	}
	const trace = JSON.parse(fs.readFileSync(traceFile, 'utf8'));
	checkTraceFile(trace, ref, Number(process.env.REC_SECS || 2));

	const { chromium } = require('playwright-core');
	const udir = fs.mkdtempSync(path.join(os.tmpdir(), 'gilspy-chromium-'));
	const data = fs.mkdtempSync(path.join(os.tmpdir(), 'gilspy-speedscope-'));
	for (const f of [ssFile, traceFile])
		fs.copyFileSync(f, path.join(data, path.basename(f)));
	const srv = await serve(data);
	const base = 'http://127.0.0.1:' + srv.address().port;
	const ctx = await chromium.launchPersistentContext(udir, {
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true, args: ARGS, viewport: { width: 1280, height: 720 },
	});
	try {
		await appSpeedscope(ctx, base, ssFile, ref, dir);
		await appTrace(ctx, base, traceFile, ref, dir);
	} finally {
		await ctx.close();
		srv.close();
		fs.rmSync(udir, { recursive: true, force: true });
		fs.rmSync(data, { recursive: true, force: true });
	}
}

(async () => {
	const [cmd, ...a] = process.argv.slice(2);
	try {
		if (cmd === 'suite' && a.length >= 4)
			await suite(...a);
		else if (cmd === 'schema' && a.length === 1)
			checkSchema(a[0], path.basename(a[0]));
		else {
			console.error('usage: node speedscope.js suite DIR FOLDED SPEEDSCOPE TRACE [FILTERED] | schema FILE');
			process.exit(2);
		}
	} catch (e) {
		report(false, 'driver: ' + String(e.stack || e).split('\n').slice(0, 3).join(' / '));
		process.exit(1);
	}
	process.exit(failures ? 1 : 0);
})();

// drive.js - headless Chromium over gilspy's SVG flame graphs.
//
//   node drive.js suite DIR      run the viewer checks on the SVGs that
//                                t0400-svg-browser.sh wrote into DIR
//   node drive.js shot SVG PNG   open SVG, fail on console errors, save PNG
//   node drive.js blame SVG PNG  the blame-view checks on a --blame SVG of
//                                tests/targets/hog.py (t0430-svg-blame.sh)
//
// Prints one line per check, "PASS<TAB>what" or "FAIL<TAB>what", and
// "#<TAB>note" lines; the shell test turns them into TAP.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync'];

function report(ok, what) { console.log((ok ? 'PASS' : 'FAIL') + '\t' + what); return ok; }
function note(s) { console.log('#\t' + s); }

async function launch() {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gilspy-chromium-'));
	const ctx = await chromium.launchPersistentContext(dir, {
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true, args: ARGS, viewport: { width: 1220, height: 900 },
	});
	return { ctx, dir };
}

// Open url in a new page; collects console errors, page errors and dialogs.
async function open(ctx, url, onDialog) {
	const page = await ctx.newPage();
	page.errors = [];
	page.dialogs = [];
	page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
	page.on('pageerror', (e) => page.errors.push(String(e)));
	page.on('dialog', async (d) => {
		page.dialogs.push(d.type() + ': ' + d.message());
		if (onDialog)
			await onDialog(d);
		else
			await d.dismiss();
	});
	const t0 = Date.now();
	await page.goto(url, { waitUntil: 'load' });
	page.loadMs = Date.now() - t0;
	return page;
}

const fileUrl = (p) => 'file://' + path.resolve(p);
const attr = (page, sel, a) => page.$eval(sel, (e, a) => e.getAttribute(a), a);
const frameSel = (name) => 'g.f[data-n="' + name.replace(/"/g, '\\"') + '"]';

async function suite(dir) {
	const { ctx, dir: udir } = await launch();
	try {
		await viewer(ctx, dir);
		await hostile(ctx, dir);
		await diffGraph(ctx, dir);
		await large(ctx, dir);
		for (const f of ['real.svg']) {
			if (fs.existsSync(path.join(dir, f)))
				await shot(ctx, path.join(dir, f), path.join(dir, f.replace(/svg$/, 'png')));
		}
	} finally {
		await ctx.close();
		fs.rmSync(udir, { recursive: true, force: true });
	}
}

// The fixture: 100 samples, "work" frames nested, known answers.
async function viewer(ctx, dir) {
	let answer = '^work';
	const page = await open(ctx, fileUrl(path.join(dir, 'fixture.svg')),
		(d) => d.type() === 'prompt' ? d.accept(answer) : d.dismiss());
	report(page.errors.length === 0, 'fixture loads without console errors' +
		(page.errors.length ? ': ' + page.errors.join(' | ') : ''));
	report(await page.title() === 'GIL fixture', 'the document title is --title');
	await page.screenshot({ path: path.join(dir, 'fixture.png') });

	// Tooltip on a waiting frame.
	await page.hover(frameSel('[waiting for GIL]') + ' rect');
	const tip = await page.$eval('#tip', (e) => ({ cls: e.getAttribute('class'), text: e.textContent }));
	report(tip.cls === '' && /waiting for GIL/.test(tip.text) && /30 samples \(30\.00 % of all\)/.test(tip.text),
		'hovering a frame shows its tooltip (' + tip.text.slice(0, 80) + ')');
	await page.hover(frameSel('serve (app.py:20)') + ' rect');
	const tip2 = await page.$eval('#tip', (e) => e.textContent);
	report(/^serve/.test(tip2) && /at app\.py:20/.test(tip2) && /GIL held 100\.00 %/.test(tip2),
		'the tooltip splits function and file:line and gives the GIL breakdown (' + tip2.slice(0, 90) + ')');
	await page.screenshot({ path: path.join(dir, 'fixture-tooltip.png') });
	await page.mouse.move(1, 1);

	// Search with Ctrl-F: nested matches count once (50 + 30 of 100).
	await page.keyboard.press('Control+f');
	await page.waitForFunction(() => !/hide/.test(document.getElementById('matched').getAttribute('class')));
	const matched = await page.$eval('#matched', (e) => e.textContent);
	report(matched === 'Matched: 80.0 %', 'Ctrl-F search reports Matched % without double counting (' + matched + ')');
	const hl = await page.$$eval('g.f.m', (l) => l.map((e) => e.getAttribute('data-n')));
	report(hl.length === 3 && hl.every((n) => /work/.test(n)), 'search highlights the 3 matching frames (' + hl.join(', ') + ')');
	const fill = await page.$eval('g.f.m rect', (e) => getComputedStyle(e).fill);
	report(fill === 'rgb(232, 30, 219)', 'matches are drawn in the highlight colour (' + fill + ')');
	report(/#search=%5Ework$/.test(page.url()), 'the search is kept in the URL (' + page.url().replace(/^.*#/, '#') + ')');
	await page.screenshot({ path: path.join(dir, 'fixture-search.png') });

	// Click to zoom, then reset.
	const w0 = parseFloat(await attr(page, frameSel('serve (app.py:20)') + ' rect', 'width'));
	await page.click(frameSel('serve (app.py:20)') + ' rect');
	const w1 = parseFloat(await attr(page, frameSel('serve (app.py:20)') + ' rect', 'width'));
	const hidden = await page.$eval(frameSel('sleep_loop (app.py:50)'), (e) => getComputedStyle(e).display);
	const resetShown = await page.$eval('#reset', (e) => getComputedStyle(e).display !== 'none');
	report(w0 < 700 && Math.abs(w1 - 1180) < 0.01 && hidden === 'none' && resetShown,
		'clicking a frame zooms it to full width and hides the others (' + w0 + ' -> ' + w1 + ' px)');
	const zurl = page.url();
	report(/#zoom=\d+&search=%5Ework$/.test(zurl), 'the zoom is kept in the URL (' + zurl.replace(/^.*#/, '#') + ')');
	await page.screenshot({ path: path.join(dir, 'fixture-zoom.png') });
	await page.click('#reset');
	const w2 = parseFloat(await attr(page, frameSel('serve (app.py:20)') + ' rect', 'width'));
	const back = await page.$eval(frameSel('sleep_loop (app.py:50)'), (e) => getComputedStyle(e).display);
	report(Math.abs(w2 - w0) < 0.01 && back !== 'none' && !/zoom=/.test(page.url()),
		'Reset zoom restores every frame (' + w2 + ' px)');

	// A link reproduces the view.
	const p2 = await open(ctx, zurl);
	const w3 = parseFloat(await attr(p2, frameSel('serve (app.py:20)') + ' rect', 'width'));
	const m3 = await p2.$eval('#matched', (e) => e.textContent);
	report(Math.abs(w3 - 1180) < 0.01 && m3 === 'Matched: 80.0 %' && p2.errors.length === 0,
		'opening the URL restores zoom and search (' + w3 + ' px, ' + m3 + ')');
	await p2.close();

	// The Search button clears an active search, then takes a new regex.
	await page.click('#search');
	const left = await page.$$eval('g.f.m', (l) => l.length);
	report(left === 0 && !/search=/.test(page.url()), 'Clear search removes the highlight and the URL part');
	answer = '^\\[(GIL held|idle)\\]$';
	await page.click('#search');
	const m4 = await page.$eval('#matched', (e) => e.textContent);
	report(m4 === 'Matched: 55.0 %', 'the Search button takes a regex (' + m4 + ')');
	await page.close();
}

async function hostile(ctx, dir) {
	const page = await open(ctx, fileUrl(path.join(dir, 'hostile.svg')));
	await page.waitForTimeout(200);
	for (const sel of await page.$$eval('g.f', (l) => l.map((e) => e.getAttribute('data-n'))))
		if (sel !== 'all')
			await page.hover(frameSel(sel) + ' rect').catch(() => {});
	await page.click(frameSel('<script>alert(1)</script>') + ' rect').catch(() => {});
	const st = await page.evaluate(() => ({
		pwned: window.__pwned || 0,
		scripts: document.getElementsByTagName('script').length,
		imgs: document.getElementsByTagNameNS('*', 'img').length,
		tip: document.getElementById('tip').textContent,
	}));
	report(page.dialogs.length === 0 && !st.pwned && page.errors.length === 0,
		'hostile names run no script (dialogs: ' + page.dialogs.length + ', pwned: ' + st.pwned +
		', errors: ' + page.errors.join(' | ') + ')');
	report(st.scripts === 1 && st.imgs === 0, 'hostile names add no elements (' + st.scripts + ' script, ' + st.imgs + ' img)');
	const names = await page.$$eval('g.f', (l) => l.map((e) => e.getAttribute('data-n')));
	report(names.includes('<script>alert(1)</script>') && names.some((n) => /\uFFFD/.test(n)) &&
		names.includes('a & b "q" \'s\''),
	'hostile names are shown as text, invalid UTF-8 as U+FFFD');
	await page.screenshot({ path: path.join(dir, 'hostile.png') });
	await page.close();
}

async function diffGraph(ctx, dir) {
	const page = await open(ctx, fileUrl(path.join(dir, 'diff.svg')));
	report(page.errors.length === 0, 'the differential graph loads without console errors');
	await page.hover(frameSel('work (app.py:30)') + ' rect');
	const tip = await page.$eval('#tip', (e) => e.textContent);
	report(/base 50 \u2192 new 90: \+40 \(\+80\.00 %\)/.test(tip), 'its tooltip gives the delta (' + tip.slice(0, 100) + ')');
	const fills = await page.evaluate(() => {
		const f = (n) => document.querySelector('g.f[data-n="' + n + '"] rect').getAttribute('fill');
		return [f('work (app.py:30)'), f('idle_loop (app.py:60)')];
	});
	report(/^#FF/.test(fills[0]) && /FF$/.test(fills[1]) && fills[1] !== '#FFFFFF',
		'grown frames are red, shrunk frames blue (' + fills.join(', ') + ')');
	await page.screenshot({ path: path.join(dir, 'diff.png') });
	await page.close();
}

async function large(ctx, dir) {
	const f = path.join(dir, 'large.svg');
	if (!fs.existsSync(f))
		return;
	const page = await open(ctx, fileUrl(f));
	const n = await page.$$eval('g.f', (l) => l.length);
	report(page.loadMs < 2000 && page.errors.length === 0,
		'the SVG of a large profile (' + n + ' frames) opens in ' + page.loadMs + ' ms (< 2000)');
	await page.screenshot({ path: path.join(dir, 'large.png') });
	await page.close();
}

// A blame view of hog.py: spin waits, hog holds the GIL in hog_loop.
async function blame(ctx, svg, png) {
	let answer = 'hog_loop';
	const page = await open(ctx, fileUrl(svg),
		(d) => d.type() === 'prompt' ? d.accept(answer) : d.dismiss());
	report(page.errors.length === 0, 'the blame SVG loads without console errors' +
		(page.errors.length ? ': ' + page.errors.join(' | ') : ''));
	const title = await page.title();
	const sub = await page.$eval('#subtitle', (e) => e.textContent).catch(() => '');
	report(/^GIL blame: /.test(title) && /^Blame view/.test(sub),
		'the title and subtitle say it is a blame view (' + title.slice(0, 40) + ' / ' + sub.slice(0, 40) + ')');
	const legend = await page.$eval('#legend', (e) => e.textContent);
	report(/held by \(blame\)/.test(legend) && /holder's code/.test(legend),
		'the legend names the blame colours');

	// Frames in pre-order with depth from their y; find spin's waiting
	// frame and the frames right above it (its subtree's first level).
	const geo = () => page.$$eval('g.f', (els) => {
		const svg = document.getElementById('gilspy-fg');
		const top = +svg.getAttribute('data-top'), fh = +svg.getAttribute('data-fh');
		const maxd = +svg.getAttribute('data-maxd');
		const path = [];
		return els.map((e, i) => {
			const r = e.firstElementChild, y = +r.getAttribute('y');
			const d = Math.round((top + maxd * fh - y) / fh);
			path[d] = e.getAttribute('data-n');
			return { i, d, y, n: e.getAttribute('data-n'), cls: e.getAttribute('class'),
				x: +r.getAttribute('x'), w: +r.getAttribute('width'),
				shown: getComputedStyle(e).display !== 'none',
				spin: path.slice(0, d).some((n) => /^spin \(/.test(n)) };
		});
	});
	let F = await geo();
	// The widest one: spin may wait at more than one line.
	const wi = F.reduce((best, f, i) => f.n === '[waiting for GIL]' && f.spin &&
		(best < 0 || f.w > F[best].w) ? i : best, -1);
	const kids = (F, wi) => {
		const out = [];
		for (let j = wi + 1; j < F.length && F[j].d > F[wi].d; j++)
			if (F[j].d === F[wi].d + 1)
				out.push(F[j]);
		return out;
	};
	if (!report(wi >= 0, "spin's [waiting for GIL] frame is drawn")) {
		await page.close();
		return;
	}
	const w = F[wi], held = kids(F, wi).find((f) => f.n === '[held by hog]');
	report(held && held.y === w.y - 16 && held.x >= w.x - 0.01 && held.x + held.w <= w.x + w.w + 0.01,
		"the [held by hog] frame sits right above spin's waiting frame" +
		(held ? ' (y ' + held.y + ' over ' + w.y + ')' : ''));
	report(held && held.w >= 0.5 * w.w && /\bb1\b/.test(held.cls),
		'... it is most of that waiting (' + (held ? (100 * held.w / w.w).toFixed(1) : 0) +
		' %) and drawn as a holder (' + (held ? held.cls : '') + ')');
	const hi = held ? held.i : -1;
	const code = hi >= 0 ? kids(F, hi).find((f) => /^hog_loop /.test(f.n)) : null;
	report(code && /\bb3\b/.test(code.cls) && code.w >= 0.9 * held.w,
		"the holder's function hog_loop sits above [held by hog] (" + (code ? code.n : 'missing') + ')');

	// Tooltip of the holder frame.
	await page.hover('g.f:nth-child(' + (hi + 1) + ') rect');
	const tip = await page.$eval('#tip', (e) => ({ cls: e.getAttribute('class'), text: e.textContent }));
	report(tip.cls === '' && /hog held the GIL while the stack below waited/.test(tip.text) &&
		/% of the waiting below/.test(tip.text),
		'its tooltip names the holder and its share (' + tip.text.slice(0, 110) + ')');
	await page.screenshot({ path: png });
	note('screenshot ' + png);
	await page.mouse.move(1, 1);

	// Click spin's waiting frame: the holder frames fill the width.
	await page.click('g.f:nth-child(' + (wi + 1) + ') rect');
	F = await geo();
	const fw = +(await attr(page, '#gilspy-fg', 'data-fw'));
	const above = kids(F, wi).filter((f) => f.shown);
	const sum = above.reduce((a, f) => a + f.w, 0);
	const h2 = above.find((f) => f.n === '[held by hog]');
	report(Math.abs(F[wi].w - fw) < 0.01 && sum >= 0.98 * fw && h2 && h2.w >= 0.5 * fw,
		'clicking the waiting frame zooms it: the holder frames fill the width (' +
		above.map((f) => f.n + ' ' + f.w.toFixed(0) + ' px').join(', ') + ')');
	await page.screenshot({ path: png.replace(/\.png$/, '-zoom.png') });
	await page.click('#reset');

	// Search for the holder's function.
	await page.keyboard.press('Control+f');
	await page.waitForFunction(() => !/hide/.test(document.getElementById('matched').getAttribute('class')));
	const hl = await page.$$eval('g.f.m', (l) => l.map((e) => e.getAttribute('class') + ' ' + e.getAttribute('data-n')));
	report(hl.some((c) => /\bb3\b/.test(c) && / hog_loop /.test(c)),
		'searching hog_loop highlights the holder frames (' + hl.length + ' frames)');
	await page.close();
}

async function shot(ctx, svg, png) {
	const page = await open(ctx, fileUrl(svg));
	report(page.errors.length === 0, path.basename(svg) + ' loads without console errors' +
		(page.errors.length ? ': ' + page.errors.join(' | ') : ''));
	await page.screenshot({ path: png });
	note('screenshot ' + png);
	await page.close();
}

(async () => {
	const [cmd, a, b] = process.argv.slice(2);
	try {
		if (cmd === 'suite') {
			await suite(a);
		} else if (cmd === 'shot' || cmd === 'blame') {
			const { ctx, dir } = await launch();
			try { await (cmd === 'shot' ? shot : blame)(ctx, a, b); } finally {
				await ctx.close();
				fs.rmSync(dir, { recursive: true, force: true });
			}
		} else {
			console.error('usage: node drive.js suite DIR | shot SVG PNG | blame SVG PNG');
			process.exit(2);
		}
	} catch (e) {
		report(false, 'browser driver: ' + String(e.stack || e).split('\n').slice(0, 3).join(' / '));
		process.exit(1);
	}
})();

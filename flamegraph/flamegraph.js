/*
 * flamegraph.js - the viewer inside every gilspy SVG flame graph: tooltips,
 * click to zoom, regex search, and the view kept in the URL (#zoom=N&search=RE).
 *
 * It reads what flamegraph/svg.c writes (see the contract at the top of
 * svg.c): frames are <g class="f"> elements in pre-order, so a frame's
 * subtree is the contiguous run of deeper frames after it.  Names from the
 * profile are only ever read with getAttribute and written with
 * textContent: a frame called <script> stays text.
 */
(function () {
	'use strict';

	var NS = 'http://www.w3.org/2000/svg';
	var svg = document.getElementById('gilspy-fg');
	if (!svg)
		return;

	function num(el, a) { return parseFloat(el.getAttribute(a)); }

	var total = num(svg, 'data-total');
	var countname = svg.getAttribute('data-countname');
	var isDiff = svg.getAttribute('data-diff') === '1';
	var top = num(svg, 'data-top'), fh = num(svg, 'data-fh');
	var maxd = num(svg, 'data-maxd'), inverted = svg.getAttribute('data-inv') === '1';
	var xpad = num(svg, 'data-xpad'), fw = num(svg, 'data-fw'), cw = num(svg, 'data-cw');
	var STATE_COLOURS = ['#D55E00', '#0072B2', '#009E73', '#BBBBBB'];
	var STATE_LABELS = ['GIL held', 'waiting for GIL', 'running without GIL', 'idle'];

	var tip = document.getElementById('tip');
	var tipbg = document.getElementById('tipbg');
	var matchedEl = document.getElementById('matched');
	var resetBtn = document.getElementById('reset');
	var searchBtn = document.getElementById('search');

	/* ---- the frame index, built on first use ---------------------------- */
	var F = null;		/* {el, rect, text, name, v, x0, w0, y, depth, parent} */

	function index() {
		if (F)
			return F;
		var els = document.getElementById('frames').children;
		var byDepth = [], i, el, rect, y, d;
		F = new Array(els.length);
		for (i = 0; i < els.length; i++) {
			el = els[i];
			rect = el.firstElementChild;
			y = num(rect, 'y');
			d = Math.round(inverted ? (y - top) / fh : (top + maxd * fh - y) / fh);
			F[i] = {
				el: el, rect: rect,
				text: rect.nextElementSibling,
				name: el.getAttribute('data-n'),
				v: num(el, 'data-v'),
				x0: num(rect, 'x'), w0: num(rect, 'width'),
				y: y, depth: d,
				parent: d > 0 ? byDepth[d - 1] : -1
			};
			byDepth[d] = i;
			el.fgIndex = i;
		}
		return F;
	}

	function frameOf(target) {
		while (target && target !== svg) {
			if (target.getAttribute && /(^| )f( |$)/.test(target.getAttribute('class') || ''))
				return target;
			target = target.parentNode;
		}
		return null;
	}

	/* ---- labels ---------------------------------------------------------- */
	function fitLabel(name, w) {
		var fit = Math.floor((w - 6) / cw);
		var chars = Array.from ? Array.from(name) : name.split('');
		if (fit < 3)
			return '';
		if (chars.length <= fit)
			return name;
		return chars.slice(0, fit - 2).join('') + '..';
	}

	function setLabel(f, x, w) {
		var s = fitLabel(f.name, w);
		if (!f.text) {
			if (!s)
				return;
			f.text = document.createElementNS(NS, 'text');
			f.text.setAttribute('y', f.y + fh - 4);
			f.el.appendChild(f.text);
		}
		f.text.setAttribute('x', (x + 3).toFixed(2));
		f.text.textContent = s;
	}

	/* ---- numbers --------------------------------------------------------- */
	function fmt(v) {
		var s = (Math.round(v * 1000) / 1000).toString();
		var p = s.split('.');
		p[0] = p[0].replace(/\B(?=(\d{3})+(?!\d))/g, ',');
		return p.join('.');
	}
	function pct(a, b) { return b > 0 ? (100 * a / b).toFixed(2) + ' %' : '-'; }

	/* ---- blame frames ---------------------------------------------------- */
	/* In a blame view (gilspy --blame) the frames above a [waiting for GIL]
	 * frame say who held the GIL meanwhile: "[held by NAME]" (class b1) or
	 * "[GIL in hand-off]" (b2), then the holder's code (b3). */
	function blameKind(el) {
		var m = /(^| )b([123])( |$)/.exec(el.getAttribute('class') || '');
		return m ? parseInt(m[2], 10) : 0;
	}

	/* The nearest ancestor of frame i whose kind (or name) matches. */
	function ancestor(i, test) {
		var f = index(), j;
		for (j = f[i].parent; j >= 0; j = f[j].parent)
			if (test(f[j]))
				return f[j];
		return null;
	}

	function blameLines(el, kind, v, lines) {
		var i = (index(), el.fgIndex);
		var wait = ancestor(i, function (a) { return a.name === '[waiting for GIL]'; });
		var holder = kind === 1 ? F[i] : ancestor(i, function (a) { return blameKind(a.el) === 1; });
		var who = holder ? holder.name.replace(/^\[held by (.*)\]$/, '$1') : '';
		var of = wait ? pct(v, wait.v) + ' of the waiting below' : '';
		if (kind === 1)
			lines.push(['', [['\u25A0 ', '#D55E00'], [who + ' held the GIL while the stack below waited']]]);
		else if (kind === 2)
			lines.push(['', [['\u25A0 ', '#7A7A7A'], ['no thread held the GIL: it was being handed over']]]);
		else
			lines.push(['', [['\u25A0 ', '#EE9A6E'], [who + ' ran this holding the GIL the stack below waited for']]]);
		if (of)
			lines.push(['', [[of]]]);
	}

	/* ---- tooltip --------------------------------------------------------- */
	function tipLine(y, cls, parts) {
		var t = document.createElementNS(NS, 'text'), i, ts;
		t.setAttribute('x', 8);
		t.setAttribute('y', y);
		if (cls)
			t.setAttribute('class', cls);
		for (i = 0; i < parts.length; i++) {
			ts = document.createElementNS(NS, 'tspan');
			ts.textContent = parts[i][0];
			if (parts[i][1])
				ts.setAttribute('fill', parts[i][1]);
			t.appendChild(ts);
		}
		tip.appendChild(t);
		var n = 0;
		for (i = 0; i < parts.length; i++)
			n += parts[i][0].length;
		return n;
	}

	function showTip(el) {
		var name = el.getAttribute('data-n'), v = num(el, 'data-v');
		var m = /^(.*) \(([^()]*)\)$/.exec(name);
		var lines = [], width = 0, y = 18, i, st, sum, b, d, kind = blameKind(el);
		while (tip.lastChild !== tipbg)
			tip.removeChild(tip.lastChild);
		lines.push(['t0', [[m ? m[1] : name]]]);
		if (m)
			lines.push(['', [['at ' + m[2]]]]);
		lines.push(['', [[fmt(v) + ' ' + countname + ' (' + pct(v, total) + ' of all)']]]);
		if (isDiff) {
			b = num(el, 'data-b');
			d = v - b;
			lines.push(['', [['base ' + fmt(b) + ' \u2192 new ' + fmt(v) + ': '],
				[(d >= 0 ? '+' : '') + fmt(d) + (b > 0 ? ' (' + (d >= 0 ? '+' : '') + pct(d, b) + ')' : ' (new)'),
				 d > 0 ? '#C00000' : d < 0 ? '#0040C0' : null]]]);
		}
		if (kind)
			blameLines(el, kind, v, lines);
		st = el.getAttribute('data-s');
		if (st) {
			st = st.split(',').map(parseFloat);
			sum = st[0] + st[1] + st[2] + st[3];
			for (i = 0; i < 4; i++) {
				if (st[i] > 0)
					lines.push(['', [['\u25A0 ', STATE_COLOURS[i]],
						[STATE_LABELS[i] + ' ' + pct(st[i], sum) + ' (' + fmt(st[i]) + ')']]]);
			}
		}
		for (i = 0; i < lines.length; i++) {
			width = Math.max(width, tipLine(y, lines[i][0], lines[i][1]));
			y += 16;
		}
		width = Math.min(width * cw + 16, fw);
		if (st) {
			/* The breakdown as a bar, the same colours as the legend. */
			var x = 8, w;
			for (i = 0; i < 4; i++) {
				if (!(st[i] > 0))
					continue;
				w = (width - 16) * st[i] / sum;
				var r = document.createElementNS(NS, 'rect');
				r.setAttribute('x', x);
				r.setAttribute('y', y - 8);
				r.setAttribute('width', w);
				r.setAttribute('height', 8);
				r.setAttribute('fill', STATE_COLOURS[i]);
				tip.appendChild(r);
				x += w;
			}
			y += 6;
		}
		tipbg.setAttribute('width', width);
		tipbg.setAttribute('height', y - 10);
		tip.setAttribute('class', '');
	}

	function moveTip(evt) {
		var pt = svg.createSVGPoint(), m = svg.getScreenCTM();
		if (!m)
			return;
		pt.x = evt.clientX;
		pt.y = evt.clientY;
		pt = pt.matrixTransform(m.inverse());
		var w = num(tipbg, 'width'), h = num(tipbg, 'height');
		var W = num(svg, 'width'), H = num(svg, 'height');
		var x = pt.x + 14, y = pt.y + 18;
		if (x + w > W - 2)
			x = Math.max(2, pt.x - w - 10);
		if (y + h > H - 2)
			y = Math.max(2, pt.y - h - 10);
		tip.setAttribute('transform', 'translate(' + x.toFixed(1) + ',' + y.toFixed(1) + ')');
	}

	svg.addEventListener('mouseover', function (evt) {
		var el = frameOf(evt.target);
		if (el) {
			showTip(el);
			moveTip(evt);
		}
	});
	svg.addEventListener('mousemove', function (evt) {
		if (frameOf(evt.target))
			moveTip(evt);
	});
	svg.addEventListener('mouseout', function (evt) {
		var el = frameOf(evt.target);
		if (el && frameOf(evt.relatedTarget) !== el)
			tip.setAttribute('class', 'hide');
	});

	/* ---- zoom ------------------------------------------------------------ */
	var zoomed = 0;

	function setClass(el, cls, on) {
		var c = (el.getAttribute('class') || '').split(' ').filter(function (s) {
			return s && s !== cls;
		});
		if (on)
			c.push(cls);
		el.setAttribute('class', c.join(' '));
	}

	function zoom(i) {
		var f = index(), z = f[i], end, j, scale, x, w, anc = {};
		if (!z)
			i = 0, z = f[0];
		for (j = z.parent; j >= 0; j = f[j].parent)
			anc[j] = true;
		for (end = i + 1; end < f.length && f[end].depth > z.depth; end++)
			;
		scale = fw / z.w0;
		for (j = 0; j < f.length; j++) {
			var g = f[j];
			if (j >= i && j < end) {
				x = xpad + (g.x0 - z.x0) * scale;
				w = g.w0 * scale;
				setClass(g.el, 'hide', false);
				setClass(g.el, 'anc', false);
			} else if (anc[j]) {
				x = xpad;
				w = fw;
				setClass(g.el, 'hide', false);
				setClass(g.el, 'anc', true);
			} else {
				setClass(g.el, 'hide', true);
				continue;
			}
			g.rect.setAttribute('x', x.toFixed(3));
			g.rect.setAttribute('width', w.toFixed(3));
			setLabel(g, x, w);
		}
		zoomed = i;
		setClass(resetBtn, 'hide', i === 0);
		saveState();
	}

	resetBtn.addEventListener('click', function () { zoom(0); });
	svg.addEventListener('click', function (evt) {
		var el = frameOf(evt.target);
		if (!el)
			return;
		index();
		zoom(el.fgIndex);
	});

	/* ---- search ---------------------------------------------------------- */
	var searchRe = '';

	function search(re) {
		var f = index(), rx = null, sum = 0, covered = -1, j, hit;
		if (re) {
			try {
				rx = new RegExp(re);
			} catch (e) {
				matchedEl.textContent = 'Bad regex: ' + e.message;
				setClass(matchedEl, 'hide', false);
				return;
			}
		}
		for (j = 1; j < f.length; j++) {
			if (covered >= 0 && f[j].depth <= covered)
				covered = -1;
			hit = rx !== null && rx.test(f[j].name);
			setClass(f[j].el, 'm', hit);
			/* A match inside a matched frame is already counted. */
			if (hit && covered < 0) {
				sum += f[j].v;
				covered = f[j].depth;
			}
		}
		searchRe = rx ? re : '';
		if (rx) {
			matchedEl.textContent = 'Matched: ' + (total > 0 ? (100 * sum / total).toFixed(1) : '0.0') + ' %';
			searchBtn.textContent = 'Clear search';
		} else {
			matchedEl.textContent = '';
			searchBtn.textContent = 'Search';
		}
		setClass(matchedEl, 'hide', !rx);
		saveState();
	}

	function askSearch() {
		var re = window.prompt('Search frames (regular expression)', searchRe);
		if (re !== null)
			search(re);
	}

	searchBtn.addEventListener('click', function () {
		if (searchRe)
			search('');
		else
			askSearch();
	});
	window.addEventListener('keydown', function (evt) {
		if ((evt.ctrlKey || evt.metaKey) && (evt.key === 'f' || evt.key === 'F')) {
			evt.preventDefault();
			askSearch();
		} else if (evt.key === 'Escape') {
			if (zoomed)
				zoom(0);
			else if (searchRe)
				search('');
		}
	});

	/* ---- the view in the URL --------------------------------------------- */
	var restoring = false;

	function saveState() {
		if (restoring)
			return;
		var parts = [], url;
		if (zoomed)
			parts.push('zoom=' + zoomed);
		if (searchRe)
			parts.push('search=' + encodeURIComponent(searchRe));
		url = location.href.replace(/#.*$/, '') + (parts.length ? '#' + parts.join('&') : '');
		try {
			history.replaceState(null, '', url);
		} catch (e) {
			location.hash = parts.join('&');
		}
	}

	function loadState() {
		var h = location.hash.replace(/^#/, ''), z = 0, s = '';
		h.split('&').forEach(function (kv) {
			var k = kv.split('=')[0], v = kv.slice(k.length + 1);
			try {
				v = decodeURIComponent(v);
			} catch (e) {
				return;
			}
			if (k === 'zoom' && /^\d+$/.test(v))
				z = parseInt(v, 10);
			else if (k === 'search')
				s = v;
		});
		if (!z && !s && !zoomed && !searchRe)
			return;
		restoring = true;
		zoom(z < index().length ? z : 0);
		search(s);
		restoring = false;
	}

	window.addEventListener('hashchange', loadState);
	loadState();
})();

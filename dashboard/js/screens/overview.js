// 概要 (overview): health and readiness, certificates by type and status,
// issued/revoked per day (90 days), revocations by reason, status requests
// and the OCSP cache, the CRLs' state (late ones in red), suspensions now
// and next. Refreshes itself every 10 s without reloading the page.
import { get } from '../api.js';
import { h, replace, card, tile, table } from '../dom.js';
import { t, lang } from '../i18n.js';
import { when, num, pct, bytes, typeName, reasonName, REASONS, dayText } from '../fmt.js';

const messages = {
	ja: {
		'nav.overview': '概要',
		'ov.health': '稼働状態',
		'ov.ready': '受付可能',
		'ov.not_ready': '受付不可',
		'ov.check.database': 'データベース',
		'ov.check.keys': '認証局の鍵',
		'ov.check.schema': 'スキーマ',
		'ov.state.ok': '正常',
		'ov.state.bad': '異常（{detail}）',
		'ov.version': 'バージョン {v}',
		'ov.uptime': '稼働時間 {d}',
		'ov.unreachable': '応答がありません',
		'ov.certs': '証明書（現在）',
		'ov.valid': '{type} 有効',
		'ov.expired_revoked': '期限切れ {e} ／ 失効 {r}',
		'ov.daily': '発行・失効件数（日別、直近90日）',
		'ov.daily.issued': '{type} 発行',
		'ov.daily.revoked': '{type} 失効',
		'ov.daily.table': '日別件数の表',
		'ov.day': '日付',
		'ov.reasons': '失効理由別の件数',
		'ov.reason': '失効理由',
		'ov.status': '失効情報の提供',
		'ov.ocsp': 'OCSP 応答数',
		'ov.crl': 'CRL ダウンロード数',
		'ov.hit': 'OCSP キャッシュ命中率',
		'ov.hit.sub': '命中 {h} ／ 失敗 {m}',
		'ov.since': '起動日時（この jpkid）:',
		'ov.rp': '検証者の確認件数（{month}）',
		'ov.crls': '失効リスト（CRL）の状態',
		'ov.crls.summary': '{n} 件公開中、うち期限切れ {late} 件',
		'ov.crls.none': 'まだ公開された失効リストはありません。',
		'ov.crl.issuer': '種別',
		'ov.crl.muni': '市区町村',
		'ov.crl.number': '番号',
		'ov.crl.this': '発行日時',
		'ov.crl.next': '次回発行予定',
		'ov.crl.size': 'サイズ',
		'ov.crl.entries': '失効件数',
		'ov.crl.late': '期限切れ',
		'ov.crls.more': 'すべての失効リストを見る',
		'ov.susp': '一時停止',
		'ov.susp.now': '現在停止中',
		'ov.susp.next': '次の予定',
		'ov.susp.none_now': '現在、停止中のサービスはありません。',
		'ov.susp.none_next': '予定されている停止はありません。',
		'ov.susp.range': '{from} から {to} まで',
		'ov.renewals': '今月以降に有効期限を迎える証明書',
		'ov.month': '月',
		'ov.updated': '{time} 更新（10秒ごとに自動更新）',
		'ov.folded': '集計時刻:',
	},
	en: {
		'nav.overview': 'Overview',
		'ov.health': 'Health',
		'ov.ready': 'Ready',
		'ov.not_ready': 'Not ready',
		'ov.check.database': 'Database',
		'ov.check.keys': 'CA keys',
		'ov.check.schema': 'Schema',
		'ov.state.ok': 'OK',
		'ov.state.bad': 'Failing ({detail})',
		'ov.version': 'Version {v}',
		'ov.uptime': 'Up {d}',
		'ov.unreachable': 'No answer',
		'ov.certs': 'Certificates now',
		'ov.valid': '{type}: valid',
		'ov.expired_revoked': 'Expired {e} / revoked {r}',
		'ov.daily': 'Issued and revoked per day (last 90 days)',
		'ov.daily.issued': '{type} issued',
		'ov.daily.revoked': '{type} revoked',
		'ov.daily.table': 'Table of the daily counts',
		'ov.day': 'Day',
		'ov.reasons': 'Revocations by reason',
		'ov.reason': 'Reason',
		'ov.status': 'Status service',
		'ov.ocsp': 'OCSP responses',
		'ov.crl': 'CRL downloads',
		'ov.hit': 'OCSP cache hit ratio',
		'ov.hit.sub': 'Hits {h} / misses {m}',
		'ov.since': 'Started (this jpkid):',
		'ov.rp': 'Relying-party checks ({month})',
		'ov.crls': 'Certificate revocation lists (CRLs)',
		'ov.crls.summary': '{n} published, {late} overdue',
		'ov.crls.none': 'No CRL has been published yet.',
		'ov.crl.issuer': 'Type',
		'ov.crl.muni': 'Municipality',
		'ov.crl.number': 'Number',
		'ov.crl.this': 'This update',
		'ov.crl.next': 'Next update',
		'ov.crl.size': 'Size',
		'ov.crl.entries': 'Entries',
		'ov.crl.late': 'Overdue',
		'ov.crls.more': 'See every CRL',
		'ov.susp': 'Suspensions',
		'ov.susp.now': 'Suspended now',
		'ov.susp.next': 'Next',
		'ov.susp.none_now': 'No service is suspended now.',
		'ov.susp.none_next': 'No suspension is scheduled.',
		'ov.susp.range': 'From {from} to {to}',
		'ov.renewals': 'Certificates expiring this month and the next two',
		'ov.month': 'Month',
		'ov.updated': 'Updated {time} (every 10 seconds)',
		'ov.folded': 'Rollups folded:',
	},
};

const COLORS = {
	sign: { issued: '#1d4e89', revoked: '#c0392b' },
	auth: { issued: '#2e8b57', revoked: '#e67e22' },
};

function duration(s) {
	const d = Math.floor(s / 86400);
	const hr = Math.floor(s % 86400 / 3600);
	const m = Math.floor(s % 3600 / 60);
	if (lang() === 'ja')
		return d ? `${d}日${hr}時間` : hr ? `${hr}時間${m}分` : `${m}分`;
	return d ? `${d} d ${hr} h` : hr ? `${hr} h ${m} min` : `${m} min`;
}

// Chart axis: "12/2" or "2 Dec".
function shortDay(day) {
	const [, m, d] = day.split('-').map(Number);
	if (lang() === 'ja')
		return `${m}/${d}`;
	return new Intl.DateTimeFormat('en-GB', { month: 'short', day: 'numeric', timeZone: 'UTC' })
		.format(new Date(day + 'T00:00:00Z'));
}

async function settle(p) {
	try {
		return { ok: true, value: await p };
	} catch (e) {
		if (e && e.status === 401)
			throw e;
		return { ok: false, error: e };
	}
}

function healthCard(health, ready) {
	const rows = [];
	const r = ready.ok ? ready.value : ready.error && ready.error.problem;
	const isReady = ready.ok && r && r.ready === true;
	const checks = r && r.checks ? r.checks : null;
	rows.push(h('div', { class: ['health-state', isReady ? 'ok' : 'bad'], 'data-testid': 'readiness' },
		isReady ? t('ov.ready') : t('ov.not_ready')));
	if (checks) {
		rows.push(h('ul', { class: 'checks' }, ['database', 'keys', 'schema'].map((k) =>
			h('li', { class: checks[k] === 'ok' ? 'ok' : 'bad', 'data-check': k },
				h('span', t(`ov.check.${k}`)), ' ',
				h('strong', checks[k] === 'ok' ? t('ov.state.ok') : t('ov.state.bad', { detail: checks[k] }))))));
	}
	if (health.ok)
		rows.push(h('p', { class: 'muted' }, t('ov.version', { v: health.value.version }), ' · ',
			t('ov.uptime', { d: duration(health.value.uptime_seconds) })));
	else
		rows.push(h('p', { class: 'error' }, t('ov.unreachable')));
	return card(t('ov.health'), ...rows);
}

function certTiles(stats) {
	return card(t('ov.certs'), h('div', { class: 'tiles' }, ['sign', 'auth'].map((ty) => {
		const c = stats.certificates[ty];
		return tile(t('ov.valid', { type: typeName(ty) }), h('span', { 'data-raw': c.valid }, num(c.valid)), {
			id: `valid-${ty}`,
			sub: h('span', { 'data-raw-expired': c.expired, 'data-raw-revoked': c.revoked },
				t('ov.expired_revoked', { e: num(c.expired), r: num(c.revoked) })),
		});
	})), h('p', { class: 'muted small' }, t('ov.folded'), ' ',
		when(stats.folded_at, { seconds: true })));
}

function statusTiles(stats) {
	const s = stats.status_requests;
	const rp = stats.relying_party_checks;
	return card(t('ov.status'), h('div', { class: 'tiles' },
		tile(t('ov.ocsp'), h('span', { 'data-raw': s.ocsp }, num(s.ocsp)), { id: 'ocsp' }),
		tile(t('ov.crl'), h('span', { 'data-raw': s.crl }, num(s.crl)), { id: 'crl' }),
		tile(t('ov.hit'), h('span', { 'data-raw': s.ocsp_cache.hit_ratio ?? '' }, pct(s.ocsp_cache.hit_ratio)), {
			id: 'hit',
			sub: t('ov.hit.sub', { h: num(s.ocsp_cache.hits), m: num(s.ocsp_cache.misses) }),
		}),
		tile(t('ov.rp', { month: rp.month }), h('span', { 'data-raw': rp.total }, num(rp.total)), {
			id: 'rp',
			sub: `${typeName('sign')} ${num(rp.sign)} ／ ${typeName('auth')} ${num(rp.auth)}`,
		})),
	h('p', { class: 'muted small' }, t('ov.since'), ' ', when(s.since, { seconds: true })));
}

function reasonsCard(stats) {
	const rr = stats.revocation_reasons;
	return card(t('ov.reasons'), table([
		{ label: t('ov.reason'), cell: (r) => reasonName(r) },
		{ label: typeName('sign'), class: 'num', cell: (r) => h('span', { 'data-raw': rr.sign[r] }, num(rr.sign[r])) },
		{ label: typeName('auth'), class: 'num', cell: (r) => h('span', { 'data-raw': rr.auth[r] }, num(rr.auth[r])) },
	], REASONS.filter((r) => r in rr.sign), { rowAttrs: (r) => ({ 'data-reason': r }) }));
}

function renewalsCard(stats) {
	return card(t('ov.renewals'), table([
		{ label: t('ov.month'), cell: (m) => m.month },
		{ label: typeName('sign'), class: 'num', cell: (m) => num(m.sign) },
		{ label: typeName('auth'), class: 'num', cell: (m) => num(m.auth) },
	], stats.renewals_due));
}

function crlCard(crls, now, names) {
	if (!crls.ok)
		return card(t('ov.crls'), h('p', { class: 'error' }, t('common.error', { msg: crls.error.describe() })));
	const list = crls.value.crls;
	if (!list.length)
		return card(t('ov.crls'), h('p', { class: 'muted' }, t('ov.crls.none')));
	const late = (c) => new Date(c.next_update).getTime() < now;
	const nLate = list.filter(late).length;
	const shown = list.slice().sort((a, b) => (late(b) - late(a)) ||
		(new Date(a.next_update) - new Date(b.next_update))).slice(0, Math.max(12, nLate));
	const c = card(t('ov.crls'),
		h('p', { class: nLate ? 'error' : 'muted', 'data-testid': 'crl-summary', 'data-late': nLate,
			'data-count': list.length }, t('ov.crls.summary', { n: num(list.length), late: num(nLate) })),
		table([
			{ label: t('ov.crl.issuer'), cell: (c) => typeName(c.issuer) },
			{ label: t('ov.crl.muni'), cell: (c) => h('span', { translate: 'no' }, c.municipality_code,
				names[c.municipality_code] ? ` ${names[c.municipality_code]}` : '') },
			{ label: t('ov.crl.number'), class: 'num', cell: (c) => h('span', { 'data-raw': c.number }, num(c.number)) },
			{ label: t('ov.crl.this'), cell: (c) => when(c.this_update) },
			{ label: t('ov.crl.next'), cell: (c) => h('span', late(c) ? { class: 'late' } : null, when(c.next_update),
				late(c) ? h('span', { class: 'badge bad' }, t('ov.crl.late')) : null) },
			{ label: t('ov.crl.entries'), class: 'num', cell: (c) => num(c.entries) },
			{ label: t('ov.crl.size'), class: 'num', cell: (c) => (c.size_bytes !== undefined ? bytes(c.size_bytes) : t('none')) },
		], shown, { rowAttrs: (c) => ({ class: late(c) ? 'row-late' : null,
			'data-crl': `${c.issuer}-${c.municipality_code}` }) }),
		h('p', h('a', { href: '#/crls' }, t('ov.crls.more'))));
	c.classList.add('wide');	// the whole width: its rows must not wrap
	return c;
}

function suspCard(susp) {
	if (!susp.ok)
		return card(t('ov.susp'), h('p', { class: 'error' }, t('common.error', { msg: susp.error.describe() })));
	const list = susp.value.suspensions;
	const active = list.filter((s) => s.state === 'active');
	const next = list.filter((s) => s.state === 'scheduled')
		.sort((a, b) => new Date(a.starts_at) - new Date(b.starts_at))[0];
	const line = (s) => h('li', { 'data-suspension': s.id },
		h('strong', s.reason), ' — ',
		t('ov.susp.range', { from: '\u0000', to: '\u0001' }).split(/(\u0000|\u0001)/).map((p) =>
			p === '\u0000' ? when(s.starts_at, { era: true }) : p === '\u0001' ? when(s.ends_at, { era: true }) : p));
	return card(t('ov.susp'),
		h('h3', t('ov.susp.now')),
		active.length ? h('ul', { class: 'susp-now', 'data-testid': 'susp-now' }, active.map(line)) :
			h('p', { class: 'muted', 'data-testid': 'susp-now' }, t('ov.susp.none_now')),
		h('h3', t('ov.susp.next')),
		next ? h('ul', { 'data-testid': 'susp-next' }, line(next)) :
			h('p', { class: 'muted', 'data-testid': 'susp-next' }, t('ov.susp.none_next')));
}

// The daily chart: Chart.js (Debian's libjs-chart.js) when it loaded, and a
// table of the same figures for keyboards and screen readers either way.
function dailyCard(stats, state) {
	const days = stats.daily;
	const labels = days.map((d) => shortDay(d.day));
	const sets = [];
	for (const ty of ['sign', 'auth'])
		for (const k of ['issued', 'revoked'])
			sets.push({
				label: t(`ov.daily.${k}`, { type: typeName(ty) }),
				data: days.map((d) => d[ty][k]),
				borderColor: COLORS[ty][k],
				backgroundColor: COLORS[ty][k],
				borderWidth: 0,
				stack: k,
			});
	const body = [];
	if (window.Chart) {
		if (state.chart && state.chartLang === lang() && state.canvas.isConnected) {
			state.chart.data.labels = labels;
			state.chart.data.datasets.forEach((ds, i) => (ds.data = sets[i].data));
			state.chart.update('none');
			body.push(state.canvasBox);
		} else {
			if (state.chart)
				state.chart.destroy();
			state.canvas = h('canvas', { role: 'img', 'aria-label': t('ov.daily') });
			state.canvasBox = h('div', { class: 'chart-box' }, state.canvas);
			state.chartLang = lang();
			body.push(state.canvasBox);
			state.pendingChart = () => {
				state.chart = new window.Chart(state.canvas, {
					type: 'bar',
					data: { labels, datasets: sets },
					options: {
						animation: false,
						responsive: true,
						maintainAspectRatio: false,
						interaction: { mode: 'index', intersect: false },
						scales: { y: { beginAtZero: true, stacked: true, ticks: { precision: 0 } },
							x: { stacked: true, ticks: { maxTicksLimit: 12, maxRotation: 0 } } },
						plugins: { legend: { position: 'bottom' } },
					},
				});
			};
		}
	}
	const recent = days.slice(-14).reverse();
	body.push(h('details', { class: 'chart-table' }, h('summary', t('ov.daily.table')), table([
		{ label: t('ov.day'), cell: (d) => dayText(d.day) },
		...['sign', 'auth'].flatMap((ty) => ['issued', 'revoked'].map((k) => ({
			label: t(`ov.daily.${k}`, { type: typeName(ty) }), class: 'num', cell: (d) => num(d[ty][k]) }))),
	], recent)));
	return card(t('ov.daily'), ...body);
}

async function render(main, ctx) {
	const state = {};
	const stamp = h('p', { class: 'muted small', 'data-testid': 'updated' });
	const grid = h('div', { class: 'grid' });
	replace(main, h('div', { class: 'screen-head' }, h('h1', t('nav.overview')), stamp), grid);
	ctx.onLeave(() => state.chart && state.chart.destroy());

	async function update() {
		const [health, ready, stats, crls, susp] = await Promise.all([
			settle(get('/healthz')), settle(get('/readyz')), settle(get('/v1/stats')),
			settle(get('/v1/crls')), settle(get('/v1/suspensions')),
		]);
		if (!ctx.current())
			return;
		const now = Date.now();
		const cards = [healthCard(health, ready)];
		if (stats.ok) {
			cards.push(certTiles(stats.value), statusTiles(stats.value), dailyCard(stats.value, state),
				reasonsCard(stats.value), renewalsCard(stats.value));
		} else {
			cards.push(card(t('ov.certs'), h('p', { class: 'error' },
				t('common.error', { msg: stats.error.describe() }))));
		}
		const names = {};
		if (stats.ok)
			for (const m of stats.value.municipalities)
				names[m.code] = m.name;
		cards.push(crlCard(crls, now, names), suspCard(susp));
		replace(grid, ...cards);
		if (state.pendingChart) {
			state.pendingChart();
			state.pendingChart = null;
		}
		stamp.textContent = t('ov.updated', { time: new Intl.DateTimeFormat(lang() === 'ja' ? 'ja-JP' : 'en-GB',
			{ timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
			.format(new Date()) });
		stamp.dataset.updatedAt = String(now);
	}
	await update();
	ctx.every(10000, () => update().catch(() => {}));
}

export default { id: 'overview', nav: 'nav.overview', minRole: 'viewer', messages, render };

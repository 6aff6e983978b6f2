// 証明書 (certificates): search (GET /v1/certificates: serial, resident
// code, municipality, type, status; paged by next_cursor), the results
// table (a row opens the detail on click or Enter), and the detail
// #/certificates/<serial> (GET /v1/certificates/{serial}): status, validity
// with the era, revocation, the holder data the API gives (resident code,
// card number, municipality), the certificate's audit trail (GET /v1/audit:
// object "certificate:<serial>", and the issuance row, which names the
// resident and carries the serial in its detail), and the revocation
// (officer and admin: POST /v1/certificates/{serial}/revoke with a reason,
// R26, and an Idempotency-Key per dialog).
import { get, post, newKey, ApiError } from '../api.js';
import { h, replace, card, table, field, select, confirmDialog, toast } from '../dom.js';
import { t } from '../i18n.js';
import { when, typeName, reasonName, statusName, REASONS, serial as fmtSerial } from '../fmt.js';
import { operatorNames, actorCell } from './audit.js';

const messages = {
	ja: {
		'nav.certificates': '証明書',
		'cert.search': '証明書の検索',
		'cert.f.serial': 'シリアル番号（16進）',
		'cert.f.resident': '住民票コード',
		'cert.f.municipality': '市区町村コード',
		'cert.f.type': '種別',
		'cert.f.status': '状態',
		'cert.f.serial.hint': '例: 0a1b2c…（大文字・小文字どちらでも）',
		'cert.f.resident.hint': '11桁',
		'cert.f.municipality.hint': '6桁の地方公共団体コード',
		'cert.bad.serial': 'シリアル番号は16進数（偶数桁、40桁まで）で入力してください。',
		'cert.bad.resident': '住民票コードは11桁の数字で入力してください。',
		'cert.bad.municipality': '市区町村コードは6桁の数字で入力してください。',
		'cert.results': '検索結果',
		'cert.results.count': '{n} 件表示',
		'cert.results.more': '（さらにあります）',
		'cert.col.serial': 'シリアル番号',
		'cert.col.type': '種別',
		'cert.col.holder': '住民票コード',
		'cert.col.holder.title': 'この住民の証明書をすべて表示',
		'cert.col.municipality': '市区町村',
		'cert.col.status': '状態',
		'cert.col.not_before': '有効期間の開始',
		'cert.col.not_after': '有効期間の満了',
		'cert.detail': '証明書の詳細',
		'cert.back': '検索に戻る',
		'cert.d.status': '状態と有効期間',
		'cert.d.serial': 'シリアル番号',
		'cert.d.type': '種別',
		'cert.d.status_label': '状態',
		'cert.d.not_before': '有効期間の開始',
		'cert.d.not_after': '有効期間の満了',
		'cert.d.revoked_at': '失効日時',
		'cert.d.reason': '失効理由',
		'cert.d.invalidity': '鍵の危殆化が判明した日時',
		'cert.d.holder': '名義人（API が返す項目）',
		'cert.d.resident': '住民票コード',
		'cert.d.card': 'カード番号',
		'cert.d.municipality': '市区町村コード（CRL の区分）',
		'cert.d.distribution': '失効情報の提供先',
		'cert.d.crl_url': 'CRL の URL',
		'cert.d.ocsp_url': 'OCSP の URL',
		'cert.d.pem': '証明書（PEM）',
		'cert.d.pem.show': 'PEM を表示',
		'cert.d.no_name': '氏名などの基本4情報は運用コンソールには表示されません。',
		'cert.trail': 'この証明書の監査記録',
		'cert.trail.none': 'この証明書の監査記録はありません。',
		'cert.trail.seq': '通番',
		'cert.trail.at': '日時（日本時間）',
		'cert.trail.actor': '実行者',
		'cert.trail.action': '操作',
		'cert.trail.detail': '詳細',
		'cert.trail.all': '監査画面で見る',
		'cert.revoke': 'この証明書を失効させる',
		'cert.revoke.title': '証明書の失効',
		'cert.revoke.text': '住民票コード {holder} の{type}（シリアル番号 {serial}）を失効させます。失効は取り消せません。',
		'cert.revoke.reason': '失効理由',
		'cert.revoke.choose': '選択してください',
		'cert.revoke.comment': '備考（任意、500文字まで）',
		'cert.revoke.need_reason': '失効理由を選択してください。',
		'cert.revoke.confirm': '失効させる',
		'cert.revoke.done': 'シリアル番号 {serial} を失効させました（{reason}）。',
		'cert.revoke.failed': '失効できませんでした: {msg}',
		'cert.revoked_banner': 'この証明書は失効しています。',
		'cert.expired_banner': 'この証明書は有効期間が満了しています。',
		'problem.already-revoked': 'この証明書はすでに失効しています。',
		'problem.expired': 'この証明書は有効期間が満了しているため失効できません。',
		'problem.invalid-serial': 'シリアル番号が正しくありません。',
		'problem.invalid-query': '検索条件が正しくありません。',
	},
	en: {
		'nav.certificates': 'Certificates',
		'cert.search': 'Search certificates',
		'cert.f.serial': 'Serial number (hex)',
		'cert.f.resident': 'Resident code',
		'cert.f.municipality': 'Municipality code',
		'cert.f.type': 'Type',
		'cert.f.status': 'Status',
		'cert.f.serial.hint': 'e.g. 0a1b2c… (either case)',
		'cert.f.resident.hint': '11 digits',
		'cert.f.municipality.hint': '6-digit local government code',
		'cert.bad.serial': 'Enter the serial in hex (an even number of digits, at most 40).',
		'cert.bad.resident': 'Enter the resident code as 11 digits.',
		'cert.bad.municipality': 'Enter the municipality code as 6 digits.',
		'cert.results': 'Results',
		'cert.results.count': '{n} shown',
		'cert.results.more': '(there are more)',
		'cert.col.serial': 'Serial number',
		'cert.col.type': 'Type',
		'cert.col.holder': 'Resident code',
		'cert.col.holder.title': 'Every certificate of this resident',
		'cert.col.municipality': 'Municipality',
		'cert.col.status': 'Status',
		'cert.col.not_before': 'Valid from',
		'cert.col.not_after': 'Valid until',
		'cert.detail': 'Certificate details',
		'cert.back': 'Back to the search',
		'cert.d.status': 'Status and validity',
		'cert.d.serial': 'Serial number',
		'cert.d.type': 'Type',
		'cert.d.status_label': 'Status',
		'cert.d.not_before': 'Valid from',
		'cert.d.not_after': 'Valid until',
		'cert.d.revoked_at': 'Revoked at',
		'cert.d.reason': 'Reason',
		'cert.d.invalidity': 'Key known compromised at',
		'cert.d.holder': 'Holder (as the API gives it)',
		'cert.d.resident': 'Resident code',
		'cert.d.card': 'Card number',
		'cert.d.municipality': 'Municipality code (CRL shard)',
		'cert.d.distribution': 'Revocation status service',
		'cert.d.crl_url': 'CRL URL',
		'cert.d.ocsp_url': 'OCSP URL',
		'cert.d.pem': 'Certificate (PEM)',
		'cert.d.pem.show': 'Show the PEM',
		'cert.d.no_name': 'The basic four information (name etc.) is not shown in the operator console.',
		'cert.trail': 'Audit trail of this certificate',
		'cert.trail.none': 'No audit entries for this certificate.',
		'cert.trail.seq': 'Seq',
		'cert.trail.at': 'Time (JST)',
		'cert.trail.actor': 'Actor',
		'cert.trail.action': 'Action',
		'cert.trail.detail': 'Detail',
		'cert.trail.all': 'See in the audit screen',
		'cert.revoke': 'Revoke this certificate',
		'cert.revoke.title': 'Revoke a certificate',
		'cert.revoke.text': 'The {type} of resident {holder} (serial number {serial}) will be revoked. A revocation cannot be undone.',
		'cert.revoke.reason': 'Reason',
		'cert.revoke.choose': 'Choose one',
		'cert.revoke.comment': 'Comment (optional, up to 500 characters)',
		'cert.revoke.need_reason': 'Choose a reason.',
		'cert.revoke.confirm': 'Revoke',
		'cert.revoke.done': 'Serial number {serial} revoked ({reason}).',
		'cert.revoke.failed': 'Could not revoke: {msg}',
		'cert.revoked_banner': 'This certificate is revoked.',
		'cert.expired_banner': 'This certificate has expired.',
		'problem.already-revoked': 'This certificate is already revoked.',
		'problem.expired': 'This certificate has expired and cannot be revoked.',
		'problem.invalid-serial': 'The serial number is not valid.',
		'problem.invalid-query': 'The search is not valid.',
	},
};

// t() of a message whose {placeholders} are nodes (data marked translate="no").
function tn(key, nodes) {
	const out = [];
	for (const [i, part] of t(key).split(/\{(\w+)\}/).entries())
		out.push(i % 2 ? (part in nodes ? nodes[part] : `{${part}}`) : part);
	return out;
}

const data = (tag, text, attrs) => h(tag, Object.assign({ translate: 'no' }, attrs || {}), text);

// The status a clerk should read: a valid certificate past notAfter is expired.
function shownStatus(c) {
	if (c.status === 'valid' && c.not_after && new Date(c.not_after).getTime() <= Date.now())
		return 'expired';
	return c.status;
}

function badge(status) {
	return h('span', { class: ['badge', 'status-' + status], 'data-status': status }, statusName(status));
}

const FILTERS = ['serial', 'resident_code', 'municipality', 'type', 'status'];

function checkFilters(q) {
	if (q.serial && !/^([0-9a-fA-F]{2}){1,20}$/.test(q.serial))
		return t('cert.bad.serial');
	if (q.resident_code && !/^\d{11}$/.test(q.resident_code))
		return t('cert.bad.resident');
	if (q.municipality && !/^\d{6}$/.test(q.municipality))
		return t('cert.bad.municipality');
	return null;
}

// ---------------------------------------------------------------- list

function searchForm(ctx, q) {
	const input = (name, attrs) => h('input', Object.assign({ name, value: q[name] || '',
		autocomplete: 'off', spellcheck: 'false', translate: 'no' }, attrs || {}));
	const serialIn = input('serial', { 'data-search': '', inputmode: 'text', maxlength: 40,
		class: 'cert-serial-input' });
	const err = h('p', { class: 'error', role: 'alert', hidden: true, 'data-testid': 'cert-search-error' });
	const form = h('form', { class: 'filters cert-filters', role: 'search', 'data-testid': 'cert-search',
		'aria-label': t('cert.search') },
	field(t('cert.f.serial'), serialIn, { hint: t('cert.f.serial.hint') }),
	field(t('cert.f.resident'), input('resident_code', { inputmode: 'numeric', maxlength: 11 }),
		{ hint: t('cert.f.resident.hint') }),
	field(t('cert.f.municipality'), input('municipality', { inputmode: 'numeric', maxlength: 6 }),
		{ hint: t('cert.f.municipality.hint') }),
	field(t('cert.f.type'), select('type', [['', t('common.all')], ['sign', typeName('sign')],
		['auth', typeName('auth')]], q.type)),
	field(t('cert.f.status'), select('status', [['', t('common.all')], ['valid', statusName('valid')],
		['revoked', statusName('revoked')]], q.status)),
	h('div', { class: 'actions left' },
		h('button', { type: 'submit', class: 'primary', 'data-action': 'search' }, t('common.search')),
		h('button', { type: 'button', 'data-action': 'clear', on: { click: () => ctx.navigate('#/certificates') } },
			t('common.clear'))));
	form.addEventListener('submit', (e) => {
		e.preventDefault();
		const fd = new FormData(form);
		const nq = {};
		for (const k of FILTERS) {
			const v = String(fd.get(k) || '').trim();
			if (v)
				nq[k] = k === 'serial' ? v.toLowerCase() : v;
		}
		const msg = checkFilters(nq);
		if (msg) {
			err.textContent = msg;
			err.hidden = false;
			return;
		}
		const qs = new URLSearchParams(nq).toString();
		ctx.navigate('#/certificates' + (qs ? '?' + qs : ''));
	});
	return h('div', form, err);
}

function resultRows(ctx, items) {
	const open = (c) => ctx.navigate('#/certificates/' + encodeURIComponent(c.serial));
	return table([
		{ label: t('cert.col.serial'), cell: (c) => h('a', { href: '#/certificates/' + encodeURIComponent(c.serial),
			class: 'serial', translate: 'no', 'data-serial-link': c.serial }, fmtSerial(c.serial)) },
		{ label: t('cert.col.type'), cell: (c) => h('span', { 'data-type': c.type }, typeName(c.type)) },
		{ label: t('cert.col.holder'), cell: (c) => h('a', { href: '#/certificates?resident_code=' + c.resident_code,
			class: 'mono', translate: 'no', title: t('cert.col.holder.title') }, c.resident_code) },
		{ label: t('cert.col.municipality'), cell: (c) => data('span', c.municipality, { class: 'mono' }) },
		{ label: t('cert.col.status'), cell: (c) => badge(shownStatus(c)) },
		{ label: t('cert.col.not_before'), cell: (c) => when(c.not_before, { era: true }) },
		{ label: t('cert.col.not_after'), cell: (c) => when(c.not_after, { era: true }) },
	], items, {
		rowAttrs: (c) => ({
			class: 'clickable', tabindex: '0', 'data-serial': c.serial,
			on: {
				click: (e) => {
					if (!e.target.closest('a'))
						open(c);
				},
				keydown: (e) => {
					if (e.key === 'Enter' && e.target === e.currentTarget) {
						e.preventDefault();
						open(c);
					}
				},
			},
		}),
	});
}

async function renderList(main, ctx) {
	const q = {};
	for (const k of FILTERS)
		if (ctx.params.get(k))
			q[k] = ctx.params.get(k);
	const results = h('section', { class: 'card cert-results', 'data-testid': 'cert-results',
		'data-query': new URLSearchParams(q).toString(), 'aria-live': 'polite' });
	replace(main, h('div', { class: 'screen-head' }, h('h1', t('nav.certificates'))),
		card(t('cert.search'), searchForm(ctx, q)), results);

	const items = [];
	let cursor = null;
	const status = h('p', { class: 'muted small', 'data-testid': 'cert-count' });
	const more = h('button', { type: 'button', 'data-action': 'more', hidden: true }, t('common.more'));
	const body = h('div');
	replace(results, h('h2', t('cert.results')), status, body, h('div', { class: 'actions left' }, more));

	const bad = checkFilters(q);
	if (bad) {
		replace(body, h('p', { class: 'error', role: 'alert' }, bad));
		return;
	}
	async function load() {
		const page = await get('/v1/certificates', Object.assign({ limit: 50, cursor }, q));
		if (!ctx.current())
			return;
		items.push(...page.items);
		cursor = page.next_cursor || null;
		replace(body, resultRows(ctx, items));
		status.textContent = t('cert.results.count', { n: items.length }) + (cursor ? ' ' + t('cert.results.more') : '');
		status.dataset.count = String(items.length);
		more.hidden = !cursor;
	}
	more.addEventListener('click', () => {
		more.disabled = true;
		load().catch((e) => toast(t('common.error', { msg: describe(e) }), 'error'))
			.finally(() => (more.disabled = false));
	});
	await load();
}

function describe(e) {
	return e && e.describe ? e.describe() : String(e);
}

// ---------------------------------------------------------------- detail

function fact(label, value, key) {
	return [h('dt', label), h('dd', { 'data-field': key }, value)];
}

function statusCard(c) {
	const st = shownStatus(c);
	const rows = [
		...fact(t('cert.d.serial'), data('span', c.serial, { class: 'serial' }), 'serial'),
		...fact(t('cert.d.type'), typeName(c.type, true), 'type'),
		...fact(t('cert.d.status_label'), badge(st), 'status'),
		...fact(t('cert.d.not_before'), when(c.not_before, { era: true, seconds: true }), 'not_before'),
		...fact(t('cert.d.not_after'), when(c.not_after, { era: true, seconds: true }), 'not_after'),
	];
	if (c.status === 'revoked') {
		rows.push(...fact(t('cert.d.revoked_at'), when(c.revoked_at, { era: true, seconds: true }), 'revoked_at'));
		rows.push(...fact(t('cert.d.reason'), h('span', { 'data-reason': c.reason }, reasonName(c.reason)), 'reason'));
		if (c.invalidity_date)
			rows.push(...fact(t('cert.d.invalidity'), when(c.invalidity_date, { era: true, seconds: true }),
				'invalidity_date'));
	}
	const banner = st === 'revoked' ? h('p', { class: 'cert-banner revoked', 'data-testid': 'revoked-banner' },
		t('cert.revoked_banner'), ' ', reasonName(c.reason)) :
		st === 'expired' ? h('p', { class: 'cert-banner expired' }, t('cert.expired_banner')) : null;
	return card(t('cert.d.status'), banner, h('dl', { class: 'facts', 'data-testid': 'cert-facts' }, rows));
}

function holderCard(c) {
	return card(t('cert.d.holder'),
		h('dl', { class: 'facts', 'data-testid': 'cert-holder' },
			...fact(t('cert.d.resident'), data('span', c.resident_code, { class: 'mono' }), 'resident_code'),
			...fact(t('cert.d.card'), data('span', c.card_number, { class: 'mono' }), 'card_number'),
			...fact(t('cert.d.municipality'), data('span', c.municipality_code, { class: 'mono' }),
				'municipality_code')),
		h('p', { class: 'muted small' }, t('cert.d.no_name')));
}

function distributionCard(c) {
	return card(t('cert.d.distribution'),
		h('dl', { class: 'facts' },
			...fact(t('cert.d.crl_url'), data('span', c.crl_url || t('none'), { class: 'mono' }), 'crl_url'),
			...fact(t('cert.d.ocsp_url'), data('span', c.ocsp_url || t('none'), { class: 'mono' }), 'ocsp_url')),
		c.certificate ? h('details', { class: 'cert-pem' }, h('summary', t('cert.d.pem.show')),
			h('pre', { translate: 'no', class: 'mono', 'aria-label': t('cert.d.pem') }, c.certificate)) : null);
}

// The audit rows of this certificate: its own object, and the issuance
// (object: the resident code, serial in the detail).
async function trail(c) {
	const [own, issued, names] = await Promise.all([
		get('/v1/audit', { object: 'certificate:' + c.serial, limit: 100 }),
		get('/v1/audit', { object: c.resident_code, action: 'certificate.issue', limit: 100 }),
		operatorNames(),
	]);
	const rows = own.items.concat(issued.items.filter((e) => e.detail && e.detail.serial === c.serial));
	rows.sort((a, b) => b.seq - a.seq);
	return { rows, names };
}

function trailCard(c, { rows, names }) {
	return card(t('cert.trail'), table([
		{ label: t('cert.trail.seq'), class: 'num', cell: (e) => data('span', String(e.seq)) },
		{ label: t('cert.trail.at'), cell: (e) => when(e.at, { seconds: true }) },
		{ label: t('cert.trail.actor'), class: 'audit-actor', cell: (e) => actorCell(e.actor, names) },
		{ label: t('cert.trail.action'), cell: (e) => data('span', e.action, { class: 'mono' }) },
		{ label: t('cert.trail.detail'), cell: (e) => data('code', JSON.stringify(e.detail), { class: 'json' }) },
	], rows, { empty: t('cert.trail.none'), rowAttrs: (e) => ({ 'data-seq': e.seq, 'data-action': e.action }) }),
	h('p', h('a', { href: '#/audit?object=' + encodeURIComponent('certificate:' + c.serial) }, t('cert.trail.all'))));
}

async function revokeFlow(c, ctx, show) {
	const reason = select('reason', [['', t('cert.revoke.choose')],
		...REASONS.map((r) => [r, reasonName(r)])], '', { 'aria-required': 'true', 'data-testid': 'revoke-reason' });
	const comment = h('textarea', { name: 'comment', maxlength: 500, rows: 3, class: 'cert-comment' });
	const text = h('p', { class: 'revoke-text', 'data-testid': 'revoke-text' }, tn('cert.revoke.text', {
		holder: data('strong', c.resident_code, { class: 'mono', 'data-holder': c.resident_code }),
		serial: data('strong', c.serial, { class: 'serial', 'data-serial': c.serial }),
		type: typeName(c.type, true),
	}));
	const key = newKey();		// one action: a retry of this dialog reuses it
	const ok = await confirmDialog({
		title: t('cert.revoke.title'),
		body: [text, field(t('cert.revoke.reason'), reason), field(t('cert.revoke.comment'), comment)],
		confirm: t('cert.revoke.confirm'),
		danger: true,
		validate: () => (reason.value ? null : t('cert.revoke.need_reason')),
	});
	if (!ok)
		return;
	const body = { reason: reason.value };
	if (comment.value.trim())
		body.comment = comment.value.trim();
	try {
		const after = await post('/v1/certificates/' + encodeURIComponent(c.serial) + '/revoke', body,
			{ idempotencyKey: key });
		toast(h('span', tn('cert.revoke.done', { serial: data('span', c.serial, { class: 'serial' }),
			reason: reasonName(after.reason) })), 'ok');
		if (ctx.current())
			await show(after);
	} catch (e) {
		if (e instanceof ApiError && e.status === 401)
			return;
		toast(t('cert.revoke.failed', { msg: describe(e) }), 'error');
		if (e instanceof ApiError && e.status === 409 && ctx.current())
			await show(null);
	}
}

async function renderDetail(main, ctx, serialText) {
	const path = '/v1/certificates/' + encodeURIComponent(serialText);
	const head = h('div', { class: 'screen-head' }, h('h1', t('cert.detail')),
		h('a', { href: '#/certificates', 'data-action': 'back' }, t('cert.back')));
	replace(main, head);
	const content = h('div', { class: 'cert-detail', 'data-testid': 'cert-detail' });
	main.appendChild(content);

	async function show(c) {
		const cert = c || await get(path);
		if (!ctx.current())
			return;
		let rows;
		let trailErr = null;
		try {
			rows = await trail(cert);
		} catch (e) {
			if (e && e.status === 401)
				throw e;
			trailErr = e;
		}
		if (!ctx.current())
			return;
		const st = shownStatus(cert);
		const actions = h('div', { class: 'toolbar cert-actions' });
		if (ctx.can('officer') && st === 'valid') {
			const btn = h('button', { type: 'button', class: 'danger', 'data-action': 'revoke' }, t('cert.revoke'));
			btn.addEventListener('click', () => revokeFlow(cert, ctx, show).finally(() => {
				const target = btn.isConnected ? btn : main.querySelector('h1');
				if (target) {
					target.tabIndex = target === btn ? 0 : -1;
					target.focus();
				}
			}));
			actions.appendChild(btn);
		}
		content.dataset.status = st;
		replace(content, actions.childNodes.length ? actions : null,
			h('div', { class: 'grid cert-grid' }, statusCard(cert), holderCard(cert), distributionCard(cert)),
			trailErr ? card(t('cert.trail'), h('p', { class: 'error' }, t('common.error', { msg: describe(trailErr) }))) :
				trailCard(cert, rows));
	}
	await show(null);
}

export default {
	id: 'certificates',
	nav: 'nav.certificates',
	minRole: 'viewer',
	messages,
	async render(main, ctx) {
		if (ctx.rest.length)
			return renderDetail(main, ctx, ctx.rest[0]);
		return renderList(main, ctx);
	},
};

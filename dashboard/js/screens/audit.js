// 監査 (audit): search the audit log (GET /v1/audit: actor, action, object,
// request_id, from, to; exact matches, newest first) and page through it
// with the cursor (次へ / 最初へ), a table of seq, time (JST), actor, action,
// object, request id and the detail as compact JSON; and the chain check
// (GET /v1/audit/verify): "sealed through seq N" in green, or the first bad
// seq and why in red. The filters live in the hash (#/audit?action=...), so
// a search can be linked to (the certificate detail does).
import { can, currentSession, get, getAll } from '../api.js';
import { h, replace, card, table, field, select, toast } from '../dom.js';
import { t } from '../i18n.js';
import { when, num } from '../fmt.js';

const messages = {
	ja: {
		'nav.audit': '監査',
		'audit.search': '監査記録の検索',
		'audit.f.actor': '実行者',
		'audit.f.action': '操作',
		'audit.f.object': '対象',
		'audit.f.request_id': 'リクエスト ID',
		'audit.f.from': '開始日時（日本時間、この時刻を含む）',
		'audit.f.to': '終了日時（日本時間、この時刻を含まない）',
		'audit.f.limit': '1ページの件数',
		'audit.f.time.hint': '日時は「年/月/日 時:分」の形で、日本時間で入力します（日付だけなら0時）。',
		'audit.f.exact': 'どの条件も完全一致で検索します（例: 操作 {action}、対象 {object}）。',
		'audit.log': '監査記録',
		'audit.page': '{n} 件（{page} ページ目）',
		'audit.first': '最初のページへ',
		'audit.page.below': '（通番 {seq} より前）',
		'audit.bad_row': '改ざん',
		'audit.verify.show': '通番 {seq} の行を表示',
		'audit.col.seq': '通番',
		'audit.col.at': '日時（日本時間）',
		'audit.col.actor': '実行者',
		'audit.col.action': '操作',
		'audit.col.object': '対象',
		'audit.col.request_id': 'リクエスト ID',
		'audit.col.detail': '詳細',
		'audit.unsealed': '未封印',
		'audit.unsealed.title': 'まだハッシュチェーンに封印されていない行です',
		'audit.chain': 'ハッシュチェーンの検証',
		'audit.chain.about': '封印済みのすべての行のハッシュチェーンを計算し直し、署名付きチェックポイントと照合します。記録が多いと時間がかかります。',
		'audit.verify': 'チェーンを検証',
		'audit.verifying': '検証中…',
		'audit.verify.ok': '通番 {seq} までの封印が正しいことを確認しました。',
		'audit.verify.ok_none': '改ざんは見つかりませんでした（封印済みの行はまだありません）。',
		'audit.verify.bad': '通番 {seq} で改ざんを検出しました。',
		'audit.verify.reason': '理由:',
		'audit.why.seal': '封印と一致しません（行の改変、並べ替え、挿入、または前の行の削除）。',
		'audit.why.checkpoint_hash': 'チェックポイントのハッシュがチェーンと一致しません（行の書き換え）。',
		'audit.why.checkpoint_sig': 'チェックポイントの署名を監査鍵で検証できません（偽造されたチェックポイント）。',
		'audit.why.gone': 'チェックポイントが指す行がありません（末尾の削除）。',
		'audit.why.before': '直前の行が見つかりません。',
		'audit.why.partial': '封印の情報が不完全です。',
		'audit.verify.rows': '確認した行 {rows} ／ チェックポイント {cps} ／ 未封印の行 {unsealed}',
		'audit.verify.last_cp': '最後のチェックポイント: 通番 {seq}、',
		'audit.verify.sig': '署名の検証: {v}',
		'audit.verify.at': '検証日時:',
		'audit.bad.from': '開始日時が正しくありません。',
		'audit.bad.to': '終了日時が正しくありません。',
	},
	en: {
		'nav.audit': 'Audit',
		'audit.search': 'Search the audit log',
		'audit.f.actor': 'Actor',
		'audit.f.action': 'Action',
		'audit.f.object': 'Object',
		'audit.f.request_id': 'Request ID',
		'audit.f.from': 'From (JST, inclusive)',
		'audit.f.to': 'To (JST, exclusive)',
		'audit.f.limit': 'Entries per page',
		'audit.f.time.hint': 'Times are JST, typed as year/month/day hour:minute (a day alone means 00:00).',
		'audit.f.exact': 'Every filter is an exact match (e.g. action {action}, object {object}).',
		'audit.log': 'Audit log',
		'audit.page': '{n} entries (page {page})',
		'audit.first': 'First page',
		'audit.page.below': '(before seq {seq})',
		'audit.bad_row': 'Tampered',
		'audit.verify.show': 'Show the row at seq {seq}',
		'audit.col.seq': 'Seq',
		'audit.col.at': 'Time (JST)',
		'audit.col.actor': 'Actor',
		'audit.col.action': 'Action',
		'audit.col.object': 'Object',
		'audit.col.request_id': 'Request ID',
		'audit.col.detail': 'Detail',
		'audit.unsealed': 'Unsealed',
		'audit.unsealed.title': 'Not yet sealed into the hash chain',
		'audit.chain': 'Hash chain verification',
		'audit.chain.about': 'Recomputes the hash chain over every sealed row and checks the signed checkpoints. Takes a while on a long log.',
		'audit.verify': 'Verify the chain',
		'audit.verifying': 'Verifying…',
		'audit.verify.ok': 'Sealed and intact through seq {seq}.',
		'audit.verify.ok_none': 'No tampering found (no row is sealed yet).',
		'audit.verify.bad': 'Tampering detected at seq {seq}.',
		'audit.verify.reason': 'Reason:',
		'audit.why.seal': 'The row does not match its seal (edited, reordered, inserted, or a row before it deleted).',
		'audit.why.checkpoint_hash': 'A checkpoint hash does not match the chain (rows rewritten).',
		'audit.why.checkpoint_sig': 'A checkpoint signature does not verify with the audit key (forged checkpoint).',
		'audit.why.gone': 'A row a checkpoint covers is gone (the tail was deleted).',
		'audit.why.before': 'The row before it is missing.',
		'audit.why.partial': 'The row\'s seal is incomplete.',
		'audit.verify.rows': 'Rows checked {rows} / checkpoints {cps} / unsealed rows {unsealed}',
		'audit.verify.last_cp': 'Last checkpoint: seq {seq}, ',
		'audit.verify.sig': 'Signatures checked: {v}',
		'audit.verify.at': 'Verified at:',
		'audit.bad.from': 'The start time is not valid.',
		'audit.bad.to': 'The end time is not valid.',
	},
};

const TEXT = ['actor', 'action', 'object', 'request_id'];
const ACTIONS = ['certificate.read', 'certificate.search', 'certificate.revoke', 'certificate.issue',
	'certificate.issue_refused', 'certificate.scope_denied', 'card.event', 'application.create',
	'application.read', 'audit.read', 'session.create', 'session.delete'];
const LIMITS = [10, 20, 50, 100, 200];

// t() of a message whose {placeholders} are nodes (data marked translate="no").
function tn(key, nodes) {
	return t(key).split(/\{(\w+)\}/).map((part, i) => (i % 2 ? nodes[part] ?? `{${part}}` : part));
}

const data = (tag, text, attrs) => h(tag, Object.assign({ translate: 'no' }, attrs || {}), text);

// The time filters are typed as JST: "2026/12/02 09:00", "2026-12-02 09:00",
// "2026-12-02T09:00" or a bare day (00:00) → "2026-12-02T09:00:00+09:00".
// (No datetime-local: Chromium draws it in the browser's locale, not the page's.)
function toRfc(text) {
	const v = String(text || '').trim();
	if (!v)
		return null;
	const m = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(v);
	if (!m)
		return undefined;
	const p2 = (x) => String(x || 0).padStart(2, '0');
	const [y, mo, d, hh, mi, ss] = [m[1], Number(m[2]), Number(m[3]), Number(m[4] || 0), Number(m[5] || 0), Number(m[6] || 0)];
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mi > 59 || ss > 59)
		return undefined;
	return `${y}-${p2(mo)}-${p2(d)}T${p2(hh)}:${p2(mi)}:${p2(ss)}+09:00`;
}

// An RFC 3339 filter back into the field, in JST: "2026/12/02 09:00".
function toField(rfc) {
	if (!rfc)
		return '';
	const d = new Date(rfc);
	if (isNaN(d.getTime()))
		return rfc;
	const j = new Date(d.getTime() + 9 * 3600 * 1000).toISOString();
	return `${j.slice(0, 4)}/${j.slice(5, 7)}/${j.slice(8, 10)} ${j.slice(11, 16)}${j.slice(17, 19) !== '00' ? ':' + j.slice(17, 19) : ''}`;
}

// Operators' usernames by id, to show beside "operator:<id>": the operator's
// own from the session, everyone's for an admin (GET /v1/operators is admin only).
let opNames = null;
export async function operatorNames() {
	const me = currentSession() && currentSession().operator;
	const map = {};
	if (me && me.id !== undefined)
		map[String(me.id)] = me.username;
	if (!can('admin'))
		return map;
	if (opNames && opNames.user === me.username && Date.now() - opNames.at < 60000)
		return opNames.map;
	try {
		for (const o of await getAll('/v1/operators', {}, 2000))
			map[String(o.id)] = o.username;
	} catch (e) {
		if (e && e.status === 401)
			throw e;
		return map;		// names are a help, not needed
	}
	opNames = { at: Date.now(), user: me.username, map };
	return map;
}

// The actor as recorded, with the operator's username when it is one.
export function actorCell(actor, names) {
	const m = /^operator:(\d+)$/.exec(actor || '');
	const name = m && names ? names[m[1]] : null;
	return h('span', { translate: 'no', class: 'actor' }, h('span', { class: 'mono actor-id' }, actor),
		name ? h('span', { class: 'actor-name' }, name) : null);
}

function query(params) {
	const q = {};
	for (const k of [...TEXT, 'from', 'to'])
		if (params.get(k))
			q[k] = params.get(k);
	const l = Number(params.get('limit'));
	q.limit = LIMITS.includes(l) ? l : 50;
	return q;
}

function searchForm(ctx, q) {
	const input = (name, attrs) => h('input', Object.assign({ name, value: q[name] || '', autocomplete: 'off',
		spellcheck: 'false', translate: 'no' }, attrs || {}));
	const err = h('p', { class: 'error', role: 'alert', hidden: true, 'data-testid': 'audit-search-error' });
	const list = h('datalist', { id: 'audit-actions' }, ACTIONS.map((a) => h('option', { value: a })));
	const form = h('form', { class: 'filters audit-filters', role: 'search', 'aria-label': t('audit.search'),
		'data-testid': 'audit-search', 'data-query': new URLSearchParams(q).toString() },
	field(t('audit.f.actor'), input('actor', { 'data-search': '' })),
	field(t('audit.f.action'), input('action', { list: 'audit-actions' })),
	field(t('audit.f.object'), input('object', { class: 'audit-object-input' })),
	field(t('audit.f.request_id'), input('request_id')),
	field(t('audit.f.from'), input('from', { value: toField(q.from), placeholder: '2026/12/02 09:00', inputmode: 'numeric',
		class: 'audit-time-input' })),
	field(t('audit.f.to'), input('to', { value: toField(q.to), placeholder: '2026/12/02 18:00', inputmode: 'numeric',
		class: 'audit-time-input' })),
	field(t('audit.f.limit'), select('limit', LIMITS.map((n) => [n, num(n)]), q.limit)),
	list,
	h('div', { class: 'actions left' },
		h('button', { type: 'submit', class: 'primary', 'data-action': 'search' }, t('common.search')),
		h('button', { type: 'button', 'data-action': 'clear', on: { click: () => ctx.navigate('#/audit') } },
			t('common.clear'))));
	form.addEventListener('submit', (e) => {
		e.preventDefault();
		const fd = new FormData(form);
		const nq = new URLSearchParams();
		for (const k of TEXT) {
			const v = String(fd.get(k) || '').trim();
			if (v)
				nq.set(k, v);
		}
		for (const k of ['from', 'to']) {
			const v = toRfc(String(fd.get(k) || ''));
			if (v === undefined) {
				err.textContent = t(`audit.bad.${k}`);
				err.hidden = false;
				return;
			}
			if (v)
				nq.set(k, v);
		}
		if (Number(fd.get('limit')) !== 50)
			nq.set('limit', String(fd.get('limit')));
		const qs = nq.toString();
		ctx.navigate('#/audit' + (qs ? '?' + qs : ''));
	});
	return h('div', form, h('p', { class: 'hint' }, tn('audit.f.exact', {
		action: data('code', 'certificate.revoke'), object: data('code', 'certificate:0a1b…') }), ' ', t('audit.f.time.hint')), err);
}

// The object as recorded; a certificate's links to its detail.
function objectCell(obj) {
	const m = /^certificate:([0-9a-f]{2,40})$/.exec(obj);
	if (m)
		return h('a', { href: '#/certificates/' + m[1], class: 'mono', translate: 'no' }, obj);
	return data('span', obj, { class: 'mono' });
}

function entries(items, names, badSeq) {
	return table([
		{ label: t('audit.col.seq'), class: 'num', cell: (e) => h('span', { translate: 'no', 'data-seq': e.seq },
			String(e.seq), e.seq === badSeq ? h('span', { class: 'badge bad', 'data-testid': 'bad-row-badge' }, t('audit.bad_row')) : null,
			e.sealed ? null : h('span', { class: 'badge warn', title: t('audit.unsealed.title') },
				t('audit.unsealed'))) },
		{ label: t('audit.col.at'), class: 'audit-at', cell: (e) => when(e.at, { seconds: true }) },
		{ label: t('audit.col.actor'), class: 'audit-actor', cell: (e) => actorCell(e.actor, names) },
		{ label: t('audit.col.action'), class: 'audit-action', cell: (e) => data('span', e.action, { class: 'mono' }) },
		{ label: t('audit.col.object'), class: 'audit-object', cell: (e) => (e.object ? objectCell(e.object) :
			h('span', { class: 'muted' }, t('none'))) },
		{ label: t('audit.col.request_id'), class: 'audit-rid', cell: (e) => (e.request_id ? data('span', e.request_id, { class: 'mono small' }) :
			h('span', { class: 'muted' }, t('none'))) },
		{ label: t('audit.col.detail'), class: 'audit-detail', cell: (e) => data('code', JSON.stringify(e.detail), { class: 'json' }) },
	], items, { rowAttrs: (e) => ({ 'data-seq': e.seq, 'data-action': e.action,
		class: e.seq === badSeq ? 'row-bad' : null }) });
}

function verifyResult(r, showBad) {
	const facts = h('p', { class: 'muted small' },
		t('audit.verify.rows', { rows: num(r.rows_checked), cps: num(r.checkpoints_checked), unsealed: num(r.unsealed_rows) }),
		h('br'),
		r.last_checkpoint ? [t('audit.verify.last_cp', { seq: r.last_checkpoint.seq }), when(r.last_checkpoint.at, { seconds: true }),
			h('br')] : null,
		t('audit.verify.sig', { v: t(r.signatures_checked ? 'bool.yes' : 'bool.no') }));
	if (r.ok) {
		return h('div', { class: 'verify-result ok', role: 'status', 'data-testid': 'verify-result', 'data-ok': 'true',
			'data-sealed-through': r.sealed_through ?? '' },
		h('p', { class: 'verify-head' }, r.sealed_through !== null && r.sealed_through !== undefined ?
			t('audit.verify.ok', { seq: r.sealed_through }) : t('audit.verify.ok_none')), facts);
	}
	return h('div', { class: 'verify-result bad', role: 'alert', 'data-testid': 'verify-result', 'data-ok': 'false',
		'data-first-bad-seq': r.first_bad_seq },
	h('p', { class: 'verify-head' }, t('audit.verify.bad', { seq: r.first_bad_seq })),
	r.reason ? h('p', t('audit.verify.reason'), ' ', whyText(r.reason), ' ',
		data('span', r.reason, { class: 'mono small muted' })) : null,
	facts,
	showBad && r.first_bad_seq !== null ? h('div', { class: 'toolbar' }, h('button', { type: 'button', class: 'danger',
		'data-action': 'show-bad', on: { click: () => showBad(r.first_bad_seq) } }, t('audit.verify.show', { seq: r.first_bad_seq }))) : null);
}

function chainCard(showBad) {
	const out = h('div', { class: 'verify-box', 'aria-live': 'polite' });
	const btn = h('button', { type: 'button', class: 'primary', 'data-action': 'verify' }, t('audit.verify'));
	btn.addEventListener('click', async () => {
		btn.disabled = true;
		replace(out, h('p', { class: 'muted' }, t('audit.verifying')));
		try {
			const r = await get('/v1/audit/verify');
			replace(out, verifyResult(r, showBad), h('p', { class: 'muted small' }, t('audit.verify.at'), ' ',
				when(new Date().toISOString(), { seconds: true })));
		} catch (e) {
			if (e && e.status === 401)
				return;
			replace(out, h('p', { class: 'error', role: 'alert' }, t('common.error', { msg: e.describe ? e.describe() : String(e) })));
		} finally {
			btn.disabled = false;
		}
	});
	return card(t('audit.chain'), h('p', { class: 'muted small' }, t('audit.chain.about')),
		h('div', { class: 'toolbar' }, btn), out);
}

async function render(main, ctx) {
	const q = query(ctx.params);
	const log = h('section', { class: 'card audit-log', 'data-testid': 'audit-log' });
	replace(main, h('div', { class: 'screen-head' }, h('h1', t('nav.audit'))),
		h('div', { class: 'audit-top' }, card(t('audit.search'), searchForm(ctx, q)), chainCard((seq) => {
			// The log from the first bad row down, the row marked. The audit
			// cursor is the base64url of the seq the page starts below
			// (api/paging.h, api/operators/audit_log.c).
			badSeq = seq;
			cursors = [btoa(String(seq + 1)).replace(/=+$/, '')];
			go(0);
		})), log);

	let cursors = [null];		// cursor of each page shown so far (page 1: the newest)
	let page = 0;
	let next = null;
	let badSeq = null;
	const info = h('p', { class: 'muted small', 'data-testid': 'audit-page' });
	const body = h('div');
	const first = h('button', { type: 'button', 'data-action': 'first', hidden: true }, t('audit.first'));
	const more = h('button', { type: 'button', class: 'primary', 'data-action': 'next', hidden: true }, t('common.next'));
	replace(log, h('h2', t('audit.log')), info, body, h('div', { class: 'actions left' }, first, more));

	async function load(p) {
		const [res, names] = await Promise.all([get('/v1/audit', Object.assign({}, q, { cursor: cursors[p] })),
			operatorNames()]);
		if (!ctx.current())
			return;
		page = p;
		next = res.next_cursor || null;
		if (next)
			cursors[p + 1] = next;
		replace(body, entries(res.items, names, badSeq));
		info.textContent = t('audit.page', { n: num(res.items.length), page: num(page + 1) }) +
			(badSeq !== null ? ' ' + t('audit.page.below', { seq: badSeq + 1 }) : '');
		info.dataset.page = String(page + 1);
		info.dataset.count = String(res.items.length);
		more.hidden = !next;
		first.hidden = page === 0 && !cursors[0];
	}
	const go = (p) => {
		more.disabled = first.disabled = true;
		load(p).then(() => {
			const hd = log.querySelector('h2');
			if (hd) {
				hd.tabIndex = -1;
				hd.focus({ preventScroll: false });
			}
		}).catch((e) => e && e.status !== 401 && toast(t('common.error', { msg: e.describe ? e.describe() : String(e) }), 'error'))
			.finally(() => (more.disabled = first.disabled = false));
	};
	more.addEventListener('click', () => go(page + 1));
	first.addEventListener('click', () => {
		if (page === 0 && cursors[0]) {
			cursors = [null];
			badSeq = null;
		}
		go(0);
	});
	await load(0);
}

// The server's reason (English, ca/auditchain.c) in the operator's language.
function whyText(reason) {
	const known = [[/does not match its seal/, 'seal'], [/checkpoint hash does not match/, 'checkpoint_hash'],
		[/checkpoint signature does not verify/, 'checkpoint_sig'], [/is gone/, 'gone'],
		[/the row before/, 'before'], [/only one of/, 'partial']];
	const k = known.find(([re]) => re.test(reason));
	return k ? t(`audit.why.${k[1]}`) : '';
}

export default { id: 'audit', nav: 'nav.audit', minRole: 'viewer', messages, render };

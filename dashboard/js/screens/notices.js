// 通知 (R21 expiry notices): the batches of one municipality with their
// counts and totals, the notices they list (names and addresses: personal
// data, every read is audited by jpkid), CSV downloads (the whole
// municipality or one batch) and, for officers and admins, "今すぐ作成"
// (POST /v1/notices/run: what the background job does every interval).
import { get, newKey, post, request } from '../api.js';
import { h, replace, card, table, tile, field, toast, download } from '../dom.js';
import { t } from '../i18n.js';
import { when, num, typeName, serial } from '../fmt.js';
import { CODE_RE, codeInput, municipalityCodes } from './munis.js';

const messages = {
	ja: {
		'nav.notices': '通知',
		'no.lead': '有効期限が近い証明書（{months}か月以内、R21）の保有者に送る有効期限通知書を、市区町村ごとのまとまり（バッチ）で作成します。1枚の証明書が2回通知されることはありません。',
		'no.code': '市区町村コード',
		'no.show': '表示',
		'no.bad_code': '市区町村コードは6桁の数字です。',
		'no.batches': '通知バッチ（{code}）',
		'no.total_batches': 'バッチ数',
		'no.total_notices': '通知件数（合計）',
		'no.latest': '最新のバッチ',
		'no.none': 'この市区町村の通知バッチはまだありません。',
		'no.col.id': 'バッチ番号',
		'no.col.created': '作成日時',
		'no.col.before': '対象（この日時までに期限切れ）',
		'no.col.count': '件数',
		'no.csv_batch': 'CSV',
		'no.csv_batch.label': 'バッチ {id} のCSVをダウンロード',
		'no.csv_all': 'すべてのバッチをCSVでダウンロード',
		'no.list': '通知の一覧（{n}件）',
		'no.list.note': '氏名と住所は個人情報です。この画面の表示とダウンロードは監査記録に残ります。',
		'no.col.batch': 'バッチ',
		'no.col.type': '種別',
		'no.col.serial': 'シリアル番号',
		'no.col.not_after': '有効期限',
		'no.col.resident': '住民票コード',
		'no.col.name': '氏名',
		'no.col.address': '住所',
		'no.run': '今すぐ作成',
		'no.run.title': '通知バッチの作成',
		'no.run.busy': '作成中…',
		'no.run.result': '{n}件のバッチを作成しました。',
		'no.run.nothing': '新たに通知の対象となる証明書はありませんでした。',
		'no.run.col.muni': '市区町村コード',
		'no.run.hint': 'バックグラウンドの定期処理と同じ処理を今すぐ実行します。',
		'no.downloaded': 'CSVをダウンロードしました。',
	},
	en: {
		'nav.notices': 'Expiry notices',
		'no.lead': 'Expiry notice letters go to the holders of certificates that expire within {months} months (R21), in batches per municipality. No certificate is ever in two notices.',
		'no.code': 'Municipality code',
		'no.show': 'Show',
		'no.bad_code': 'A municipality code is 6 digits.',
		'no.batches': 'Notice batches ({code})',
		'no.total_batches': 'Batches',
		'no.total_notices': 'Notices in all',
		'no.latest': 'Latest batch',
		'no.none': 'This municipality has no notice batch yet.',
		'no.col.id': 'Batch',
		'no.col.created': 'Created',
		'no.col.before': 'Expiring before',
		'no.col.count': 'Notices',
		'no.csv_batch': 'CSV',
		'no.csv_batch.label': 'Download batch {id} as CSV',
		'no.csv_all': 'Download every batch as CSV',
		'no.list': 'The notices ({n})',
		'no.list.note': 'Names and addresses are personal data: showing and downloading them is audited.',
		'no.col.batch': 'Batch',
		'no.col.type': 'Type',
		'no.col.serial': 'Serial',
		'no.col.not_after': 'Expires',
		'no.col.resident': 'Resident code',
		'no.col.name': 'Name',
		'no.col.address': 'Address',
		'no.run': 'Create now',
		'no.run.title': 'Creating notice batches',
		'no.run.busy': 'Creating…',
		'no.run.result': '{n} batch(es) created.',
		'no.run.nothing': 'No certificate is newly due a notice.',
		'no.run.col.muni': 'Municipality code',
		'no.run.hint': 'Runs now what the background job does every interval.',
		'no.downloaded': 'CSV downloaded.',
	},
};

const LEAD_MONTHS = 3;	// R21 Decision ([notices] lead_months)

function problemText(e) {
	return e && e.describe ? e.describe() : String(e);
}

async function csv(code, batch) {
	try {
		const blob = await request('GET', '/v1/notices', { query: { municipality: code, batch, format: 'csv' },
			accept: 'text/csv', raw: 'blob' });
		download(`notices-${code}${batch ? '-' + batch : ''}.csv`, blob);
		toast(t('no.downloaded'));
	} catch (e) {
		if (e.status !== 401)
			toast(problemText(e), 'error');
	}
}

function batchesCard(r) {
	const code = r.municipality_code;
	const total = r.batches.reduce((n, b) => n + b.count, 0);
	const latest = r.batches.slice().sort((a, b) => b.id - a.id)[0];
	const body = [
		h('div', { class: 'tiles' },
			tile(t('no.total_batches'), h('span', { 'data-raw': r.batches.length }, num(r.batches.length)), { id: 'batches' }),
			tile(t('no.total_notices'), h('span', { 'data-raw': total }, num(total)), { id: 'notices' }),
			tile(t('no.latest'), latest ? when(latest.created_at, { dayOnly: true }) : t('none'),
				{ id: 'latest', sub: latest ? when(latest.created_at, { era: true }) : null })),
		table([
			{ label: t('no.col.id'), class: 'num', cell: (b) => String(b.id) },
			{ label: t('no.col.created'), cell: (b) => when(b.created_at, { era: true }) },
			{ label: t('no.col.before'), cell: (b) => when(b.expiring_before, { era: true }) },
			{ label: t('no.col.count'), class: 'num', cell: (b) => h('span', { 'data-count': b.count }, num(b.count)) },
			{ label: t('common.actions'), cell: (b) => h('button', { type: 'button', class: 'small-btn',
				'data-action': 'csv-batch', 'data-batch': b.id, 'aria-label': t('no.csv_batch.label', { id: b.id }),
				on: { click: () => csv(code, b.id) } }, t('no.csv_batch')) },
		], r.batches.slice().sort((a, b) => b.id - a.id), {
			empty: t('no.none'),
			rowAttrs: (b) => ({ 'data-batch': b.id }),
		}),
		h('div', { class: 'actions left' }, h('button', { type: 'button', 'data-action': 'csv-all',
			disabled: !r.batches.length, on: { click: () => csv(code) } }, t('common.download_csv'))),
	];
	if (r.notices.length)
		body.push(h('details', { class: 'notice-list' },
			h('summary', t('no.list', { n: num(r.notices.length) })),
			h('p', { class: 'muted small' }, t('no.list.note')),
			table([
				{ label: t('no.col.batch'), class: 'num', cell: (n) => String(n.batch_id) },
				{ label: t('no.col.type'), cell: (n) => typeName(n.type) },
				{ label: t('no.col.serial'), cell: (n) => h('span', { class: 'serial', translate: 'no' }, serial(n.serial)) },
				{ label: t('no.col.not_after'), cell: (n) => when(n.not_after, { era: true }) },
				{ label: t('no.col.resident'), cell: (n) => h('span', { class: 'mono', translate: 'no' }, n.resident_code) },
				{ label: t('no.col.name'), cell: (n) => h('span', { translate: 'no' }, n.name) },
				{ label: t('no.col.address'), cell: (n) => h('span', { translate: 'no' }, n.address) },
			], r.notices, { rowAttrs: (n) => ({ 'data-serial': n.serial }) })));
	return h('div', { 'data-testid': 'notice-batches', 'data-code': code, 'data-total': total,
		'data-batches': r.batches.length }, card(t('no.batches', { code }), ...body));
}

function runResult(res) {
	const b = res.batches;
	return card(t('no.run.title'),
		h('p', { class: b.length ? 'notice' : 'muted', role: 'status', 'data-testid': 'run-result',
			'data-batches': b.length }, b.length ? t('no.run.result', { n: num(b.length) }) : t('no.run.nothing')),
		b.length ? table([
			{ label: t('no.run.col.muni'), cell: (x) => h('a', { href: `#/notices?municipality=${x.municipality_code}`,
				translate: 'no' }, x.municipality_code) },
			{ label: t('no.col.id'), class: 'num', cell: (x) => String(x.id) },
			{ label: t('no.col.before'), cell: (x) => when(x.expiring_before, { era: true }) },
			{ label: t('no.col.count'), class: 'num', cell: (x) => h('span', { 'data-count': x.count }, num(x.count)) },
		], b, { rowAttrs: (x) => ({ 'data-run-municipality': x.municipality_code }) }) : null);
}

async function render(main, ctx) {
	const codes = await municipalityCodes();
	const code = ctx.params.get('municipality') || (codes.includes('131016') ? '131016' : codes[0] || '');
	const { input, list } = codeInput('no-code', code, { 'data-testid': 'notices-code' });
	const err = h('p', { class: 'error', role: 'alert', hidden: true });
	const resultBox = h('div', { 'data-testid': 'run-box' });
	const listBox = h('div');
	const show = async (c) => {
		err.hidden = true;
		if (!CODE_RE.test(c)) {
			err.textContent = t('no.bad_code');
			err.hidden = false;
			return;
		}
		try {
			replace(listBox, batchesCard(await get('/v1/notices', { municipality: c })));
		} catch (e) {
			if (e.status === 401)
				throw e;
			replace(listBox);
			err.textContent = problemText(e);
			err.hidden = false;
		}
	};
	let runBtn = null;
	if (ctx.can('officer')) {
		runBtn = h('button', { type: 'button', class: 'primary', 'data-action': 'run-notices', on: { click: async () => {
			runBtn.disabled = true;
			runBtn.textContent = t('no.run.busy');
			try {
				const res = await post('/v1/notices/run', {}, { idempotencyKey: newKey() });
				if (!ctx.current())
					return;
				replace(resultBox, runResult(res));
				await show(input.value.trim());
			} catch (e) {
				if (e.status !== 401)
					toast(problemText(e), 'error');
			} finally {
				runBtn.disabled = false;
				runBtn.textContent = t('no.run');
			}
		} } }, t('no.run'));
	}
	const form = h('form', { class: 'filters', novalidate: true, on: { submit: (e) => {
		e.preventDefault();
		show(input.value.trim()).catch(() => {});
	} } }, field(t('no.code'), input), list, h('button', { type: 'submit', 'data-action': 'show-notices' }, t('no.show')));
	replace(main,
		h('div', { class: 'screen-head' }, h('h1', t('nav.notices')),
			runBtn ? h('div', { class: 'run-box' }, runBtn, h('span', { class: 'hint' }, t('no.run.hint'))) : null),
		h('p', { class: 'muted' }, t('no.lead', { months: LEAD_MONTHS })),
		resultBox,
		card(null, form, err),
		listBox);
	if (code)
		await show(code);
}

export default { id: 'notices', nav: 'nav.notices', minRole: 'viewer', messages, render };

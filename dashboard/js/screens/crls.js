// 失効リスト (CRLs): the latest CRL of every type and municipality (GET
// /v1/crls) with its number, thisUpdate, nextUpdate (late ones in red),
// entries and DER size; filters by type and municipality; "今すぐ発行"
// (POST /v1/crls/publish, officer and up: router.c) for one row or for all
// the filter shows, after a confirmation; the DER download from the
// console's own GET /crl/{type}/{code}.crl (api/status/crl_serve.c).
import { ApiError, get, newKey, post } from '../api.js';
import { h, replace, card, table, field, select, confirmDialog, toast } from '../dom.js';
import { t } from '../i18n.js';
import { when, num, bytes, typeName } from '../fmt.js';

const PUBLISH_ROLE = 'officer';		// api/router.c: POST /v1/crls/publish

const messages = {
	ja: {
		'nav.crls': '失効リスト',
		'crl.intro': '市区町村と証明書の種別ごとに、最新の失効リスト（CRL）を表示します。時刻はすべて日本時間です。',
		'crl.filter.type': '種別',
		'crl.filter.muni': '市区町村コード',
		'crl.col.type': '種別',
		'crl.col.muni': '市区町村コード',
		'crl.col.number': 'CRL番号',
		'crl.col.this': '発行日時',
		'crl.col.next': '次回発行予定',
		'crl.col.entries': '失効件数',
		'crl.col.size': 'サイズ',
		'crl.late': '期限切れ',
		'crl.summary': '{n} 件を表示中（うち期限切れ {late} 件）',
		'crl.download': 'ダウンロード',
		'crl.download.label': '{type}（{muni}）の CRL をダウンロード',
		'crl.publish': '今すぐ発行',
		'crl.publish.label': '{type}（{muni}）の CRL を今すぐ発行',
		'crl.publish.all': '表示中のすべてを今すぐ発行',
		'crl.publish.title': '失効リストを今すぐ発行',
		'crl.publish.one': '{type}・市区町村コード {muni} の失効リストを発行します。',
		'crl.publish.many': '次の条件に当たる失効リストをすべて発行します: {what}',
		'crl.publish.every': 'すべての種別と市区町村',
		'crl.publish.effect': 'CRL番号が1つ増え、新しい失効リストがすぐに配布されます。発行中も前の失効リストは配布され続けます。',
		'crl.publish.confirm': '発行する',
		'crl.published': '{n} 件の失効リストを発行しました。',
		'crl.busy': 'ほかの発行処理が実行中です。数秒後にやり直してください。',
		'crl.none': 'まだ公開された失効リストはありません。',
		'crl.sign_failed': '失効リストを作成・署名できませんでした。何も発行されていません。',
	},
	en: {
		'nav.crls': 'CRLs',
		'crl.intro': 'The latest certificate revocation list (CRL) of every municipality and certificate type. All times are JST.',
		'crl.filter.type': 'Type',
		'crl.filter.muni': 'Municipality code',
		'crl.col.type': 'Type',
		'crl.col.muni': 'Municipality code',
		'crl.col.number': 'CRL number',
		'crl.col.this': 'This update',
		'crl.col.next': 'Next update',
		'crl.col.entries': 'Entries',
		'crl.col.size': 'Size',
		'crl.late': 'Overdue',
		'crl.summary': '{n} shown ({late} overdue)',
		'crl.download': 'Download',
		'crl.download.label': 'Download the CRL of {type} ({muni})',
		'crl.publish': 'Publish now',
		'crl.publish.label': 'Publish the CRL of {type} ({muni}) now',
		'crl.publish.all': 'Publish all shown now',
		'crl.publish.title': 'Publish CRLs now',
		'crl.publish.one': 'Publishes the {type} CRL of municipality {muni}.',
		'crl.publish.many': 'Publishes every CRL matching: {what}',
		'crl.publish.every': 'every type and municipality',
		'crl.publish.effect': 'The CRL number goes up by one and the new CRL is served at once. The previous CRL is served while it is built.',
		'crl.publish.confirm': 'Publish',
		'crl.published': '{n} CRLs published.',
		'crl.busy': 'Another publication is running. Try again in a few seconds.',
		'crl.none': 'No CRL has been published yet.',
		'crl.sign_failed': 'The CRL could not be built or signed. Nothing was published.',
	},
};

// The file the console serves: /crl/<type>/<municipality code>.crl (crl_serve.c).
function crlPath(c) {
	return `/crl/${encodeURIComponent(c.issuer)}/${encodeURIComponent(c.municipality_code)}.crl`;
}

async function render(main, ctx) {
	const state = {
		type: ctx.params.get('type') || '',
		muni: ctx.params.get('municipality') || '',
		highlight: new Set(),
	};
	const body = h('div');
	replace(main, h('div', { class: 'screen-head' }, h('h1', t('nav.crls'))),
		h('p', { class: 'muted' }, t('crl.intro')), body);

	let list = [];
	async function load() {
		list = (await get('/v1/crls')).crls;
	}

	function shown() {
		return list.filter((c) => (!state.type || c.issuer === state.type) &&
			(!state.muni || c.municipality_code === state.muni));
	}

	async function publish(filter) {
		const one = filter.issuer && filter.municipality_code;
		const what = [filter.issuer ? typeName(filter.issuer) : null,
			filter.municipality_code || null].filter(Boolean).join('・') || t('crl.publish.every');
		const ok = await confirmDialog({
			title: t('crl.publish.title'),
			body: [
				h('p', { 'data-testid': 'crl-publish-what' }, one ?
					t('crl.publish.one', { type: typeName(filter.issuer), muni: filter.municipality_code }) :
					t('crl.publish.many', { what })),
				h('p', { class: 'muted' }, t('crl.publish.effect')),
			],
			confirm: t('crl.publish.confirm'),
		});
		if (!ok)
			return;
		try {
			const r = await post('/v1/crls/publish', filter, { idempotencyKey: newKey() });
			state.highlight = new Set(r.published.map((c) => `${c.issuer}-${c.municipality_code}`));
			toast(t('crl.published', { n: num(r.published.length) }), 'ok');
		} catch (e) {
			if (e.status === 401)
				throw e;
			// 409 publication-in-progress (Retry-After 5), 500 signing-failed: crls.c
			toast(e.status === 409 ? t('crl.busy') : e.status === 500 ? t('crl.sign_failed') :
				e instanceof ApiError ? e.describe() : String(e), 'error');
			return;
		}
		await load();
		if (ctx.current())
			draw();
	}

	function filters() {
		const munis = [...new Set(list.map((c) => c.municipality_code))].sort();
		const typeSel = select('type', [['', t('common.all')], ['sign', typeName('sign')], ['auth', typeName('auth')]],
			state.type, { 'data-testid': 'crl-filter-type' });
		const muniSel = select('municipality', [['', t('common.all')], ...munis.map((m) => [m, m])],
			state.muni, { 'data-testid': 'crl-filter-muni' });
		typeSel.addEventListener('change', () => {
			state.type = typeSel.value;
			draw();
		});
		muniSel.addEventListener('change', () => {
			state.muni = muniSel.value;
			draw();
		});
		const tools = [
			field(t('crl.filter.type'), typeSel),
			field(t('crl.filter.muni'), muniSel),
			h('button', { type: 'button', 'data-testid': 'crl-refresh', on: { click: async () => {
				await load();
				draw();
			} } }, t('common.refresh')),
		];
		if (ctx.can(PUBLISH_ROLE))
			tools.push(h('button', { type: 'button', class: 'primary', 'data-testid': 'crl-publish-all',
				on: { click: () => publish(Object.assign({},
					state.type ? { issuer: state.type } : {},
					state.muni ? { municipality_code: state.muni } : {})) } }, t('crl.publish.all')));
		return h('div', { class: 'filters crl-filters' }, tools);
	}

	function draw() {
		const now = Date.now();
		const late = (c) => new Date(c.next_update).getTime() < now;
		const rows = shown();
		const nLate = rows.filter(late).length;
		const cols = [
			{ label: t('crl.col.type'), cell: (c) => typeName(c.issuer) },
			{ label: t('crl.col.muni'), cell: (c) => h('span', { translate: 'no', class: 'mono' }, c.municipality_code) },
			{ label: t('crl.col.number'), class: 'num', cell: (c) =>
				h('span', { 'data-raw': c.number, 'data-testid': 'crl-number' }, num(c.number)) },
			{ label: t('crl.col.this'), cell: (c) => when(c.this_update, { seconds: true }) },
			{ label: t('crl.col.next'), cell: (c) => h('span', late(c) ? { class: 'late' } : null,
				when(c.next_update, { seconds: true }),
				late(c) ? h('span', { class: 'badge bad', 'data-testid': 'crl-late' }, t('crl.late')) : null) },
			{ label: t('crl.col.entries'), class: 'num', cell: (c) => h('span', { 'data-raw': c.entries }, num(c.entries)) },
			{ label: t('crl.col.size'), class: 'num', cell: (c) => h('span', { 'data-raw': c.size_bytes }, bytes(c.size_bytes)) },
			{ label: t('common.actions'), class: 'crl-actions', cell: (c) => {
				const args = { type: typeName(c.issuer), muni: c.municipality_code };
				return h('span', { class: 'row-actions' },
					h('a', { class: 'button', href: crlPath(c), download: `${c.issuer}-${c.municipality_code}.crl`,
						'data-testid': 'crl-download', 'aria-label': t('crl.download.label', args) }, t('crl.download')),
					ctx.can(PUBLISH_ROLE) ? h('button', { type: 'button', 'data-testid': 'crl-publish',
						'aria-label': t('crl.publish.label', args),
						on: { click: () => publish({ issuer: c.issuer, municipality_code: c.municipality_code }) } },
					t('crl.publish')) : null);
			} },
		];
		replace(body,
			card(null, filters()),
			card(null,
				h('p', { class: nLate ? 'error' : 'muted', 'data-testid': 'crl-summary', 'data-count': rows.length,
					'data-late': nLate }, t('crl.summary', { n: num(rows.length), late: num(nLate) })),
				table(cols, rows, {
					empty: list.length ? t('common.empty') : t('crl.none'),
					rowAttrs: (c) => ({
						class: [late(c) ? 'row-late' : null,
							state.highlight.has(`${c.issuer}-${c.municipality_code}`) ? 'row-new' : null],
						'data-crl': `${c.issuer}-${c.municipality_code}`,
					}),
				})));
	}

	await load();
	draw();
}

export default { id: 'crls', nav: 'nav.crls', minRole: 'viewer', messages, render };

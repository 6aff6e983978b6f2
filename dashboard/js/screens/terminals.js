// 端末 (terminals): the three certificate-enrolled principal kinds, one tab
// each: 窓口端末 (/v1/terminals), 住基ネット連携 (/v1/register-feeds) and
// コンビニ端末 (/v1/kiosks). Lists with the enabled state and last_seen_at
// (JST); enrolment from a PEM client certificate (POST, admin); "今すぐ無効化"
// (PATCH enabled=false, admin: the next request of that certificate gets
// 401, api/auth.c reads enabled on every request) and enabling again.
import { get, getAll, newKey, patch, post } from '../api.js';
import { h, replace, card, table, field, confirmDialog, toast, pemLoader } from '../dom.js';
import { t } from '../i18n.js';
import { when } from '../fmt.js';

const ADMIN = 'admin';	// api/router.c: POST and PATCH of all three kinds

// The three kinds: path, which optional columns and fields they have.
const KINDS = [
	{ id: 'terminals', path: '/v1/terminals', label: 'term.tab.terminals', muni: true, window: true },
	{ id: 'feeds', path: '/v1/register-feeds', label: 'term.tab.feeds' },
	{ id: 'kiosks', path: '/v1/kiosks', label: 'term.tab.kiosks', pin: true },
];

const messages = {
	ja: {
		'nav.terminals': '端末',
		'term.intro': 'クライアント証明書で接続する窓口端末・住基ネット連携・コンビニ端末です。無効化すると次の接続から拒否されます。',
		'term.tabs': '端末の種類',
		'term.tab.terminals': '窓口端末',
		'term.tab.feeds': '住基ネット連携',
		'term.tab.kiosks': 'コンビニ端末',
		'term.col.id': '番号',
		'term.col.name': '名称',
		'term.col.muni': '市区町村コード',
		'term.col.window': '窓口コード',
		'term.col.pin': '利用者証明用PINの初期化',
		'term.col.cert': '証明書（SHA-256）',
		'term.col.state': '状態',
		'term.col.created': '登録日時',
		'term.col.seen': '最終接続',
		'term.pin.yes': '対応',
		'term.pin.no': '非対応',
		'term.enabled': '有効',
		'term.disabled': '無効',
		'term.count': '{n} 台（うち無効 {off} 台）',
		'term.disable': '今すぐ無効化',
		'term.enable': '有効化',
		'term.disable.title': '今すぐ無効化',
		'term.disable.body': '「{name}」を無効化します。この証明書での次の接続から拒否されます。',
		'term.enable.title': '有効化',
		'term.enable.body': '「{name}」を再び有効にします。',
		'term.disabled.done': '無効化しました。',
		'term.enabled.done': '有効化しました。',
		'term.enrol': '証明書から登録',
		'term.enrol.title.terminals': '窓口端末の登録',
		'term.enrol.title.feeds': '住基ネット連携の登録',
		'term.enrol.title.kiosks': 'コンビニ端末の登録',
		'term.f.name': '名称',
		'term.f.muni': '市区町村コード（6桁）',
		'term.f.window': '窓口コード（任意、英数字16文字まで）',
		'term.f.window.hint': '署名用電子証明書の主体名の末尾に付きます（R23）。',
		'term.f.pin': '利用者証明用PINの初期化に対応する（R16a）',
		'term.f.cert': 'クライアント証明書（PEM）',
		'term.f.cert.hint': 'クライアントCAが発行した証明書を1つ貼り付けてください。',
		'term.f.file': 'ファイルから読み込む',
		'term.need.name': '名称を入力してください。',
		'term.need.muni': '市区町村コードは6桁の数字です。',
		'term.need.window': '窓口コードは英数字16文字までです。',
		'term.need.cert': '証明書（PEM）を貼り付けてください。',
		'term.enrolled': '「{name}」を登録しました。',
		'term.enrol.failed': '登録できませんでした: {msg}',
		'term.conflict': 'この証明書はすでに登録されています。',
	},
	en: {
		'nav.terminals': 'Terminals',
		'term.intro': 'Counter terminals, register feeds and convenience-store kiosks, known by their client certificates. A disabled one is refused from its next request.',
		'term.tabs': 'Kinds of terminal',
		'term.tab.terminals': 'Counter terminals',
		'term.tab.feeds': 'Register feeds',
		'term.tab.kiosks': 'Kiosks',
		'term.col.id': 'No.',
		'term.col.name': 'Name',
		'term.col.muni': 'Municipality code',
		'term.col.window': 'Window code',
		'term.col.pin': 'User authentication PIN reset',
		'term.col.cert': 'Certificate (SHA-256)',
		'term.col.state': 'State',
		'term.col.created': 'Enrolled',
		'term.col.seen': 'Last seen',
		'term.pin.yes': 'Supported',
		'term.pin.no': 'Not supported',
		'term.enabled': 'Enabled',
		'term.disabled': 'Disabled',
		'term.count': '{n} in all ({off} disabled)',
		'term.disable': 'Disable now',
		'term.enable': 'Enable',
		'term.disable.title': 'Disable now',
		'term.disable.body': 'Disables “{name}”. Its certificate is refused from its next request.',
		'term.enable.title': 'Enable',
		'term.enable.body': 'Enables “{name}” again.',
		'term.disabled.done': 'Disabled.',
		'term.enabled.done': 'Enabled.',
		'term.enrol': 'Enrol from a certificate',
		'term.enrol.title.terminals': 'Enrol a counter terminal',
		'term.enrol.title.feeds': 'Enrol a register feed',
		'term.enrol.title.kiosks': 'Enrol a kiosk',
		'term.f.name': 'Name',
		'term.f.muni': 'Municipality code (6 digits)',
		'term.f.window': 'Window code (optional, up to 16 letters and digits)',
		'term.f.window.hint': 'Appended to the signing certificate\'s subject (R23).',
		'term.f.pin': 'Supports user authentication PIN resets (R16a)',
		'term.f.cert': 'Client certificate (PEM)',
		'term.f.cert.hint': 'Paste one certificate issued by the client CA.',
		'term.f.file': 'Load from a file',
		'term.need.name': 'Enter a name.',
		'term.need.muni': 'The municipality code is 6 digits.',
		'term.need.window': 'The window code is up to 16 letters and digits.',
		'term.need.cert': 'Paste the certificate (PEM).',
		'term.enrolled': '“{name}” enrolled.',
		'term.enrol.failed': 'Could not enrol: {msg}',
		'term.conflict': 'This certificate is already enrolled.',
	},
};

// "「{name}」..." with the name as data (translate="no").
function withName(key, name, tag = 'strong') {
	return t(key, { name: '\u0000' }).split('\u0000')
		.flatMap((p, i) => (i ? [h(tag, { translate: 'no' }, name), p] : [p]));
}

async function render(main, ctx) {
	let kind = KINDS.find((k) => k.id === ctx.params.get('tab')) || KINDS[0];
	const panel = h('div', { role: 'tabpanel', class: 'term-panel' });
	const tabs = h('div', { role: 'tablist', class: 'tabs', 'aria-label': t('term.tabs') });
	replace(main, h('div', { class: 'screen-head' }, h('h1', t('nav.terminals'))),
		h('p', { class: 'muted' }, t('term.intro')), tabs, panel);
	let munis = [];

	function drawTabs() {
		replace(tabs, KINDS.map((k) => h('button', {
			type: 'button', role: 'tab', id: `tab-${k.id}`, 'aria-controls': 'term-panel',
			'aria-selected': String(k === kind), tabindex: k === kind ? '0' : '-1',
			class: ['tab', k === kind ? 'active' : null], 'data-tab': k.id,
			on: {
				click: () => select(k),
				keydown: (e) => {
					const i = KINDS.indexOf(k);
					const j = e.key === 'ArrowRight' ? (i + 1) % KINDS.length :
						e.key === 'ArrowLeft' ? (i + KINDS.length - 1) % KINDS.length : -1;
					if (j >= 0) {
						e.preventDefault();
						select(KINDS[j]).then(() => tabs.querySelector(`[data-tab=${KINDS[j].id}]`).focus());
					}
				},
			},
		}, t(k.label))));
		panel.id = 'term-panel';
		panel.setAttribute('aria-labelledby', `tab-${kind.id}`);
	}

	async function select(k) {
		kind = k;
		history.replaceState(null, '', `#/terminals?tab=${k.id}`);
		drawTabs();
		await drawPanel();
	}

	let seq = 0;
	async function drawPanel() {
		const my = ++seq;
		const k = kind;
		const items = await getAll(k.path);
		if (my !== seq || !ctx.current())
			return;
		const cols = [
			{ label: t('term.col.id'), class: 'num', cell: (r) => String(r.id) },
			{ label: t('term.col.name'), cell: (r) => h('span', { translate: 'no', 'data-testid': 'term-name', id: `${k.id}-name-${r.id}` }, r.name) },
		];
		if (k.muni)
			cols.push({ label: t('term.col.muni'), cell: (r) => h('span', { translate: 'no', class: 'mono' }, r.municipality) });
		if (k.window)
			cols.push({ label: t('term.col.window'), cell: (r) => (r.window_code ?
				h('span', { translate: 'no', class: 'mono' }, r.window_code) : h('span', { class: 'muted' }, t('none'))) });
		if (k.pin)
			cols.push({ label: t('term.col.pin'), cell: (r) => (r.auth_pin_reset ? t('term.pin.yes') : t('term.pin.no')) });
		cols.push(
			{ label: t('term.col.cert'), cell: (r) => h('code', { translate: 'no', title: r.cert_sha256 },
				r.cert_sha256.slice(0, 16) + '…') },
			{ label: t('term.col.state'), cell: (r) => h('span', { class: ['badge', r.enabled ? 'ok' : 'bad'],
				'data-testid': 'term-state', 'data-enabled': String(r.enabled) },
			r.enabled ? t('term.enabled') : t('term.disabled')) },
			{ label: t('term.col.created'), cell: (r) => when(r.created_at) },
			{ label: t('term.col.seen'), cell: (r) => h('span', { 'data-testid': 'term-seen',
				'data-raw': r.last_seen_at || '' }, when(r.last_seen_at)) });
		if (ctx.can(ADMIN))
			cols.push({ label: t('common.actions'), cell: (r) => h('button', {
				type: 'button', class: r.enabled ? 'danger' : null,
				'data-testid': r.enabled ? 'term-disable' : 'term-enable',
				// Its name is data (translate="no"): the label points at the name cell.
				id: `${k.id}-toggle-${r.id}`, 'aria-labelledby': `${k.id}-toggle-${r.id} ${k.id}-name-${r.id}`,
				on: { click: () => toggle(k, r) },
			}, r.enabled ? t('term.disable') : t('term.enable')) });
		const off = items.filter((r) => !r.enabled).length;
		replace(panel,
			h('div', { class: 'toolbar' },
				h('span', { class: 'muted', 'data-testid': 'term-count' }, t('term.count', { n: items.length, off })),
				h('button', { type: 'button', on: { click: () => drawPanel() } }, t('common.refresh')),
				ctx.can(ADMIN) ? h('button', { type: 'button', class: 'primary', 'data-testid': 'term-enrol',
					on: { click: () => enrol(k) } }, t('term.enrol')) : null),
			card(null, table(cols, items, {
				rowAttrs: (r) => ({ 'data-id': r.id, class: r.enabled ? null : 'row-off' }),
			})));
	}

	async function toggle(k, r) {
		const off = r.enabled;
		const ok = await confirmDialog({
			title: off ? t('term.disable.title') : t('term.enable.title'),
			body: [h('p', withName(off ? 'term.disable.body' : 'term.enable.body', r.name))],
			confirm: off ? t('term.disable') : t('term.enable'),
			danger: off,
		});
		if (!ok)
			return;
		try {
			await patch(`${k.path}/${encodeURIComponent(r.id)}`, { enabled: !off });
			toast(off ? t('term.disabled.done') : t('term.enabled.done'), 'ok');
		} catch (e) {
			if (e.status === 401)
				throw e;
			toast(e.describe ? e.describe() : String(e), 'error');
		}
		await drawPanel();
	}

	async function enrol(k) {
		const name = h('input', { name: 'name', maxlength: 128, autocomplete: 'off',
			translate: 'no', 'data-testid': 'term-f-name' });
		const muni = h('input', { name: 'municipality_code', inputmode: 'numeric', maxlength: 6,
			list: 'term-munis', autocomplete: 'off', translate: 'no', 'data-testid': 'term-f-muni' });
		const win = h('input', { name: 'window_code', maxlength: 16, autocomplete: 'off',
			translate: 'no', 'data-testid': 'term-f-window' });
		const pin = h('input', { type: 'checkbox', name: 'auth_pin_reset', 'data-testid': 'term-f-pin' });
		const pem = h('textarea', { name: 'certificate', rows: 8, spellcheck: 'false', translate: 'no',
			placeholder: '-----BEGIN CERTIFICATE-----', 'data-testid': 'term-f-cert' });
		const body = [field(t('term.f.name'), name)];
		if (k.muni)
			body.push(field(t('term.f.muni'), muni),
				h('datalist', { id: 'term-munis' }, munis.map((m) => h('option', { value: m }))));
		if (k.window)
			body.push(field(t('term.f.window'), win, { hint: t('term.f.window.hint') }));
		if (k.pin)
			body.push(h('div', { class: 'field' }, h('label', { class: 'check' }, pin, ' ', t('term.f.pin'))));
		body.push(field(t('term.f.cert'), pem, { hint: t('term.f.cert.hint') }), pemLoader(pem, t('term.f.file'), 'term-f-file'));
		const ok = await confirmDialog({
			title: t(`term.enrol.title.${k.id}`),
			body,
			confirm: t('term.enrol'),
			validate: () => {
				if (!name.value.trim())
					return t('term.need.name');
				if (k.muni && !/^[0-9]{6}$/.test(muni.value.trim()))
					return t('term.need.muni');
				if (k.window && win.value.trim() && !/^[0-9A-Za-z]{1,16}$/.test(win.value.trim()))
					return t('term.need.window');
				if (!/-----BEGIN CERTIFICATE-----/.test(pem.value))
					return t('term.need.cert');
				return null;
			},
		});
		if (!ok)
			return;
		const req = { name: name.value.trim(), certificate: pem.value.trim() + '\n' };
		if (k.muni)
			req.municipality_code = muni.value.trim();
		if (k.window && win.value.trim())
			req.window_code = win.value.trim();
		if (k.pin)
			req.auth_pin_reset = pin.checked;
		try {
			const r = await post(k.path, req, { idempotencyKey: newKey() });
			toast(t('term.enrolled', { name: r.name }), 'ok');
		} catch (e) {
			if (e.status === 401)
				throw e;
			toast(t('term.enrol.failed', { msg: e.status === 409 ? t('term.conflict') :
				e.describe ? e.describe() : String(e) }), 'error');
			return;
		}
		await drawPanel();
	}

	// Municipality codes for the enrolment field's suggestions (the CRL shards: one per municipality).
	try {
		munis = [...new Set((await get('/v1/crls')).crls.map((c) => c.municipality_code))].sort();
	} catch (e) {
		if (e.status === 401)
			throw e;
	}
	drawTabs();
	await drawPanel();
}

export default { id: 'terminals', nav: 'nav.terminals', minRole: 'viewer', messages, render };

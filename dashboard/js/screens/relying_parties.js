// 検証者 (relying parties, R26): the registered verifiers (GET
// /v1/relying-parties, paged), registration from a client certificate PEM
// and/or a bearer token (POST, admin), disabling and enabling (PATCH,
// admin), checks per month (GET /v1/relying-parties/{id}/usage, which
// answers per JST day and type), and a CSV for billing: one line per
// relying party and month with the SIGN and AUTH checks.
//
// The CSV is built here from the usage JSON (UTF-8 with a BOM, so Excel
// opens the Japanese names and headers correctly): the API already has every
// figure, one call per relying party and at most 366 days, and a second
// (text/csv) representation on the server would be one more format to keep
// in step with the JSON for no new information.
import { ApiError, get, getAll, newKey, patch, post } from '../api.js';
import { h, replace, card, table, field, select, confirmDialog, toast, download, pemLoader } from '../dom.js';
import { t } from '../i18n.js';
import { when, num, typeName } from '../fmt.js';

const CREATE_ROLE = 'admin';	// api/router.c: POST /v1/relying-parties
const PATCH_ROLE = 'admin';	// api/router.c: PATCH /v1/relying-parties/{id}
const MAX_MONTHS = 12;		// the usage API answers at most 366 days at once

const messages = {
	ja: {
		'nav.relying_parties': '検証者',
		'rp.intro': '失効情報（OCSP・CRL）の提供を受ける署名検証者・利用者証明検証者です。確認件数は請求の基礎になります。',
		'rp.list': '登録済みの検証者',
		'rp.col.id': '番号',
		'rp.col.name': '名称',
		'rp.col.types': '対象の証明書',
		'rp.col.state': '状態',
		'rp.col.cred': '認証方法',
		'rp.col.created': '登録日時',
		'rp.col.seen': '最終接続',
		'rp.cred.cert': 'クライアント証明書',
		'rp.cred.token': 'トークン',
		'rp.enabled': '有効',
		'rp.disabled': '無効',
		'rp.usage': '利用状況',
		'rp.disable': '無効化',
		'rp.enable': '有効化',
		'rp.disable.title': '検証者を無効化',
		'rp.disable.body': '「{name}」を無効化します。数秒以内に失効情報を受け取れなくなります。',
		'rp.enable.title': '検証者を有効化',
		'rp.enable.body': '「{name}」を再び有効にします。',
		'rp.disabled.done': '無効化しました。',
		'rp.enabled.done': '有効化しました。',
		'rp.register': '検証者を登録',
		'rp.register.title': '検証者の登録',
		'rp.f.name': '名称',
		'rp.f.types': '対象の証明書',
		'rp.f.cert': 'クライアント証明書（PEM）',
		'rp.f.cert.hint': 'クライアントCAが発行した証明書を1つ貼り付けてください。',
		'rp.f.file': 'ファイルから読み込む',
		'rp.f.token': 'ステータス用のトークンを発行する',
		'rp.f.token.hint': 'トークンはこの画面に一度だけ表示されます。',
		'rp.need.name': '名称を入力してください。',
		'rp.need.types': '対象の証明書を1つ以上選んでください。',
		'rp.need.cred': '証明書を貼り付けるか、トークンの発行を選んでください。',
		'rp.registered': '「{name}」を登録しました。',
		'rp.token.title': 'トークン（一度だけ表示）',
		'rp.token.body': 'このトークンは二度と表示されません。検証者に安全な方法で渡してください。',
		'rp.usage.title': '{name} の月別確認件数',
		'rp.usage.none': '検証者の「利用状況」を選ぶと、月別の件数を表示します。',
		'rp.period': '期間',
		'rp.from': '開始月',
		'rp.to': '終了月',
		'rp.period.bad': '期間は開始月から終了月まで、12か月以内で指定してください。',
		'rp.month': '月',
		'rp.month.name': '{y}年{m}月',
		'rp.checks.sign': '署名用 確認件数',
		'rp.checks.auth': '利用者証明用 確認件数',
		'rp.checks.all': '合計',
		'rp.csv': '請求用CSVをダウンロード',
		'rp.csv.hint': '期間内の各月について、検証者ごとに1行（署名用・利用者証明用の確認件数）を出力します。',
		'rp.csv.file': '検証者利用件数',
		'rp.csv.month': '月',
		'rp.csv.id': '検証者番号',
		'rp.csv.name': '検証者名',
		'rp.csv.sign': '署名用確認件数',
		'rp.csv.auth': '利用者証明用確認件数',
		'rp.csv.all': '合計',
		'rp.csv.done': 'CSVを作成しました（{n} 行）。',
	},
	en: {
		'nav.relying_parties': 'Relying parties',
		'rp.intro': 'Signature and user-authentication verifiers that receive revocation data (OCSP, CRLs). Their checks are the basis of billing.',
		'rp.list': 'Registered relying parties',
		'rp.col.id': 'No.',
		'rp.col.name': 'Name',
		'rp.col.types': 'Certificates',
		'rp.col.state': 'State',
		'rp.col.cred': 'Credentials',
		'rp.col.created': 'Registered',
		'rp.col.seen': 'Last seen',
		'rp.cred.cert': 'Client certificate',
		'rp.cred.token': 'Token',
		'rp.enabled': 'Enabled',
		'rp.disabled': 'Disabled',
		'rp.usage': 'Usage',
		'rp.disable': 'Disable',
		'rp.enable': 'Enable',
		'rp.disable.title': 'Disable relying party',
		'rp.disable.body': 'Disables “{name}”. It stops receiving revocation data within a few seconds.',
		'rp.enable.title': 'Enable relying party',
		'rp.enable.body': 'Enables “{name}” again.',
		'rp.disabled.done': 'Disabled.',
		'rp.enabled.done': 'Enabled.',
		'rp.register': 'Register relying party',
		'rp.register.title': 'Register a relying party',
		'rp.f.name': 'Name',
		'rp.f.types': 'Certificates',
		'rp.f.cert': 'Client certificate (PEM)',
		'rp.f.cert.hint': 'Paste one certificate issued by the client CA.',
		'rp.f.file': 'Load from a file',
		'rp.f.token': 'Issue a token for the status listener',
		'rp.f.token.hint': 'The token is shown once, on this screen.',
		'rp.need.name': 'Enter a name.',
		'rp.need.types': 'Choose at least one certificate type.',
		'rp.need.cred': 'Paste a certificate or choose to issue a token.',
		'rp.registered': '“{name}” registered.',
		'rp.token.title': 'Token (shown once)',
		'rp.token.body': 'This token is never shown again. Hand it to the relying party securely.',
		'rp.usage.title': 'Checks per month: {name}',
		'rp.usage.none': 'Choose “Usage” of a relying party to see its checks per month.',
		'rp.period': 'Period',
		'rp.from': 'From month',
		'rp.to': 'To month',
		'rp.period.bad': 'Choose a period from the first month to the last, 12 months at most.',
		'rp.month': 'Month',
		'rp.month.name': '{mon} {y}',
		'rp.checks.sign': 'Signing checks',
		'rp.checks.auth': 'User authentication checks',
		'rp.checks.all': 'Total',
		'rp.csv': 'Download billing CSV',
		'rp.csv.hint': 'One line per relying party and month of the period (signing and user authentication checks).',
		'rp.csv.file': 'relying-party-usage',
		'rp.csv.month': 'Month',
		'rp.csv.id': 'Relying party no.',
		'rp.csv.name': 'Relying party',
		'rp.csv.sign': 'Signing checks',
		'rp.csv.auth': 'User authentication checks',
		'rp.csv.all': 'Total',
		'rp.csv.done': 'CSV ready ({n} lines).',
	},
};

// ---------------------------------------------------------------- months (JST)

function jstMonth(d = new Date()) {
	const p = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit' })
		.formatToParts(d).reduce((o, x) => (o[x.type] = x.value, o), {});
	return `${p.year}-${p.month}`;
}

function jstToday() {
	return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit',
		day: '2-digit' }).format(new Date());
}

function addMonths(ym, n) {
	const [y, m] = ym.split('-').map(Number);
	const k = y * 12 + (m - 1) + n;
	return `${Math.floor(k / 12)}-${String(k % 12 + 1).padStart(2, '0')}`;
}

function monthsBetween(from, to) {
	const out = [];
	for (let m = from; m <= to && out.length <= MAX_MONTHS; m = addMonths(m, 1))
		out.push(m);
	return out;
}

function lastDay(ym) {
	const [y, m] = ym.split('-').map(Number);
	const d = new Date(Date.UTC(y, m, 0)).getUTCDate();
	const day = `${ym}-${String(d).padStart(2, '0')}`;
	const today = jstToday();
	return day > today ? today : day;
}

function monthName(ym) {
	const [y, m] = ym.split('-');
	const mon = new Intl.DateTimeFormat('en-GB', { month: 'short', timeZone: 'UTC' })
		.format(new Date(Date.UTC(Number(y), Number(m) - 1, 15)));
	return t('rp.month.name', { y, m: Number(m), mon });
}

function monthLabel(ym) {
	const [y, m] = ym.split('-');
	return `${y}/${m}`;
}

// Checks of one relying party per month of [from, to]: { 'YYYY-MM': { sign, auth } }.
async function usageByMonth(id, from, to) {
	const end = lastDay(to);
	const start = `${from}-01`;
	const per = {};
	for (const m of monthsBetween(from, to))
		per[m] = { sign: 0, auth: 0 };
	if (start > end)
		return per;
	const u = await get(`/v1/relying-parties/${encodeURIComponent(id)}/usage`, { from: start, to: end });
	for (const d of u.days) {
		const m = d.day.slice(0, 7);
		if (per[m])
			per[m][d.type] += d.checks;
	}
	return per;
}

function csvCell(v) {
	const s = String(v ?? '');
	return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// ---------------------------------------------------------------- screen

async function render(main, ctx) {
	const state = {
		from: addMonths(jstMonth(), -2),
		to: jstMonth(),
		selected: ctx.params.get('id') || null,
	};
	const listBox = h('div');
	const usageBox = h('div', { 'data-testid': 'rp-usage' });
	const head = [h('h1', t('nav.relying_parties'))];
	if (ctx.can(CREATE_ROLE))
		head.push(h('button', { type: 'button', class: 'primary', 'data-testid': 'rp-register',
			on: { click: () => registerDialog() } }, t('rp.register')));
	replace(main, h('div', { class: 'screen-head' }, ...head),
		h('p', { class: 'muted' }, t('rp.intro')), listBox, periodCard(), usageBox);

	let items = [];
	async function load() {
		items = await getAll('/v1/relying-parties');
	}

	function periodOk() {
		return state.from && state.to && state.from <= state.to &&
			monthsBetween(state.from, state.to).length <= MAX_MONTHS;
	}

	function periodCard() {
		// A select of months, not <input type=month>: that one is drawn in the
		// browser's language, not the console's.
		const months = [];
		for (let i = 0; i < 36; i++)
			months.push(addMonths(jstMonth(), -i));
		const mk = (name, label) => {
			const sel = select(name, months.map((m) => [m, monthName(m)]), state[name],
				{ 'data-testid': `rp-${name}` });
			sel.addEventListener('change', () => {
				state[name] = sel.value;
				drawUsage();
			});
			return field(label, sel);
		};
		const csvBtn = h('button', { type: 'button', 'data-testid': 'rp-csv', on: { click: () => csv() } }, t('rp.csv'));
		return card(t('rp.period'),
			h('div', { class: 'filters' }, mk('from', t('rp.from')), mk('to', t('rp.to')), csvBtn),
			h('p', { class: 'hint' }, t('rp.csv.hint')));
	}

	function drawList() {
		const cols = [
			{ label: t('rp.col.id'), class: 'num', cell: (r) => String(r.id) },
			{ label: t('rp.col.name'), cell: (r) => h('span', { translate: 'no', 'data-testid': 'rp-name', id: `rp-name-${r.id}` }, r.name) },
			{ label: t('rp.col.types'), cell: (r) => r.types.map((ty) => h('span', { class: 'badge type' }, typeName(ty))) },
			{ label: t('rp.col.state'), cell: (r) => h('span', { class: ['badge', r.enabled ? 'ok' : 'bad'],
				'data-testid': 'rp-state', 'data-enabled': String(r.enabled) }, r.enabled ? t('rp.enabled') : t('rp.disabled')) },
			{ label: t('rp.col.cred'), cell: (r) => h('span', { class: 'cred' },
				r.certificate_sha256 ? h('span', t('rp.cred.cert'), ' ',
					h('code', { translate: 'no', title: r.certificate_sha256 }, r.certificate_sha256.slice(0, 16) + '…')) : null,
				r.has_token ? h('span', { class: 'badge' }, t('rp.cred.token')) : null) },
			{ label: t('rp.col.created'), cell: (r) => when(r.created_at) },
			{ label: t('rp.col.seen'), cell: (r) => when(r.last_seen_at) },
			{ label: t('common.actions'), cell: (r) => h('span', { class: 'row-actions' },
				h('button', { type: 'button', 'data-testid': 'rp-show-usage', id: `rp-usage-${r.id}`,
					'aria-labelledby': `rp-usage-${r.id} rp-name-${r.id}`,
					'aria-pressed': String(String(r.id) === String(state.selected)),
					on: { click: () => {
						state.selected = String(r.id);
						drawList();
						drawUsage();
					} } }, t('rp.usage')),
				ctx.can(PATCH_ROLE) ? h('button', { type: 'button', class: r.enabled ? 'danger' : null,
					'data-testid': r.enabled ? 'rp-disable' : 'rp-enable', id: `rp-toggle-${r.id}`,
					'aria-labelledby': `rp-toggle-${r.id} rp-name-${r.id}`,
					on: { click: () => toggle(r) } }, r.enabled ? t('rp.disable') : t('rp.enable')) : null) },
		];
		replace(listBox, card(t('rp.list'), table(cols, items, {
			rowAttrs: (r) => ({ 'data-rp': r.id, class: [r.enabled ? null : 'row-off',
				String(r.id) === String(state.selected) ? 'row-selected' : null] }),
		})));
	}

	let usageSeq = 0;
	async function drawUsage() {
		const seq = ++usageSeq;
		const rp = items.find((r) => String(r.id) === String(state.selected));
		usageBox.dataset.state = 'loading';	// 'ready' once drawn (tests wait for it)
		if (!rp) {
			replace(usageBox, card(t('rp.usage'), h('p', { class: 'muted' }, t('rp.usage.none'))));
			return;
		}
		if (!periodOk()) {
			replace(usageBox, card(t('rp.usage'), h('p', { class: 'error' }, t('rp.period.bad'))));
			return;
		}
		let per;
		try {
			per = await usageByMonth(rp.id, state.from, state.to);
		} catch (e) {
			if (e.status === 401)
				throw e;
			replace(usageBox, card(t('rp.usage'), h('p', { class: 'error' }, t('common.error', { msg: e.describe ? e.describe() : String(e) }))));
			return;
		}
		if (seq !== usageSeq || !ctx.current())
			return;
		const months = Object.keys(per).sort();
		replace(usageBox, card(h('span', t('rp.usage.title', { name: '\u0000' }).split('\u0000')
			.flatMap((p, i) => (i ? [h('span', { translate: 'no' }, rp.name), p] : [p]))),
		table([
			{ label: t('rp.month'), cell: (m) => monthLabel(m) },
			{ label: t('rp.checks.sign'), class: 'num', cell: (m) => h('span', { 'data-raw': per[m].sign }, num(per[m].sign)) },
			{ label: t('rp.checks.auth'), class: 'num', cell: (m) => h('span', { 'data-raw': per[m].auth }, num(per[m].auth)) },
			{ label: t('rp.checks.all'), class: 'num', cell: (m) => num(per[m].sign + per[m].auth) },
		], months, { rowAttrs: (m) => ({ 'data-month': m }) })));
		usageBox.dataset.state = 'ready';
		usageBox.dataset.rp = String(rp.id);
	}

	async function csv() {
		if (!periodOk()) {
			toast(t('rp.period.bad'), 'error');
			return;
		}
		const lines = [[t('rp.csv.month'), t('rp.csv.id'), t('rp.csv.name'), t('rp.csv.sign'), t('rp.csv.auth'),
			t('rp.csv.all')]];
		try {
			const all = await getAll('/v1/relying-parties');
			for (const r of all) {
				const per = await usageByMonth(r.id, state.from, state.to);
				for (const m of Object.keys(per).sort())
					lines.push([m, r.id, r.name, per[m].sign, per[m].auth, per[m].sign + per[m].auth]);
			}
		} catch (e) {
			if (e.status === 401)
				throw e;
			toast(e instanceof ApiError ? e.describe() : String(e), 'error');
			return;
		}
		const text = '\uFEFF' + lines.map((l) => l.map(csvCell).join(',')).join('\r\n') + '\r\n';
		download(`${t('rp.csv.file')}-${state.from}_${state.to}.csv`, new Blob([text], { type: 'text/csv;charset=utf-8' }));
		toast(t('rp.csv.done', { n: num(lines.length - 1) }), 'ok');
	}

	async function toggle(r) {
		const off = r.enabled;
		const ok = await confirmDialog({
			title: off ? t('rp.disable.title') : t('rp.enable.title'),
			body: [h('p', (off ? t('rp.disable.body', { name: '\u0000' }) : t('rp.enable.body', { name: '\u0000' }))
				.split('\u0000').flatMap((p, i) => (i ? [h('strong', { translate: 'no' }, r.name), p] : [p])))],
			confirm: off ? t('rp.disable') : t('rp.enable'),
			danger: off,
		});
		if (!ok)
			return;
		try {
			await patch(`/v1/relying-parties/${encodeURIComponent(r.id)}`, { enabled: !off });
			toast(off ? t('rp.disabled.done') : t('rp.enabled.done'), 'ok');
		} catch (e) {
			if (e.status === 401)
				throw e;
			toast(e.describe ? e.describe() : String(e), 'error');
		}
		await refresh();
	}

	async function registerDialog() {
		const name = h('input', { name: 'name', maxlength: 128, autocomplete: 'off',
			translate: 'no', 'data-testid': 'rp-f-name' });
		const ty = (v) => h('label', { class: 'check' },
			h('input', { type: 'checkbox', name: 'types', value: v, checked: true, 'data-testid': `rp-f-type-${v}` }),
			' ', typeName(v));
		const pem = h('textarea', { name: 'certificate', rows: 8, spellcheck: 'false', translate: 'no',
			placeholder: '-----BEGIN CERTIFICATE-----', 'data-testid': 'rp-f-cert' });
		const token = h('input', { type: 'checkbox', name: 'token', 'data-testid': 'rp-f-token' });
		const typesBox = h('fieldset', { class: 'checks-field' }, h('legend', t('rp.f.types')), ty('sign'), ty('auth'));
		const ok = await confirmDialog({
			title: t('rp.register.title'),
			body: [
				field(t('rp.f.name'), name),
				typesBox,
				field(t('rp.f.cert'), pem, { hint: t('rp.f.cert.hint') }),
				pemLoader(pem, t('rp.f.file'), 'rp-f-file'),
				h('div', { class: 'field' }, h('label', { class: 'check' }, token, ' ', t('rp.f.token')),
					h('div', { class: 'hint' }, t('rp.f.token.hint'))),
			],
			confirm: t('rp.register'),
			validate: () => {
				if (!name.value.trim())
					return t('rp.need.name');
				if (!typesBox.querySelectorAll('input:checked').length)
					return t('rp.need.types');
				if (!pem.value.trim() && !token.checked)
					return t('rp.need.cred');
				return null;
			},
		});
		if (!ok)
			return;
		const body = {
			name: name.value.trim(),
			types: [...typesBox.querySelectorAll('input:checked')].map((i) => i.value),
		};
		if (pem.value.trim())
			body.certificate = pem.value.trim() + '\n';
		if (token.checked)
			body.token = true;
		let r;
		try {
			r = await post('/v1/relying-parties', body, { idempotencyKey: newKey() });
		} catch (e) {
			if (e.status === 401)
				throw e;
			toast(e.describe ? e.describe() : String(e), 'error');
			return;
		}
		toast(t('rp.registered', { name: r.name }), 'ok');
		state.selected = String(r.id);
		await refresh();
		if (r.token)
			await confirmDialog({
				title: t('rp.token.title'),
				body: [h('p', t('rp.token.body')), h('p', h('code', { translate: 'no', class: 'token',
					'data-testid': 'rp-token' }, r.token))],
				confirm: t('common.ok'),
				cancel: t('common.close'),
			});
	}

	async function refresh() {
		await load();
		if (!ctx.current())
			return;
		drawList();
		await drawUsage();
	}

	await refresh();
}

export default { id: 'relying-parties', nav: 'nav.relying_parties', minRole: 'viewer', messages, render };

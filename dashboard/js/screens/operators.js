// 運用者 (operators, admins only): the accounts (paged), adding one with
// an initial password and its TOTP second factor, changing a role,
// disabling and enabling, and replacing the second factor. A TOTP secret
// is shown once (the API never returns it again); a password is never
// shown, kept or logged here: the field is cleared once sent.
import { get, newKey, patch, post } from '../api.js';
import { h, replace, card, table, field, select, confirmDialog, toast } from '../dom.js';
import { t } from '../i18n.js';
import { when, roleName } from '../fmt.js';

const ROLES = ['viewer', 'officer', 'admin'];
const USERNAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const PAGE = 50;

const messages = {
	ja: {
		'nav.operators': '運用者',
		'op.lead': '運用コンソールと運用 API を使う職員のアカウントです。役割は 閲覧者 < 担当者 < 管理者 の順に権限が広がります。',
		'op.list': '運用者の一覧',
		'op.add': '運用者を追加',
		'op.filter.role': '役割',
		'op.filter.enabled': '状態',
		'op.filter.apply': '絞り込む',
		'op.col.id': '番号',
		'op.col.username': 'ユーザー名',
		'op.col.display': '表示名',
		'op.col.role': '役割',
		'op.col.state': '状態',
		'op.col.factor': '二要素認証',
		'op.col.last_login': '最終ログイン',
		'op.enabled': '有効',
		'op.disabled': '無効',
		'op.locked': 'ロック中（{until} まで）',
		'op.factor.yes': '登録済み',
		'op.factor.no': '未登録',
		'op.cert': 'クライアント証明書',
		'op.you': '（あなた）',
		'op.change_role': '役割を変更',
		'op.disable': '無効にする',
		'op.enable': '有効にする',
		'op.reset': '二要素認証を再設定',
		'op.role.title': '役割を変更',
		'op.role.new': '新しい役割',
		'op.role.submit': '変更する',
		'op.role.done': '役割を変更しました。',
		'op.disable.title': 'この運用者を無効にしますか？',
		'op.disable.body': '無効にすると、この運用者はログインできなくなり、ログイン中のセッションもすぐに終了します。',
		'op.disable.done': '運用者を無効にしました。',
		'op.enable.done': '運用者を有効にしました。',
		'op.reset.title': 'この運用者の二要素認証を再設定しますか？',
		'op.reset.body': '新しい秘密鍵を発行します。これまでの認証アプリのコードはすぐに使えなくなり、この運用者のセッションも終了します。',
		'op.reset.submit': '再設定する',
		'op.form.title': '運用者を追加',
		'op.form.username': 'ユーザー名',
		'op.form.username.hint': '半角英小文字・数字・「.」「_」「-」で64文字まで（先頭は英小文字か数字）。',
		'op.form.display': '表示名',
		'op.form.display.hint': '画面に表示される名前（任意、128文字まで）。',
		'op.form.role': '役割',
		'op.form.password': '初期パスワード',
		'op.form.password.hint': '12文字以上で、よく使われるものは使えません。本人に安全な方法で伝えてください。この画面には二度と表示されません。',
		'op.form.password2': '初期パスワード（確認）',
		'op.form.submit': '追加する',
		'op.err.username': 'ユーザー名の形式が正しくありません。',
		'op.err.password': 'パスワードは12文字以上にしてください。',
		'op.err.mismatch': '確認用のパスワードが一致しません。',
		'op.err.display': '表示名は128文字までです。',
		'op.created': '運用者を追加しました。',
		'op.created.no_factor': '運用者は追加されましたが、二要素認証の設定に失敗しました: {msg}',
		'op.secret.title': '二要素認証の秘密鍵',
		'op.secret.once': 'この秘密鍵は今回一度だけ表示されます。画面を閉じると二度と表示できません。本人の認証アプリに登録してもらってから閉じてください。',
		'op.secret.uri': '認証アプリ登録用のリンク',
		'op.secret.key': '秘密鍵（手入力用）',
		'op.secret.close': '登録したので閉じる',
		'op.more': 'さらに表示',
	},
	en: {
		'nav.operators': 'Operators',
		'op.lead': 'The accounts of the staff who use the console and the operator API. Roles widen in the order viewer < officer < administrator.',
		'op.list': 'Operators',
		'op.add': 'Add an operator',
		'op.filter.role': 'Role',
		'op.filter.enabled': 'State',
		'op.filter.apply': 'Filter',
		'op.col.id': 'No.',
		'op.col.username': 'Username',
		'op.col.display': 'Display name',
		'op.col.role': 'Role',
		'op.col.state': 'State',
		'op.col.factor': 'Second factor',
		'op.col.last_login': 'Last login',
		'op.enabled': 'Enabled',
		'op.disabled': 'Disabled',
		'op.locked': 'Locked (until {until})',
		'op.factor.yes': 'Enrolled',
		'op.factor.no': 'None',
		'op.cert': 'Client certificate',
		'op.you': '(you)',
		'op.change_role': 'Change role',
		'op.disable': 'Disable',
		'op.enable': 'Enable',
		'op.reset': 'Reset second factor',
		'op.role.title': 'Change the role',
		'op.role.new': 'New role',
		'op.role.submit': 'Change',
		'op.role.done': 'Role changed.',
		'op.disable.title': 'Disable this operator?',
		'op.disable.body': 'A disabled operator cannot log in, and their open sessions end at once.',
		'op.disable.done': 'Operator disabled.',
		'op.enable.done': 'Operator enabled.',
		'op.reset.title': 'Reset the second factor of this operator?',
		'op.reset.body': 'A new secret is issued. Codes of the old authenticator stop working at once, and the operator\'s sessions end.',
		'op.reset.submit': 'Reset',
		'op.form.title': 'Add an operator',
		'op.form.username': 'Username',
		'op.form.username.hint': 'Up to 64 of a-z, 0-9, ".", "_", "-", starting with a letter or digit.',
		'op.form.display': 'Display name',
		'op.form.display.hint': 'The name the screens show (optional, up to 128 characters).',
		'op.form.role': 'Role',
		'op.form.password': 'Initial password',
		'op.form.password.hint': 'At least 12 characters, not a common one. Hand it over safely; it is never shown again.',
		'op.form.password2': 'Initial password (again)',
		'op.form.submit': 'Add',
		'op.err.username': 'The username is not valid.',
		'op.err.password': 'The password needs at least 12 characters.',
		'op.err.mismatch': 'The two passwords differ.',
		'op.err.display': 'The display name is at most 128 characters.',
		'op.created': 'Operator added.',
		'op.created.no_factor': 'The operator was added, but the second factor could not be set: {msg}',
		'op.secret.title': 'Second factor secret',
		'op.secret.once': 'This secret is shown this one time only. Once closed it cannot be shown again: have the operator add it to their authenticator app first.',
		'op.secret.uri': 'URI for the authenticator app (otpauth)',
		'op.secret.key': 'Secret (to type in)',
		'op.secret.close': 'Added: close',
		'op.more': 'Show more',
	},
};

function problemText(e) {
	return e && e.describe ? e.describe() : String(e);
}

function who(o) {
	return o.display_name ? `${o.display_name} (${o.username})` : o.username;
}

// Whom a dialog is about: data, not a label.
function subject(text) {
	return h('p', { class: 'dialog-subject', translate: 'no', 'data-testid': 'dialog-subject' }, text);
}

// The secret of a new second factor, once. Nothing keeps it after the dialog closes.
async function showSecret(user, totp) {
	await confirmDialog({
		title: t('op.secret.title'),
		confirm: t('op.secret.close'),
		cancel: t('common.close'),
		body: [
			subject(user),
			h('p', { class: 'notice secret-warning', role: 'alert' }, t('op.secret.once')),
			h('div', { class: 'secret-box', 'data-testid': 'totp-once' },
				h('div', { class: 'secret-label' }, t('op.secret.uri')),
				h('code', { class: 'secret', translate: 'no', 'data-testid': 'totp-uri' }, totp.otpauth_uri),
				h('div', { class: 'secret-label' }, t('op.secret.key')),
				h('code', { class: 'secret big', translate: 'no', 'data-testid': 'totp-secret' }, totp.secret)),
		],
	});
}

async function addDialog() {
	const username = h('input', { name: 'username', required: true, maxlength: '64', autocomplete: 'off',
		autocapitalize: 'off', spellcheck: 'false', translate: 'no' });
	const display = h('input', { name: 'display_name', maxlength: '128', autocomplete: 'off', translate: 'no' });
	const role = select('role', ROLES.map((r) => [r, roleName(r)]), 'viewer');
	const pw = h('input', { name: 'password', type: 'password', required: true, autocomplete: 'new-password', minlength: '12' });
	const pw2 = h('input', { name: 'password2', type: 'password', required: true, autocomplete: 'new-password' });
	const ok = await confirmDialog({
		title: t('op.form.title'),
		confirm: t('op.form.submit'),
		body: [
			field(t('op.form.username'), username, { hint: t('op.form.username.hint') }),
			field(t('op.form.display'), display, { hint: t('op.form.display.hint') }),
			field(t('op.form.role'), role),
			field(t('op.form.password'), pw, { hint: t('op.form.password.hint') }),
			field(t('op.form.password2'), pw2),
		],
		validate: () => {
			if (!USERNAME_RE.test(username.value.trim()))
				return t('op.err.username');
			if ([...display.value.trim()].length > 128)
				return t('op.err.display');
			if ([...pw.value].length < 12)
				return t('op.err.password');
			if (pw.value !== pw2.value)
				return t('op.err.mismatch');
			return null;
		},
	});
	const body = ok ? { username: username.value.trim(), role: role.value, password: pw.value } : null;
	if (body && display.value.trim())
		body.display_name = display.value.trim();
	pw.value = '';
	pw2.value = '';
	return body;
}

function stateCell(o) {
	const now = Date.now();
	const locked = o.locked_until && new Date(o.locked_until).getTime() > now;
	return h('span', { class: 'op-state' },
		h('span', { class: ['badge', o.enabled ? 'ok' : 'bad'], 'data-enabled': String(o.enabled) },
			o.enabled ? t('op.enabled') : t('op.disabled')),
		locked ? h('span', { class: 'badge warn', 'data-locked': 'true' },
			t('op.locked', { until: '\u0000' }).split('\u0000').map((p, i) => i ? [when(o.locked_until), p] : p)) : null);
}

async function render(main, ctx) {
	const me = ctx.session.operator;
	const roleF = ctx.params.get('role') || '';
	const enabledF = ctx.params.get('enabled') || '';
	const items = [];
	let cursor = null;
	const listBox = h('div', { 'data-testid': 'operator-list' });
	const moreBox = h('div', { class: 'actions left' });

	const refresh = async () => {
		items.length = 0;
		cursor = null;
		await loadMore();
	};
	async function loadMore() {
		const page = await get('/v1/operators', { limit: PAGE, cursor, role: roleF, enabled: enabledF });
		items.push(...page.items);
		cursor = page.next_cursor;
		draw();
	}
	async function act(fn, done) {
		try {
			await fn();
			if (done)
				toast(done);
			await refresh();
		} catch (e) {
			if (e.status !== 401)
				toast(problemText(e), 'error');
		}
	}
	async function changeRole(o) {
		const sel = select('role', ROLES.map((r) => [r, roleName(r)]), o.role, { 'data-testid': 'new-role' });
		const ok = await confirmDialog({
			title: t('op.role.title'),
			confirm: t('op.role.submit'),
			body: [subject(who(o)), field(t('op.role.new'), sel)],
		});
		if (ok && sel.value !== o.role)
			await act(() => patch(`/v1/operators/${o.id}`, { role: sel.value }), t('op.role.done'));
	}
	async function setEnabled(o, enabled) {
		if (!enabled) {
			const ok = await confirmDialog({
				title: t('op.disable.title'),
				danger: true, confirm: t('op.disable'), body: [subject(who(o)), h('p', t('op.disable.body'))],
			});
			if (!ok)
				return;
		}
		await act(() => patch(`/v1/operators/${o.id}`, { enabled }), enabled ? t('op.enable.done') : t('op.disable.done'));
	}
	async function resetFactor(o) {
		const ok = await confirmDialog({
			title: t('op.reset.title'),
			danger: true, confirm: t('op.reset.submit'), body: [subject(who(o)), h('p', t('op.reset.body'))],
		});
		if (!ok)
			return;
		try {
			const r = await post(`/v1/operators/${o.id}/totp`, undefined);
			await showSecret(o.username, r);
			await refresh();
		} catch (e) {
			if (e.status !== 401)
				toast(problemText(e), 'error');
		}
	}
	async function add() {
		const body = await addDialog();
		if (!body)
			return;
		let op;
		try {
			op = await post('/v1/operators', body, { idempotencyKey: newKey() });
		} catch (e) {
			if (e.status !== 401)
				toast(problemText(e), 'error');
			return;
		} finally {
			body.password = '';
		}
		toast(t('op.created'));
		try {
			const r = await post(`/v1/operators/${op.id}/totp`, undefined);
			await showSecret(op.username, r);
		} catch (e) {
			if (e.status !== 401)
				toast(t('op.created.no_factor', { msg: problemText(e) }), 'error');
		}
		await refresh();
	}

	function draw() {
		const cols = [
			{ label: t('op.col.id'), class: 'num', cell: (o) => String(o.id) },
			{ label: t('op.col.username'), cell: (o) => h('span', null, h('span', { class: 'mono', translate: 'no' }, o.username),
				o.id === me.id ? h('span', { class: 'muted small' }, ' ', t('op.you')) : null) },
			{ label: t('op.col.display'), cell: (o) => o.display_name ? h('span', { translate: 'no' }, o.display_name) :
				h('span', { class: 'muted' }, t('none')) },
			{ label: t('op.col.role'), cell: (o) => h('span', { class: ['badge', 'role-' + o.role], 'data-role': o.role },
				roleName(o.role)) },
			{ label: t('op.col.state'), cell: stateCell },
			{ label: t('op.col.factor'), cell: (o) => h('span', null,
				o.second_factor ? t('op.factor.yes') : h('span', { class: 'muted' }, t('op.factor.no')),
				o.has_certificate ? h('span', { class: 'badge muted-badge' }, t('op.cert')) : null) },
			{ label: t('op.col.last_login'), cell: (o) => when(o.last_login_at) },
			{ label: t('common.actions'), cell: (o) => h('div', { class: 'row-actions' },
				h('button', { type: 'button', class: 'small-btn', 'data-action': 'role', on: { click: () => changeRole(o) } },
					t('op.change_role')),
				o.enabled ? h('button', { type: 'button', class: 'small-btn danger-outline', 'data-action': 'disable',
					on: { click: () => setEnabled(o, false) } }, t('op.disable')) :
					h('button', { type: 'button', class: 'small-btn', 'data-action': 'enable',
						on: { click: () => setEnabled(o, true) } }, t('op.enable')),
				o.has_password ? h('button', { type: 'button', class: 'small-btn', 'data-action': 'reset-totp',
					on: { click: () => resetFactor(o) } }, t('op.reset')) : null) },
		];
		replace(listBox, table(cols, items, { rowAttrs: (o) => ({ 'data-operator': o.username, 'data-id': o.id }) }));
		replace(moreBox, cursor ? h('button', { type: 'button', 'data-action': 'more',
			on: { click: () => loadMore().catch((e) => toast(problemText(e), 'error')) } }, t('op.more')) : null);
	}

	const roleSel = select('role', [['', t('common.all')], ...ROLES.map((r) => [r, roleName(r)])], roleF);
	const enSel = select('enabled', [['', t('common.all')], ['true', t('op.enabled')], ['false', t('op.disabled')]], enabledF);
	const filters = h('form', { class: 'filters', on: { submit: (e) => {
		e.preventDefault();
		const q = new URLSearchParams();
		if (roleSel.value)
			q.set('role', roleSel.value);
		if (enSel.value)
			q.set('enabled', enSel.value);
		ctx.navigate('#/operators' + (q.toString() ? '?' + q : ''));
	} } }, field(t('op.filter.role'), roleSel), field(t('op.filter.enabled'), enSel),
	h('button', { type: 'submit' }, t('op.filter.apply')));

	replace(main,
		h('div', { class: 'screen-head' }, h('h1', t('nav.operators')),
			h('button', { type: 'button', class: 'primary', 'data-action': 'add-operator', on: { click: add } }, t('op.add'))),
		h('p', { class: 'muted' }, t('op.lead')),
		card(t('op.list'), filters, listBox, moreBox));
	await refresh();
}

export default { id: 'operators', nav: 'nav.operators', minRole: 'admin', messages, render };

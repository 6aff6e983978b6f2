// login: username, password and the one-time code (TOTP) → POST /v1/session.
// Wrong credentials, lockout (423) and throttling (429) each get their own
// message; the server never says which of the three was wrong.
import { post } from '../api.js';
import { h, replace, field } from '../dom.js';
import { lang, setLang, t } from '../i18n.js';

const messages = {
	ja: {
		'login.title': 'ログイン',
		'login.lead': '公的個人認証サービスの認証局を運用する方のための画面です。',
		'login.username': 'ユーザー名',
		'login.password': 'パスワード',
		'login.totp': 'ワンタイムコード（6桁）',
		'login.totp.hint': '認証アプリに表示される6桁の数字',
		'login.submit': 'ログイン',
		'login.busy': '確認しています…',
		'login.failed': 'ユーザー名、パスワードまたはワンタイムコードが正しくありません。',
		'login.locked': 'このアカウントはロックされています。管理者に解除を依頼するか、しばらくしてからやり直してください。',
		'login.locked.until': 'このアカウントはロックされています。{s}秒後にやり直せます。',
		'login.throttled': '試行が多すぎます。{s}秒待ってからやり直してください。',
		'login.invalid': 'ユーザー名とパスワードを入力してください。',
		'login.error': 'ログインできませんでした: {msg}',
	},
	en: {
		'login.title': 'Log in',
		'login.lead': 'For the operators of the JPKI certificate authority.',
		'login.username': 'Username',
		'login.password': 'Password',
		'login.totp': 'One-time code (6 digits)',
		'login.totp.hint': 'The 6 digits your authenticator app shows',
		'login.submit': 'Log in',
		'login.busy': 'Checking…',
		'login.failed': 'The username, password or one-time code is not correct.',
		'login.locked': 'This account is locked. Ask an administrator to unlock it, or try again later.',
		'login.locked.until': 'This account is locked. You can try again in {s} seconds.',
		'login.throttled': 'Too many attempts. Wait {s} seconds and try again.',
		'login.invalid': 'Enter your username and password.',
		'login.error': 'Could not log in: {msg}',
	},
};

function render(root, { notice, done }) {
	const user = h('input', { name: 'username', autocomplete: 'username', required: true,
		autocapitalize: 'off', spellcheck: 'false' });
	const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
	const code = h('input', { name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code',
		pattern: '[0-9]{6}', maxlength: '6' });
	const msg = h('p', { class: 'error', role: 'alert', 'data-testid': 'login-error', hidden: true });
	const btn = h('button', { type: 'submit', class: 'primary' }, t('login.submit'));
	const show = (text) => {
		msg.textContent = text;
		msg.hidden = false;
	};
	const form = h('form', { class: 'login-form', novalidate: true, on: { submit: async (e) => {
		e.preventDefault();
		msg.hidden = true;
		if (!user.value || !pass.value)
			return show(t('login.invalid'));
		btn.disabled = true;
		btn.textContent = t('login.busy');
		try {
			const body = { username: user.value, password: pass.value };
			if (code.value)
				body.totp = code.value.trim();
			const s = await post('/v1/session', body);
			pass.value = '';
			done(s);
		} catch (err) {
			pass.value = '';
			code.value = '';
			const retry = err.retryAfter;
			if (err.status === 401)
				show(t('login.failed'));
			else if (err.status === 423)
				show(retry ? t('login.locked.until', { s: retry }) : t('login.locked'));
			else if (err.status === 429)
				show(t('login.throttled', { s: retry ?? 1 }));
			else
				show(t('login.error', { msg: err.describe ? err.describe() : String(err) }));
			btn.disabled = false;
			btn.textContent = t('login.submit');
			(err.status === 401 ? pass : user).focus();
		}
	} } },
	field(t('login.username'), user),
	field(t('login.password'), pass),
	field(t('login.totp'), code, { hint: t('login.totp.hint') }),
	msg, h('div', { class: 'actions' }, btn));
	replace(root, h('div', { class: 'login' },
		h('div', { class: 'login-box' },
			h('div', { class: 'login-lang' }, h('button', { type: 'button', class: 'lang',
				'data-testid': 'lang-switch', lang: lang() === 'ja' ? 'en' : 'ja',
				on: { click: () => setLang(lang() === 'ja' ? 'en' : 'ja') } },
				t('app.lang.switch'))),
			h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), t('app.brand')),
			h('h1', t('login.title')),
			notice ? h('p', { class: 'notice', role: 'status', 'data-testid': 'login-notice' }, notice) : null,
			h('p', { class: 'muted' }, t('login.lead')),
			form)));
	user.focus();
}

export default { id: 'login', messages, render };

// app: the console's shell. Checks the session, shows the login screen or
// the screen of the location hash (#/certificates?serial=...), the
// navigation (only the screens the operator's role may open), the language
// switch and logout. Screens live in screens/*.js (see screens/index.js for
// their interface); they are re-rendered on a language switch.
import { can, currentSession, del, get, onSessionExpired, setSession } from './api.js';
import { h, replace, focusMain, toast } from './dom.js';
import { lang, onChange, register, setLang, t } from './i18n.js';
import { roleName } from './fmt.js';
import { screens } from './screens/index.js';
import login from './screens/login.js';

register({
	ja: {
		'app.title': 'jpkid 運用コンソール',
		'app.brand': '公的個人認証 運用コンソール',
		'app.nav': '画面',
		'app.logout': 'ログアウト',
		'app.lang.switch': 'English',
		'app.lang.label': '表示言語',
		'app.expired': 'セッションの有効期限が切れました。もう一度ログインしてください。',
		'app.logged_out': 'ログアウトしました。',
		'app.not_found': 'この画面はありません。',
		'app.forbidden': 'この画面を開く権限がありません（{role}以上）。',
		'app.skip': '本文へ移動',
		'common.empty': '該当するものはありません。',
		'common.ok': 'OK',
		'common.cancel': 'キャンセル',
		'common.close': '閉じる',
		'common.loading': '読み込み中…',
		'common.refresh': '再読み込み',
		'common.search': '検索',
		'common.clear': 'クリア',
		'common.next': '次へ',
		'common.more': 'さらに表示',
		'common.download_csv': 'CSVをダウンロード',
		'common.save': '保存',
		'common.saved': '保存しました。',
		'common.all': 'すべて',
		'common.actions': '操作',
		'common.updated': '{time} 更新',
		'common.error': '読み込めませんでした: {msg}',
		'problem.generic': 'エラーが発生しました（HTTP {status}）。',
		'problem.network': 'サーバーに接続できません。',
		'problem.status.400': '入力が正しくありません。',
		'problem.status.403': 'この操作を行う権限がありません。',
		'problem.status.404': '見つかりません。',
		'problem.status.409': '現在の状態ではこの操作はできません。',
		'problem.status.422': '規則により受け付けられません。',
		'problem.status.503': 'サーバーが一時的に利用できません。しばらくしてからやり直してください。',
		'problem.forbidden': 'この操作を行う権限がありません。',
		'problem.csrf': '要求を確認できませんでした（CSRF）。画面を再読み込みしてください。',
		'problem.invalid-field': '入力が正しくありません。',
		'problem.not-found': '見つかりません。',
	},
	en: {
		'app.title': 'jpkid operator console',
		'app.brand': 'JPKI operator console',
		'app.nav': 'Screens',
		'app.logout': 'Log out',
		'app.lang.switch': '日本語',
		'app.lang.label': 'Language',
		'app.expired': 'Your session has expired. Please log in again.',
		'app.logged_out': 'You have logged out.',
		'app.not_found': 'There is no such screen.',
		'app.forbidden': 'You may not open this screen (needs {role} or above).',
		'app.skip': 'Skip to content',
		'common.empty': 'Nothing to show.',
		'common.ok': 'OK',
		'common.cancel': 'Cancel',
		'common.close': 'Close',
		'common.loading': 'Loading…',
		'common.refresh': 'Reload',
		'common.search': 'Search',
		'common.clear': 'Clear',
		'common.next': 'Next',
		'common.more': 'Show more',
		'common.download_csv': 'Download CSV',
		'common.save': 'Save',
		'common.saved': 'Saved.',
		'common.all': 'All',
		'common.actions': 'Actions',
		'common.updated': 'Updated {time}',
		'common.error': 'Could not load: {msg}',
		'problem.generic': 'Something went wrong (HTTP {status}).',
		'problem.network': 'Cannot reach the server.',
		'problem.status.400': 'The input is not valid.',
		'problem.status.403': 'You may not do this.',
		'problem.status.404': 'Not found.',
		'problem.status.409': 'Not possible in the current state.',
		'problem.status.422': 'Refused by the rules.',
		'problem.status.503': 'The server is unavailable for now. Try again shortly.',
		'problem.forbidden': 'You may not do this.',
		'problem.csrf': 'The request could not be verified (CSRF). Reload the page.',
		'problem.invalid-field': 'The input is not valid.',
		'problem.not-found': 'Not found.',
	},
});
for (const s of screens)
	register(s.messages || {});
register(login.messages);

const app = document.getElementById('app');
let timers = [];
let disposers = [];
let renderSeq = 0;
let pendingNext = null;		// where to go after login
let loginNotice = null;

function stopTimers() {
	for (const id of timers)
		clearInterval(id);
	timers = [];
	for (const fn of disposers)
		try {
			fn();
		} catch (e) {
			// a screen's cleanup failing must not block navigation
		}
	disposers = [];
}

// "#/certificates/abc?serial=1" → { id: 'certificates', rest: ['abc'], params }
function parseHash() {
	const raw = location.hash.replace(/^#\/?/, '');
	const [path, qs] = raw.split('?');
	const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
	return { id: segs[0] || 'overview', rest: segs.slice(1), params: new URLSearchParams(qs || '') };
}

export function navigate(hash) {
	if (location.hash === hash)
		render();
	else
		location.hash = hash;
}

function header(s) {
	const op = s.operator;
	return h('header', { class: 'top' },
		h('a', { class: 'skip', href: '#main', on: { click: (e) => {
			e.preventDefault();
			focusMain(document.getElementById('main'));
		} } }, t('app.skip')),
		h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), t('app.brand')),
		h('div', { class: 'who' },
			h('span', { class: 'who-name', 'data-testid': 'operator-name', translate: 'no' }, op.display_name || op.username),
			h('span', { class: ['badge', 'role-' + op.role], 'data-testid': 'operator-role' }, roleName(op.role)),
			h('button', { type: 'button', class: 'lang', 'data-testid': 'lang-switch',
				'aria-label': t('app.lang.label'), lang: lang() === 'ja' ? 'en' : 'ja',
				on: { click: () => setLang(lang() === 'ja' ? 'en' : 'ja') } }, t('app.lang.switch')),
			h('button', { type: 'button', class: 'logout', 'data-testid': 'logout', on: { click: logout } },
				t('app.logout'))));
}

function nav(current) {
	return h('nav', { class: 'side', 'aria-label': t('app.nav') },
		h('ul', screens.filter((s) => can(s.minRole || 'viewer')).map((s) =>
			h('li', h('a', { href: '#/' + s.id, 'data-nav': s.id,
				'aria-current': s.id === current ? 'page' : null,
				class: s.id === current ? 'active' : null }, t(s.nav))))));
}

async function logout() {
	stopTimers();
	renderSeq++;		// whatever the screen still awaits is dropped
	// request() takes the CSRF token before its first await, so the session
	// can go at once: a late 401 of a request still in flight then finds no
	// session to expire (api.js) and the operator sees "logged out".
	const gone = del('/v1/session');
	setSession(null);
	try {
		await gone;
	} catch (e) {
		// already gone: the same result
	}
	loginNotice = t('app.logged_out');
	pendingNext = null;
	history.replaceState(null, '', '#/login');
	render();
}

function showLogin() {
	stopTimers();
	document.title = t('app.title');
	const notice = loginNotice;
	loginNotice = null;
	login.render(app, {
		notice,
		done: (s) => {
			setSession(s);
			const next = pendingNext && pendingNext !== '#/login' ? pendingNext : '#/overview';
			pendingNext = null;
			history.replaceState(null, '', next);
			render();
		},
	});
}

async function render() {
	const seq = ++renderSeq;
	stopTimers();
	const route = parseHash();
	if (!currentSession() || route.id === 'login') {
		if (currentSession() && route.id === 'login') {
			history.replaceState(null, '', '#/overview');
			return render();
		}
		return showLogin();
	}
	const screen = screens.find((s) => s.id === route.id);
	const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
	replace(app, header(currentSession()), h('div', { class: 'body' }, nav(route.id), main));
	if (!screen) {
		document.title = t('app.title');
		main.appendChild(h('h1', t('app.not_found')));
		return;
	}
	document.title = `${t(screen.nav)} — ${t('app.title')}`;
	if (!can(screen.minRole || 'viewer')) {
		main.appendChild(h('h1', t(screen.nav)));
		main.appendChild(h('p', { class: 'error' }, t('app.forbidden', { role: roleName(screen.minRole) })));
		return;
	}
	const ctx = {
		params: route.params,
		rest: route.rest,
		navigate,
		can,
		session: currentSession(),
		// every(ms, fn): run fn every ms while this screen is shown
		every(ms, fn) {
			timers.push(setInterval(() => {
				if (seq === renderSeq && !document.hidden)
					fn();
			}, ms));
		},
		onLeave(fn) {
			disposers.push(fn);
		},
		current: () => seq === renderSeq,
	};
	try {
		await screen.render(main, ctx);
	} catch (e) {
		if (e && e.status === 401)
			return;		// onSessionExpired took over
		main.appendChild(h('p', { class: 'error', role: 'alert' },
			t('common.error', { msg: e && e.describe ? e.describe() : String(e) })));
	}
	if (seq === renderSeq && !ctx.keepFocus)
		focusMain(main);
}

onSessionExpired(() => {
	if (parseHash().id !== 'login')
		pendingNext = location.hash || '#/overview';
	loginNotice = t('app.expired');
	stopTimers();
	history.replaceState(null, '', '#/login');
	showLogin();
});

window.addEventListener('hashchange', () => {
	if (parseHash().id === 'login' && !currentSession())
		return showLogin();
	render();
});
onChange(() => render());

// Keyboard: "/" focuses the screen's search field (if it has one).
document.addEventListener('keydown', (e) => {
	if (e.key === '/' && !['INPUT', 'TEXTAREA', 'SELECT'].includes(document.activeElement?.tagName)) {
		const f = document.querySelector('main [data-search]');
		if (f) {
			e.preventDefault();
			f.focus();
		}
	}
});

async function boot() {
	try {
		setSession(await get('/v1/session'));
	} catch (e) {
		setSession(null);
		if (parseHash().id !== 'login')
			pendingNext = location.hash || null;
		if (e.status !== 401)
			toast(e.describe ? e.describe() : String(e), 'error');
	}
	render();
}

boot();

// i18n: Japanese first, English by a switch remembered in localStorage.
//
// Every visible string goes through t(key). Screens register their own
// messages ({ ja: {...}, en: {...} }) so no screen edits another's table.
// A key missing in the current language is recorded in window.__i18nMissing
// (the browser tests fail on any) and shown as the key itself.

const STORE_KEY = 'jpkid.lang';
const dicts = { ja: {}, en: {} };
const listeners = new Set();
let current = 'ja';

try {
	const saved = window.localStorage.getItem(STORE_KEY);
	if (saved === 'ja' || saved === 'en')
		current = saved;
} catch (e) {
	// storage refused (private mode): Japanese, not remembered
}
window.__i18nMissing = window.__i18nMissing || [];

export function register(messages) {
	for (const l of ['ja', 'en'])
		Object.assign(dicts[l], messages[l] || {});
}

export function lang() {
	return current;
}

// The locale for Intl (dates, numbers).
export function locale() {
	return current === 'ja' ? 'ja-JP' : 'en-GB';
}

export function setLang(l) {
	if (l !== 'ja' && l !== 'en' || l === current)
		return;
	current = l;
	try {
		window.localStorage.setItem(STORE_KEY, l);
	} catch (e) {
		// not remembered; still switched
	}
	document.documentElement.lang = l;
	for (const fn of listeners)
		fn(l);
}

export function onChange(fn) {
	listeners.add(fn);
	return () => listeners.delete(fn);
}

// t('key', { n: 3 }) replaces {n}; a missing key is recorded and returned as is.
export function t(key, vars) {
	let s = dicts[current][key];
	if (s === undefined) {
		if (!window.__i18nMissing.includes(current + ':' + key))
			window.__i18nMissing.push(current + ':' + key);
		s = key;
	}
	if (vars)
		s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
	return s;
}

// Does the key exist in the current language?
export function has(key) {
	return dicts[current][key] !== undefined;
}

document.documentElement.lang = current;

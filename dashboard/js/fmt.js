// fmt: dates in JST (with the Japanese era where a clerk reads one),
// numbers with separators, and the words of the rules (certificate types,
// revocation reasons, statuses) in the current language.
import { h } from './dom.js';
import { lang, locale, register, t } from './i18n.js';

register({
	ja: {
		'type.sign': '署名用',
		'type.auth': '利用者証明用',
		'type.sign.long': '署名用電子証明書',
		'type.auth.long': '利用者証明用電子証明書',
		'reason.unspecified': '理由未指定（本人の申請）',
		'reason.keyCompromise': '鍵の危殆化（紛失・盗難）',
		'reason.cACompromise': '認証局の危殆化',
		'reason.affiliationChanged': '記載事項の変更（転出・氏名変更・死亡）',
		'reason.superseded': '更新による置換',
		'reason.cessationOfOperation': '利用の停止（返納・廃止）',
		'status.valid': '有効',
		'status.revoked': '失効',
		'status.expired': '期限切れ',
		'status.superseded': '置換済み',
		'role.viewer': '閲覧者',
		'role.officer': '担当者',
		'role.admin': '管理者',
		'bool.yes': 'はい',
		'bool.no': 'いいえ',
		'none': '—',
		'jst': '日本時間',
	},
	en: {
		'type.sign': 'Signing',
		'type.auth': 'User authentication',
		'type.sign.long': 'Signing certificate',
		'type.auth.long': 'User authentication certificate',
		'reason.unspecified': 'Unspecified (holder\'s request)',
		'reason.keyCompromise': 'Key compromise (lost or stolen)',
		'reason.cACompromise': 'CA compromise',
		'reason.affiliationChanged': 'Contents changed (move, name change, death)',
		'reason.superseded': 'Superseded (renewed)',
		'reason.cessationOfOperation': 'Cessation (card returned or cancelled)',
		'status.valid': 'Valid',
		'status.revoked': 'Revoked',
		'status.expired': 'Expired',
		'status.superseded': 'Superseded',
		'role.viewer': 'Viewer',
		'role.officer': 'Officer',
		'role.admin': 'Administrator',
		'bool.yes': 'Yes',
		'bool.no': 'No',
		'none': '—',
		'jst': 'JST',
	},
});

// The revocation reasons jpkid uses (R26), in the order a picker shows them.
export const REASONS = ['unspecified', 'keyCompromise', 'affiliationChanged', 'superseded',
	'cessationOfOperation', 'cACompromise'];

const TZ = 'Asia/Tokyo';

function parts(d, opts, loc) {
	return new Intl.DateTimeFormat(loc || 'en-CA', Object.assign({ timeZone: TZ }, opts))
		.formatToParts(d).reduce((o, p) => (o[p.type] = p.value, o), {});
}

function toDate(v) {
	if (v === null || v === undefined || v === '')
		return null;
	// A bare date (YYYY-MM-DD) is a JST calendar day.
	const d = /^\d{4}-\d{2}-\d{2}$/.test(v) ? new Date(v + 'T00:00:00+09:00') : new Date(v);
	return isNaN(d.getTime()) ? null : d;
}

// "2026-12-02" (the JST calendar day).
export function isoDay(v) {
	const d = toDate(v);
	if (!d)
		return '';
	const p = parts(d, { year: 'numeric', month: '2-digit', day: '2-digit' });
	return `${p.year}-${p.month}-${p.day}`;
}

// "令和8年12月2日" (always Japanese: it is what the clerk reads).
export function era(v) {
	const d = toDate(v);
	if (!d)
		return '';
	return new Intl.DateTimeFormat('ja-JP-u-ca-japanese', { timeZone: TZ, era: 'long',
		year: 'numeric', month: 'long', day: 'numeric' }).format(d);
}

// A JST calendar day as text: "2026/12/02" or "2 Dec 2026".
export function dayText(v) {
	const d = toDate(v);
	if (!d)
		return t('none');
	if (lang() === 'ja') {
		const p = parts(d, { year: 'numeric', month: '2-digit', day: '2-digit' });
		return `${p.year}/${p.month}/${p.day}`;
	}
	return new Intl.DateTimeFormat('en-GB', { timeZone: TZ, year: 'numeric',
		month: 'short', day: 'numeric' }).format(d);
}

// A JST instant as text: "2026/12/02 18:30:05".
export function timeText(v, seconds) {
	const d = toDate(v);
	if (!d)
		return t('none');
	const p = parts(d, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit',
		minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
	const hm = `${p.hour}:${p.minute}${seconds ? ':' + p.second : ''}`;
	if (lang() === 'ja')
		return `${p.year}/${p.month}/${p.day} ${hm}`;
	return `${dayText(v)} ${hm}`;
}

// <time> of a JST instant, with the era beside it in Japanese mode when era is set.
export function when(v, { era: withEra = false, seconds = false, dayOnly = false } = {}) {
	const d = toDate(v);
	if (!d)
		return h('span', { class: 'muted' }, t('none'));
	const el = h('time', { datetime: d.toISOString(), title: timeText(v, true) + ' ' + t('jst') },
		dayOnly ? dayText(v) : timeText(v, seconds));
	if (withEra && lang() === 'ja')
		return h('span', { class: 'when' }, el, h('span', { class: 'era' }, era(v)));
	return el;
}

export function num(n, opts) {
	if (n === null || n === undefined || n === '')
		return t('none');
	return new Intl.NumberFormat(locale(), opts).format(n);
}

export function pct(r) {
	if (r === null || r === undefined)
		return t('none');
	return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(r);
}

export function bytes(n) {
	if (n === null || n === undefined)
		return t('none');
	const units = lang() === 'ja' ? ['バイト', 'KB', 'MB', 'GB'] : ['B', 'KB', 'MB', 'GB'];
	let i = 0;
	let v = n;
	while (v >= 1024 && i < units.length - 1) {
		v /= 1024;
		i++;
	}
	return `${num(v, { maximumFractionDigits: i ? 1 : 0 })} ${units[i]}`;
}

export function typeName(type, long) {
	return t(`type.${type}${long ? '.long' : ''}`);
}

export function reasonName(r) {
	return r ? t(`reason.${r}`) : t('none');
}

export function roleName(r) {
	return t(`role.${r}`);
}

export function statusName(s) {
	return t(`status.${s}`);
}

// Serial numbers as the API and openssl print them (hex), for copy and paste.
export function serial(s) {
	return s ? String(s) : t('none');
}

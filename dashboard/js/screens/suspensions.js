// 一時停止 (R19): scheduled service suspensions (list, schedule, cancel),
// the counter hours of a municipality and the national holidays its
// counter closes on. Officers and admins (router min_role officer) see the
// controls that change anything; viewers read.
import { del, get, newKey, post, put } from '../api.js';
import { h, replace, card, table, field, select, confirmDialog, toast } from '../dom.js';
import { t, lang } from '../i18n.js';
import { when, era, dayText } from '../fmt.js';
import { CODE_RE, codeInput, municipalityCodes } from './munis.js';

// R19 Decision (openapi.yaml SuspensionRequest, ca/policy.h POLICY_R19_*).
const MAX_LEN_DAYS = 14;
const MAX_AHEAD_DAYS = 366;
const REASON_MAX = 500;
const DAY_MS = 86400000;

const messages = {
	ja: {
		'nav.suspensions': '一時停止',
		'su.lead': '一時停止の間、窓口端末の操作は受け付けられません（HTTP 503）。OCSP と CRL は停止中も提供されます。',
		'su.list': '一時停止の予定と履歴',
		'su.show_all': '終了・取消済みも表示する',
		'su.new': '一時停止を予定する',
		'su.col.id': '番号',
		'su.col.state': '状態',
		'su.col.starts': '開始（日本時間）',
		'su.col.ends': '終了（日本時間）',
		'su.col.reason': '理由',
		'su.col.by': '登録者',
		'su.col.cancelled': '取消日時',
		'su.state.scheduled': '予定',
		'su.state.active': '停止中',
		'su.state.over': '終了',
		'su.state.cancelled': '取消済み',
		'su.cancel': '取り消す',
		'su.cancel.title': 'この一時停止を取り消しますか？',
		'su.cancel.body': '取り消すと、窓口の操作はすぐに再開されます。',
		'su.cancel.range': '{from} から {to} まで',
		'su.cancelled': '一時停止を取り消しました。',
		'su.none': '予定されている一時停止はありません。',
		'su.none_all': '一時停止の記録はありません。',
		'su.form.title': '一時停止を予定する',
		'su.form.starts': '開始日時（日本時間）',
		'su.form.ends': '終了日時（日本時間）',
		'su.form.reason': '理由（窓口に表示されます）',
		'su.form.reason.hint': '1～500文字。例: 定期保守',
		'su.form.rule': '規則 R19: 終了は開始より後で、現在より後の日時にしてください。1回の停止は最長{days}日間、開始は{ahead}日先までです。開始が現在より前のときは、登録した時点で停止が始まります。',
		'su.form.submit': '予定する',
		'su.form.day.ph': '例 2026-12-04',
		'su.form.day.aria': '{label}の日付（年-月-日）',
		'su.form.time.aria': '{label}の時刻（24時間制）',
		'su.form.duration': '期間: {d}',
		'su.form.starts_now': '開始が現在より前のため、登録するとすぐに停止が始まります。',
		'su.err.missing': '開始日時、終了日時（例 2026-12-04 と 01:00）、理由をすべて入力してください。',
		'su.err.order': '終了日時は開始日時より後にしてください（R19）。',
		'su.err.past': '終了日時は現在より後にしてください（R19）。',
		'su.err.long': '1回の一時停止は最長{days}日間です。長い停止は分けて予定してください（R19）。',
		'su.err.ahead': '開始日時は{ahead}日先までにしてください（R19）。',
		'su.err.reason': '理由は1～500文字で、制御文字を含めないでください。',
		'su.created': '一時停止を予定しました（番号 {id}）。',
		'su.dur.dh': '{d}日{h}時間{m}分',
		'su.dur.hm': '{h}時間{m}分',
		'ho.title': '窓口の受付時間',
		'ho.lead': '受付時間の制限は、市区町村ごとに「適用する」にしたときだけ窓口端末に適用されます（R19）。',
		'ho.code': '市区町村コード',
		'ho.show': '表示',
		'ho.bad_code': '市区町村コードは6桁の数字です。',
		'ho.enforced': '受付時間を適用する',
		'ho.state.on': '適用中',
		'ho.state.off': '適用していません',
		'ho.opens': '開始時刻',
		'ho.time.hint': '日本時間、24時間制（例 08:30）。',
		'ho.closes': '終了時刻',
		'ho.week': '曜日ごとの受付',
		'ho.day': '曜日',
		'ho.hours': '受付時間',
		'ho.closed': '休業',
		'ho.no_hours': '時刻の設定なし',
		'ho.year_end': '年末年始（12月29日～1月3日）は休業',
		'ho.dates': '市区町村独自の休業日',
		'ho.dates.hint': '1行に1日（例: 2026-12-01）。最大64日。',
		'ho.dates.none': '独自の休業日はありません。',
		'ho.edit': '受付時間を変更する',
		'ho.saved': '受付時間を保存しました。',
		'ho.err.time': '時刻は24時間制で「08:30」のように入力してください。',
		'ho.err.pair': '開始時刻と終了時刻は両方入力するか、両方空にしてください。',
		'ho.err.order': '終了時刻は開始時刻より後にしてください。',
		'ho.err.enforced': '適用するには開始時刻と終了時刻が必要です。',
		'ho.err.dates': '休業日は「2026-12-01」の形で、1行に1日ずつ入力してください。',
		'hd.title': '祝日（受付時間を適用する市区町村は休業）',
		'hd.year': '年',
		'hd.day': '日付',
		'hd.name': '名称',
		'hd.none': 'この年の祝日は登録されていません。',
		'hd.add': '祝日を追加',
		'hd.add.submit': '追加・名称変更',
		'hd.remove': '削除',
		'hd.remove.title': 'この祝日を削除しますか？',
		'hd.saved': '祝日を登録しました。',
		'hd.removed': '祝日を削除しました。',
		'hd.err': '日付と名称（1～64文字）を入力してください。',
		'wd.1': '月曜日', 'wd.2': '火曜日', 'wd.3': '水曜日', 'wd.4': '木曜日', 'wd.5': '金曜日', 'wd.6': '土曜日', 'wd.7': '日曜日',
	},
	en: {
		'nav.suspensions': 'Suspensions',
		'su.lead': 'During a suspension the counter terminals are refused (HTTP 503). OCSP and CRLs keep being served.',
		'su.list': 'Scheduled and past suspensions',
		'su.show_all': 'Also show finished and cancelled ones',
		'su.new': 'Schedule a suspension',
		'su.col.id': 'No.',
		'su.col.state': 'State',
		'su.col.starts': 'Starts (JST)',
		'su.col.ends': 'Ends (JST)',
		'su.col.reason': 'Reason',
		'su.col.by': 'Scheduled by',
		'su.col.cancelled': 'Cancelled',
		'su.state.scheduled': 'Scheduled',
		'su.state.active': 'Suspended now',
		'su.state.over': 'Over',
		'su.state.cancelled': 'Cancelled',
		'su.cancel': 'Cancel it',
		'su.cancel.title': 'Cancel this suspension?',
		'su.cancel.body': 'Counter operations resume at once.',
		'su.cancel.range': 'From {from} to {to}',
		'su.cancelled': 'The suspension is cancelled.',
		'su.none': 'No suspension is scheduled.',
		'su.none_all': 'No suspension on record.',
		'su.form.title': 'Schedule a suspension',
		'su.form.starts': 'Starts (JST)',
		'su.form.ends': 'Ends (JST)',
		'su.form.reason': 'Reason (shown to the counters)',
		'su.form.reason.hint': '1 to 500 characters, e.g. scheduled maintenance',
		'su.form.rule': 'Rule R19: the end must be after the start and in the future. One suspension lasts at most {days} days and starts at most {ahead} days ahead. A start before now suspends at once.',
		'su.form.submit': 'Schedule',
		'su.form.day.ph': 'e.g. 2026-12-04',
		'su.form.day.aria': '{label}: date (year-month-day)',
		'su.form.time.aria': '{label}: time (24-hour)',
		'su.form.duration': 'Duration: {d}',
		'su.form.starts_now': 'The start is before now: the suspension begins as soon as it is saved.',
		'su.err.missing': 'Enter the start, the end (e.g. 2026-12-04 and 01:00) and a reason.',
		'su.err.order': 'The end must be after the start (R19).',
		'su.err.past': 'The end must be in the future (R19).',
		'su.err.long': 'One suspension lasts at most {days} days; schedule longer ones in parts (R19).',
		'su.err.ahead': 'The start must be at most {ahead} days ahead (R19).',
		'su.err.reason': 'The reason is 1 to 500 characters without control characters.',
		'su.created': 'Suspension scheduled (no. {id}).',
		'su.dur.dh': '{d} d {h} h {m} min',
		'su.dur.hm': '{h} h {m} min',
		'ho.title': 'Counter hours',
		'ho.lead': 'Counter hours apply to the terminals only where a municipality turns them on (R19).',
		'ho.code': 'Municipality code',
		'ho.show': 'Show',
		'ho.bad_code': 'A municipality code is 6 digits.',
		'ho.enforced': 'Enforce the counter hours',
		'ho.state.on': 'Enforced',
		'ho.state.off': 'Not enforced',
		'ho.opens': 'Opens',
		'ho.time.hint': 'JST, 24-hour (e.g. 08:30).',
		'ho.closes': 'Closes',
		'ho.week': 'Hours by weekday',
		'ho.day': 'Weekday',
		'ho.hours': 'Hours',
		'ho.closed': 'Closed',
		'ho.no_hours': 'No hours set',
		'ho.year_end': 'Closed at the year end (29 December to 3 January)',
		'ho.dates': 'Closed days of the municipality',
		'ho.dates.hint': 'One day per line (YYYY-MM-DD), at most 64.',
		'ho.dates.none': 'No closed days of its own.',
		'ho.edit': 'Change the counter hours',
		'ho.saved': 'Counter hours saved.',
		'ho.err.time': 'Times are 24-hour, like 08:30.',
		'ho.err.pair': 'Give both the opening and the closing time, or neither.',
		'ho.err.order': 'The closing time must be after the opening time.',
		'ho.err.enforced': 'Enforced hours need an opening and a closing time.',
		'ho.err.dates': 'Closed days are YYYY-MM-DD, one per line.',
		'hd.title': 'National holidays (closed where hours are enforced)',
		'hd.year': 'Year',
		'hd.day': 'Day',
		'hd.name': 'Name',
		'hd.none': 'No holiday on record for this year.',
		'hd.add': 'Add a holiday',
		'hd.add.submit': 'Add or rename',
		'hd.remove': 'Remove',
		'hd.remove.title': 'Remove this holiday?',
		'hd.saved': 'Holiday saved.',
		'hd.removed': 'Holiday removed.',
		'hd.err': 'Enter a day and a name (1 to 64 characters).',
		'wd.1': 'Monday', 'wd.2': 'Tuesday', 'wd.3': 'Wednesday', 'wd.4': 'Thursday', 'wd.5': 'Friday',
		'wd.6': 'Saturday', 'wd.7': 'Sunday',
	},
};

// "2026-12-02T01:00" (a datetime-local value, JST) → "2026-12-02T01:00:00+09:00".
export function jstIso(local) {
	if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(local || ''))
		return null;
	return (local.length === 16 ? local + ':00' : local) + '+09:00';
}

// A Date → its JST wall time as a datetime-local value.
function jstLocal(d) {
	return new Date(d.getTime() + 9 * 3600000).toISOString().slice(0, 16);
}

function duration(ms) {
	const m = Math.round(ms / 60000);
	const d = Math.floor(m / 1440);
	const hr = Math.floor(m % 1440 / 60);
	const mi = m % 60;
	return d ? t('su.dur.dh', { d, h: hr, m: mi }) : t('su.dur.hm', { h: hr, m: mi });
}

// The R19 Decision as the API checks it: null, or the message of the first breach.
function checkWindow(startsIso, endsIso, reason, now = Date.now()) {
	if (!startsIso || !endsIso || !reason.trim())
		return t('su.err.missing');
	const s = new Date(startsIso).getTime();
	const e = new Date(endsIso).getTime();
	if (e <= s)
		return t('su.err.order');
	if (e <= now)
		return t('su.err.past');
	if (e - s > MAX_LEN_DAYS * DAY_MS)
		return t('su.err.long', { days: MAX_LEN_DAYS });
	if (s - now > MAX_AHEAD_DAYS * DAY_MS)
		return t('su.err.ahead', { ahead: MAX_AHEAD_DAYS });
	// eslint-disable-next-line no-control-regex
	if ([...reason].length > REASON_MAX || /[\u0000-\u001f\u007f]/.test(reason))
		return t('su.err.reason');
	return null;
}

function stateBadge(s) {
	const tone = { scheduled: 'warn', active: 'bad', over: 'muted-badge', cancelled: 'muted-badge' }[s.state];
	return h('span', { class: ['badge', tone, 'susp-' + s.state], 'data-state': s.state }, t('su.state.' + s.state));
}

function range(from, to) {
	return t('su.cancel.range', { from: '\u0000', to: '\u0001' }).split(/(\u0000|\u0001)/).map((p) =>
		p === '\u0000' ? when(from, { era: true }) : p === '\u0001' ? when(to, { era: true }) : p);
}

function problemText(e) {
	return e && e.describe ? e.describe() : String(e);
}

// ------------------------------------------------------------------ suspensions

// A JST date and a 24-hour time as two text inputs (the browser's own
// date-time pickers follow its locale, not JST nor the console's language).
function dateTime(name, label) {
	const day = h('input', { type: 'text', name: name + '_day', inputmode: 'numeric', maxlength: '10',
		pattern: '\\d{4}-\\d{2}-\\d{2}', placeholder: t('su.form.day.ph'), autocomplete: 'off', class: 'day-input',
		'aria-label': t('su.form.day.aria', { label }) });
	const time = h('input', { type: 'text', name: name + '_time', inputmode: 'numeric', maxlength: '5',
		pattern: '\\d{2}:\\d{2}', placeholder: '01:00', autocomplete: 'off', class: 'time-input',
		'aria-label': t('su.form.time.aria', { label }) });
	const fid = 'f-' + name;
	day.id = fid;
	return {
		day, time,
		node: h('div', { class: 'field' }, h('label', { for: fid }, label),
			h('div', { class: 'dt-pair' }, day, time)),
		iso: () => jstIso(`${day.value.trim()}T${time.value.trim()}`),
		set(d) {
			const v = jstLocal(d);
			day.value = v.slice(0, 10);
			time.value = v.slice(11, 16);
		},
	};
}

async function scheduleDialog() {
	const starts = dateTime('starts', t('su.form.starts'));
	const ends = dateTime('ends', t('su.form.ends'));
	const reason = h('input', { type: 'text', name: 'reason', required: true, maxlength: String(REASON_MAX),
		translate: 'no', class: 'wide' });
	const live = h('p', { class: 'hint', 'aria-live': 'polite', 'data-testid': 'suspension-hint' });
	const update = () => {
		const s = starts.iso();
		const e = ends.iso();
		const parts = [];
		if (s && e && new Date(e) > new Date(s))
			parts.push(t('su.form.duration', { d: duration(new Date(e) - new Date(s)) }));
		if (s && new Date(s).getTime() < Date.now())
			parts.push(t('su.form.starts_now'));
		if (s && e) {
			const err = checkWindow(s, e, reason.value || 'x');
			if (err)
				parts.push(err);
		}
		live.textContent = parts.join(' ');
	};
	for (const i of [starts.day, starts.time, ends.day, ends.time, reason])
		i.addEventListener('input', update);
	const proposeEnd = () => {
		// A start given and no end: propose one hour later.
		const s = starts.iso();
		if (s && !ends.day.value && !ends.time.value)
			ends.set(new Date(new Date(s).getTime() + 3600000));
		update();
	};
	starts.time.addEventListener('change', proposeEnd);
	const ok = await confirmDialog({
		title: t('su.form.title'),
		confirm: t('su.form.submit'),
		body: [
			h('p', { class: 'hint rule-hint' }, t('su.form.rule', { days: MAX_LEN_DAYS, ahead: MAX_AHEAD_DAYS })),
			h('div', { class: 'field-row' }, starts.node, ends.node),
			field(t('su.form.reason'), reason, { hint: t('su.form.reason.hint') }),
			live,
		],
		validate: () => checkWindow(starts.iso(), ends.iso(), reason.value),
	});
	if (!ok)
		return null;
	return { starts_at: starts.iso(), ends_at: ends.iso(), reason: reason.value.trim() };
}

async function suspensionsCard(ctx, box) {
	const all = ctx.params.get('all') === 'true';
	const r = await get('/v1/suspensions', all ? { all: 'true' } : null);
	const canEdit = ctx.can('officer');
	const list = r.suspensions.slice().sort((a, b) => new Date(b.starts_at) - new Date(a.starts_at));
	const toggle = h('input', { type: 'checkbox', id: 'su-all', checked: all, 'data-testid': 'suspensions-all',
		on: { change: (e) => ctx.navigate(e.target.checked ? '#/suspensions?all=true' : '#/suspensions') } });
	const cols = [
		{ label: t('su.col.id'), class: 'num', cell: (s) => String(s.id) },
		{ label: t('su.col.state'), cell: stateBadge },
		{ label: t('su.col.starts'), cell: (s) => when(s.starts_at, { era: true }) },
		{ label: t('su.col.ends'), cell: (s) => when(s.ends_at, { era: true }) },
		{ label: t('su.col.reason'), cell: (s) => h('span', { translate: 'no', class: 'reason' }, s.reason) },
		{ label: t('su.col.by'), cell: (s) => h('span', { translate: 'no', class: 'mono' }, s.created_by || '') },
	];
	if (all)
		cols.push({ label: t('su.col.cancelled'), cell: (s) => when(s.cancelled_at) });
	if (canEdit)
		cols.push({ label: t('common.actions'), cell: (s) => (s.state === 'scheduled' || s.state === 'active') ?
			h('button', { type: 'button', class: 'danger small-btn', 'data-action': 'cancel-suspension',
				'data-id': s.id, on: { click: () => cancel(s) } }, t('su.cancel')) : null });
	async function cancel(s) {
		const ok = await confirmDialog({
			title: t('su.cancel.title'), danger: true, confirm: t('su.cancel'), cancel: t('common.close'),
			body: [h('p', t('su.cancel.body')),
				h('p', h('strong', { translate: 'no' }, s.reason)), h('p', range(s.starts_at, s.ends_at))],
		});
		if (!ok)
			return;
		try {
			await del(`/v1/suspensions/${s.id}`);
			toast(t('su.cancelled'));
			await suspensionsCard(ctx, box);
		} catch (e) {
			if (e.status !== 401)
				toast(problemText(e), 'error');
		}
	}
	async function schedule() {
		const body = await scheduleDialog();
		if (!body)
			return;
		try {
			const s = await post('/v1/suspensions', body, { idempotencyKey: newKey() });
			toast(t('su.created', { id: s.id }));
			await suspensionsCard(ctx, box);
		} catch (e) {
			if (e.status !== 401)
				toast(problemText(e), 'error');
		}
	}
	replace(box, card(t('su.list'),
		h('div', { class: 'toolbar' },
			canEdit ? h('button', { type: 'button', class: 'primary', 'data-action': 'new-suspension',
				on: { click: schedule } }, t('su.new')) : null,
			h('label', { class: 'check', for: 'su-all' }, toggle, t('su.show_all')),
			h('button', { type: 'button', on: { click: () => suspensionsCard(ctx, box) } }, t('common.refresh'))),
		table(cols, list, {
			empty: all ? t('su.none_all') : t('su.none'),
			rowAttrs: (s) => ({ 'data-suspension': s.id, 'data-state': s.state }),
		})));
}

// ------------------------------------------------------------------ counter hours

const WEEK = [1, 2, 3, 4, 5, 6, 7];

function weekTable(hrs) {
	const closed = new Set(hrs.closed_weekdays);
	return table([
		{ label: t('ho.day'), cell: (d) => t('wd.' + d) },
		{ label: t('ho.hours'), cell: (d) => closed.has(d) ? h('span', { class: 'badge muted-badge' }, t('ho.closed')) :
			hrs.opens ? h('span', { class: 'mono' }, `${hrs.opens}–${hrs.closes}`) :
				h('span', { class: 'muted' }, t('ho.no_hours')) },
	], WEEK, { rowAttrs: (d) => ({ 'data-weekday': d, 'data-closed': closed.has(d) ? 'true' : 'false' }) });
}

function hoursView(hrs) {
	return h('div', { class: 'hours-view', 'data-testid': 'hours-view', 'data-code': hrs.municipality_code },
		h('p', h('span', { class: ['badge', hrs.enforced ? 'ok' : 'muted-badge'], 'data-testid': 'hours-enforced',
			'data-enforced': String(hrs.enforced) }, hrs.enforced ? t('ho.state.on') : t('ho.state.off'))),
		h('h3', t('ho.week')), weekTable(hrs),
		h('p', hrs.year_end_closed ? t('ho.year_end') : null),
		h('h3', t('ho.dates')),
		hrs.closed_dates.length ? h('ul', { class: 'closed-dates' }, hrs.closed_dates.map((d) =>
			h('li', { 'data-day': d }, when(d, { era: true, dayOnly: true })))) :
			h('p', { class: 'muted' }, t('ho.dates.none')));
}

function hoursForm(hrs, onSaved) {
	const enforced = h('input', { type: 'checkbox', id: 'ho-enforced', name: 'enforced', checked: hrs.enforced });
	const hm = { type: 'text', inputmode: 'numeric', maxlength: '5', pattern: '\\d{2}:\\d{2}', autocomplete: 'off',
		class: 'time-input' };
	const opens = h('input', Object.assign({ name: 'opens', value: hrs.opens || '', placeholder: '08:30' }, hm));
	const closes = h('input', Object.assign({ name: 'closes', value: hrs.closes || '', placeholder: '17:15' }, hm));
	const closed = new Set(hrs.closed_weekdays);
	const days = WEEK.map((d) => h('input', { type: 'checkbox', id: `ho-wd-${d}`, name: 'closed_weekday',
		value: String(d), checked: closed.has(d), 'data-weekday': d }));
	const yearEnd = h('input', { type: 'checkbox', id: 'ho-year-end', name: 'year_end_closed', checked: hrs.year_end_closed });
	const dates = h('textarea', { name: 'closed_dates', rows: '3', class: 'dates-input' });
	dates.value = hrs.closed_dates.join('\n');
	const err = h('p', { class: 'error', role: 'alert', hidden: true });
	const form = h('form', { class: 'hours-form', 'data-testid': 'hours-form', novalidate: true, on: { submit: async (e) => {
		e.preventDefault();
		err.hidden = true;
		const o = opens.value.trim();
		const c = closes.value.trim();
		const ds = dates.value.split(/\s+/).filter(Boolean);
		let msg = null;
		if ([o, c].some((x) => x && !/^([01]\d|2[0-3]):[0-5]\d$/.test(x)))
			msg = t('ho.err.time');
		else if (!!o !== !!c)
			msg = t('ho.err.pair');
		else if (o && o >= c)
			msg = t('ho.err.order');
		else if (!o && enforced.checked)
			msg = t('ho.err.enforced');
		else if (ds.some((d) => !/^\d{4}-\d{2}-\d{2}$/.test(d)) || ds.length > 64)
			msg = t('ho.err.dates');
		if (msg) {
			err.textContent = msg;
			err.hidden = false;
			return;
		}
		const body = {
			enforced: enforced.checked,
			opens: o || null,
			closes: c || null,
			closed_weekdays: days.filter((x) => x.checked).map((x) => Number(x.value)),
			year_end_closed: yearEnd.checked,
			closed_dates: [...new Set(ds)].sort(),
		};
		try {
			const saved = await put(`/v1/municipalities/${hrs.municipality_code}/hours`, body);
			toast(t('ho.saved'));
			onSaved(saved);
		} catch (x) {
			if (x.status !== 401) {
				err.textContent = problemText(x);
				err.hidden = false;
			}
		}
	} } },
	h('div', { class: 'check-row' }, h('label', { class: 'check', for: 'ho-enforced' }, enforced, t('ho.enforced'))),
	h('div', { class: 'field-row' }, field(t('ho.opens'), opens, { hint: t('ho.time.hint') }),
		field(t('ho.closes'), closes, { hint: t('ho.time.hint') })),
	h('fieldset', { class: 'weekdays' }, h('legend', t('ho.closed')),
		days.map((x, i) => h('label', { class: 'check', for: x.id }, x, t('wd.' + WEEK[i])))),
	h('div', { class: 'check-row' }, h('label', { class: 'check', for: 'ho-year-end' }, yearEnd, t('ho.year_end'))),
	field(t('ho.dates'), dates, { hint: t('ho.dates.hint') }),
	err,
	h('div', { class: 'actions left' }, h('button', { type: 'submit', class: 'primary', 'data-action': 'save-hours' },
		t('common.save'))));
	return h('details', { class: 'hours-edit', open: true }, h('summary', t('ho.edit')), form);
}

async function hoursCard(ctx, box, code) {
	const { input, list } = codeInput('ho-code', code, { 'data-testid': 'hours-code' });
	const body = h('div', { class: 'hours-body' });
	const err = h('p', { class: 'error', role: 'alert', hidden: true });
	const show = async (c) => {
		err.hidden = true;
		if (!CODE_RE.test(c)) {
			err.textContent = t('ho.bad_code');
			err.hidden = false;
			return;
		}
		try {
			const hrs = await get(`/v1/municipalities/${c}/hours`);
			const fill = (x) => replace(body, hoursView(x), ctx.can('officer') ? hoursForm(x, fill) : null);
			fill(hrs);
		} catch (e) {
			if (e.status === 401)
				throw e;
			replace(body);
			err.textContent = problemText(e);
			err.hidden = false;
		}
	};
	const form = h('form', { class: 'filters', novalidate: true, on: { submit: (e) => {
		e.preventDefault();
		show(input.value.trim()).catch(() => {});
	} } }, field(t('ho.code'), input), list,
	h('button', { type: 'submit', 'data-action': 'show-hours' }, t('ho.show')));
	replace(box, card(t('ho.title'), h('p', { class: 'muted small' }, t('ho.lead')), form, err, body));
	if (code)
		await show(code);
}

// ------------------------------------------------------------------ holidays

async function holidaysCard(ctx, box, year) {
	const r = await get('/v1/holidays', { year: String(year) });
	const canEdit = ctx.can('officer');
	const thisYear = Number(new Date(Date.now() + 9 * 3600000).toISOString().slice(0, 4));
	const years = [];
	for (let y = thisYear - 1; y <= thisYear + 2; y++)
		years.push([String(y), lang() === 'ja' ? `${y}年` : String(y)]);
	if (!years.some(([y]) => y === String(year)))
		years.push([String(year), String(year)]);
	const ysel = select('year', years, String(year), { 'data-testid': 'holiday-year',
		on: { change: (e) => holidaysCard(ctx, box, Number(e.target.value)).catch(() => {}) } });
	const cols = [
		{ label: t('hd.day'), cell: (d) => when(d.day, { era: true, dayOnly: true }) },
		{ label: t('hd.name'), cell: (d) => h('span', { translate: 'no' }, d.name) },
	];
	if (canEdit)
		cols.push({ label: t('common.actions'), cell: (d) => h('button', { type: 'button', class: 'small-btn',
			'data-action': 'remove-holiday', 'data-day': d.day, on: { click: async () => {
				const ok = await confirmDialog({ title: t('hd.remove.title'), danger: true, confirm: t('hd.remove'),
					body: [h('p', dayText(d.day), ' ', era(d.day), ' ', h('span', { translate: 'no' }, d.name))] });
				if (!ok)
					return;
				try {
					await del(`/v1/holidays/${d.day}`);
					toast(t('hd.removed'));
					await holidaysCard(ctx, box, year);
				} catch (e) {
					if (e.status !== 401)
						toast(problemText(e), 'error');
				}
			} } }, t('hd.remove')) });
	let addForm = null;
	if (canEdit) {
		const day = h('input', { type: 'text', name: 'day', required: true, inputmode: 'numeric', maxlength: '10',
			pattern: '\\d{4}-\\d{2}-\\d{2}', placeholder: t('su.form.day.ph'), autocomplete: 'off', class: 'day-input' });
		const name = h('input', { type: 'text', name: 'name', maxlength: '64', required: true, translate: 'no' });
		const err = h('p', { class: 'error', role: 'alert', hidden: true });
		addForm = h('form', { class: 'filters holiday-add', novalidate: true, on: { submit: async (e) => {
			e.preventDefault();
			err.hidden = true;
			if (!/^\d{4}-\d{2}-\d{2}$/.test(day.value) || !name.value.trim() || [...name.value.trim()].length > 64) {
				err.textContent = t('hd.err');
				err.hidden = false;
				return;
			}
			try {
				await put(`/v1/holidays/${day.value}`, { name: name.value.trim() });
				toast(t('hd.saved'));
				await holidaysCard(ctx, box, Number(day.value.slice(0, 4)));
			} catch (x) {
				if (x.status !== 401) {
					err.textContent = problemText(x);
					err.hidden = false;
				}
			}
		} } }, field(t('hd.day'), day), field(t('hd.name'), name),
		h('button', { type: 'submit', 'data-action': 'add-holiday' }, t('hd.add.submit')), err);
	}
	replace(box, card(t('hd.title'),
		h('div', { class: 'toolbar' }, field(t('hd.year'), ysel)),
		table(cols, r.holidays, { empty: t('hd.none'), rowAttrs: (d) => ({ 'data-holiday': d.day }) }),
		addForm ? h('h3', t('hd.add')) : null, addForm));
}

async function render(main, ctx) {
	const suspBox = h('div', { 'data-testid': 'suspensions' });
	const hoursBox = h('div', { 'data-testid': 'hours' });
	const holBox = h('div', { 'data-testid': 'holidays' });
	replace(main, h('div', { class: 'screen-head' }, h('h1', t('nav.suspensions'))),
		h('p', { class: 'muted' }, t('su.lead')), suspBox, h('div', { class: 'grid susp-grid' }, hoursBox, holBox));
	const codes = await municipalityCodes();
	const code = ctx.params.get('municipality') || (codes.includes('131016') ? '131016' : codes[0] || '');
	const year = Number(ctx.params.get('year')) || Number(new Date(Date.now() + 9 * 3600000).toISOString().slice(0, 4));
	await Promise.all([suspensionsCard(ctx, suspBox), hoursCard(ctx, hoursBox, code), holidaysCard(ctx, holBox, year)]);
}

export default { id: 'suspensions', nav: 'nav.suspensions', minRole: 'viewer', messages, render };

// dom: building elements without innerHTML (data from the API is never
// parsed as markup), tables, dialogs, toasts and forms.
//
// h('button', { class: 'primary', on: { click: fn }, dataset: { id: 3 } }, 'text', node)
// Attributes: class, text, on, dataset, hidden, disabled, checked, value,
// selected; anything else goes to setAttribute. No style attribute (the CSP
// forbids inline style): use classes.
import { t } from './i18n.js';

export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
		children.unshift(attrs);
		attrs = null;
	}
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false)
			continue;
		if (k === 'class')
			el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
		else if (k === 'text')
			el.textContent = v;
		else if (k === 'on')
			for (const [ev, fn] of Object.entries(v))
				el.addEventListener(ev, fn);
		else if (k === 'dataset')
			Object.assign(el.dataset, v);
		else if (['hidden', 'disabled', 'checked', 'selected', 'required', 'multiple', 'readOnly'].includes(k))
			el[k] = !!v;
		else if (k === 'value')
			el.value = v;
		else if (k === 'style')
			throw new Error('no inline style (CSP): use a class');
		else
			el.setAttribute(k, v === true ? '' : String(v));
	}
	append(el, children);
	return el;
}

function append(el, children) {
	for (const c of children.flat(Infinity)) {
		if (c === null || c === undefined || c === false)
			continue;
		el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
	}
}

export function clear(el) {
	while (el.firstChild)
		el.removeChild(el.firstChild);
	return el;
}

export function replace(el, ...children) {
	clear(el);
	append(el, children);
	return el;
}

// A section with a heading: card(t('x'), body...).
export function card(title, ...body) {
	return h('section', { class: 'card' }, title ? h('h2', title) : null, ...body);
}

// A figure tile for the overview: tile(label, value, { id, tone }).
export function tile(label, value, { id, tone, sub } = {}) {
	return h('div', { class: ['tile', tone], 'data-figure': id },
		h('div', { class: 'tile-label' }, label),
		h('div', { class: 'tile-value', 'data-value': id }, value),
		sub ? h('div', { class: 'tile-sub' }, sub) : null);
}

// table(columns, rows, { empty, rowAttrs }): columns are { label, cell(row) => node|string, class }.
export function table(columns, rows, { empty, rowAttrs, caption } = {}) {
	const thead = h('thead', h('tr', columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label))));
	const tbody = h('tbody');
	if (!rows.length)
		tbody.appendChild(h('tr', h('td', { colspan: columns.length, class: 'empty' }, empty || t('common.empty'))));
	for (const r of rows)
		tbody.appendChild(h('tr', rowAttrs ? rowAttrs(r) : null,
			columns.map((c) => h('td', { class: c.class }, c.cell(r)))));
	return h('div', { class: 'table-wrap' },
		h('table', caption ? h('caption', caption) : null, thead, tbody));
}

// A labelled form field. field(label, input, { hint, error })
export function field(label, input, { hint, id } = {}) {
	const fid = id || input.id || ('f' + Math.random().toString(36).slice(2, 9));
	input.id = fid;
	return h('div', { class: 'field' },
		h('label', { for: fid }, label), input,
		hint ? h('div', { class: 'hint' }, hint) : null);
}

// select(name, [[value, label], ...], current)
export function select(name, options, current, attrs) {
	return h('select', Object.assign({ name }, attrs || {}),
		options.map(([v, l]) => h('option', { value: v, selected: String(v) === String(current ?? '') }, l)));
}

// Focus management for screens: the first heading of main gets focus on navigation.
export function focusMain(root) {
	const hd = root.querySelector('h1');
	if (hd) {
		hd.tabIndex = -1;
		hd.focus({ preventScroll: true });
	}
}

// A modal dialog (<dialog>); resolves with true (confirm) or false (cancel, Escape).
// confirmDialog({ title, body: [nodes], confirm: label, danger: bool, form: fn(dialog)→ value|false })
export function confirmDialog({ title, body, confirm, cancel, danger, validate }) {
	return new Promise((resolve) => {
		const ok = h('button', { type: 'submit', class: danger ? 'danger' : 'primary', 'data-action': 'confirm' },
			confirm || t('common.ok'));
		const no = h('button', { type: 'button', 'data-action': 'cancel' }, cancel || t('common.cancel'));
		const err = h('p', { class: 'error', role: 'alert', hidden: true });
		const form = h('form', { method: 'dialog' },
			h('h2', title), h('div', { class: 'dialog-body' }, body || []), err,
			h('div', { class: 'actions' }, no, ok));
		const dlg = h('dialog', { class: 'dialog', 'aria-label': title }, form);
		let done = false;
		const finish = (v) => {
			if (done)
				return;
			done = true;
			dlg.close();
			dlg.remove();
			resolve(v);
		};
		form.addEventListener('submit', (e) => {
			e.preventDefault();
			if (validate) {
				const msg = validate(form);
				if (msg) {
					err.textContent = msg;
					err.hidden = false;
					return;
				}
			}
			finish(true);
		});
		no.addEventListener('click', () => finish(false));
		dlg.addEventListener('cancel', (e) => {
			e.preventDefault();
			finish(false);
		});
		document.body.appendChild(dlg);
		dlg.showModal();
		const first = form.querySelector('input, select, textarea') || no;
		first.focus();
	});
}

// A short message at the top right: toast(text, 'ok'|'error').
export function toast(text, kind) {
	let box = document.getElementById('toasts');
	if (!box) {
		box = h('div', { id: 'toasts', role: 'status', 'aria-live': 'polite' });
		document.body.appendChild(box);
	}
	const el = h('div', { class: ['toast', kind || 'ok'] }, text);
	box.appendChild(el);
	setTimeout(() => el.remove(), kind === 'error' ? 10000 : 5000);
	return el;
}

// Start a download of text as a file (CSV etc.) without leaving the page.
export function download(name, blob) {
	const url = URL.createObjectURL(blob);
	const a = h('a', { href: url, download: name, class: 'hidden' });
	document.body.appendChild(a);
	a.click();
	setTimeout(() => {
		URL.revokeObjectURL(url);
		a.remove();
	}, 1000);
}

// "Load from a file" as a button of ours: <input type=file> draws its own
// button and "no file chosen" text in the browser's language.
export function pemLoader(textarea, label, testid) {
	const input = h('input', { type: 'file', accept: '.pem,.crt,.cer,application/x-pem-file', class: 'hidden',
		tabindex: '-1', 'aria-hidden': 'true', 'data-testid': testid });
	const chosen = h('span', { class: 'muted small', translate: 'no', 'data-testid': `${testid}-name` });
	input.addEventListener('change', async () => {
		const f = input.files[0];
		if (f) {
			textarea.value = await f.text();
			chosen.textContent = f.name;
		}
	});
	return h('div', { class: 'field' }, h('span', { class: 'row-actions' },
		h('button', { type: 'button', on: { click: () => input.click() } }, label), chosen), input);
}

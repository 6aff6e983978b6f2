// munis: the municipality codes the console knows of, for the pickers of
// the suspensions (counter hours) and notices screens. The operator API has
// no list of municipalities; every municipality with a published CRL (R24:
// one per municipality and type) is one, and any other 6-digit code may be
// typed. Shared by screens/suspensions.js and screens/notices.js.
import { get } from '../api.js';
import { h } from '../dom.js';

export const CODE_RE = /^[0-9]{6}$/;

let cached = null;

export async function municipalityCodes() {
	if (cached)
		return cached;
	try {
		const r = await get('/v1/crls');
		const codes = new Set((r.crls || []).map((c) => c.municipality_code).filter((c) => CODE_RE.test(c)));
		cached = [...codes].sort();
	} catch (e) {
		if (e && e.status === 401)
			throw e;
		return [];
	}
	return cached;
}

// A 6-digit code input with the known codes as suggestions.
export function codeInput(id, value, attrs = {}) {
	const list = h('datalist', { id: id + '-list' });
	const input = h('input', Object.assign({ id, name: 'municipality', value: value || '', inputmode: 'numeric',
		maxlength: '6', pattern: '[0-9]{6}', autocomplete: 'off', list: id + '-list', class: 'code-input',
		translate: 'no' }, attrs));
	municipalityCodes().then((codes) => {
		for (const c of codes)
			list.appendChild(h('option', { value: c }));
	}).catch(() => {});
	return { input, list };
}

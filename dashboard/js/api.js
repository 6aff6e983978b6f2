// api: the operator API on the console's own origin (the CSP allows no
// other). GETs carry the session cookie; every state-changing request also
// carries the session's X-CSRF-Token. A 401 (session expired or logged out
// elsewhere) sends the operator to the login screen and back here after.
import { has, t } from './i18n.js';

let session = null;		// GET /v1/session body, or null
const onExpired = new Set();

export function setSession(s) {
	session = s;
}

export function currentSession() {
	return session;
}

export function onSessionExpired(fn) {
	onExpired.add(fn);
}

// role rank: viewer 1, officer 2, admin 3
const RANK = { viewer: 1, officer: 2, admin: 3 };

export function can(minRole) {
	return !!session && (RANK[session.operator.role] || 0) >= (RANK[minRole] || 99);
}

// The error of a failed call: status, the problem+json body, and a message for people.
export class ApiError extends Error {
	constructor(status, problem, retryAfter) {
		super(problem && (problem.detail || problem.title) || `HTTP ${status}`);
		this.status = status;
		this.problem = problem || {};
		this.retryAfter = retryAfter ? Number(retryAfter) : null;	// seconds (Retry-After)
	}

	// A message in the current language: known problem types are translated,
	// the server's detail (English) is kept beside it for the record.
	describe() {
		const p = this.problem;
		const key = `problem.${p.type ? String(p.type).replace(/^.*[/:]/, '') : this.status}`;
		let msg = tr(key) || tr(`problem.status.${this.status}`) || t('problem.generic', { status: this.status });
		if (p.rule)
			msg += ` (${p.rule})`;
		return msg;
	}
}

// A specific problem type may have no message of its own: not a missing key.
function tr(key) {
	return has(key) ? t(key) : null;
}

function mutates(method) {
	return !['GET', 'HEAD'].includes(method);
}

// request(method, path, { json, query, accept, raw }) → parsed JSON, text (raw) or null (204).
export async function request(method, path, opts = {}) {
	let url = path;
	if (opts.query) {
		const q = new URLSearchParams();
		for (const [k, v] of Object.entries(opts.query))
			if (v !== undefined && v !== null && v !== '')
				q.set(k, v);
		const qs = q.toString();
		if (qs)
			url += (url.includes('?') ? '&' : '?') + qs;
	}
	const headers = { Accept: opts.accept || 'application/json' };
	let body;
	if (opts.json !== undefined) {
		headers['Content-Type'] = 'application/json';
		body = JSON.stringify(opts.json);
	} else if (opts.body !== undefined) {
		headers['Content-Type'] = opts.contentType || 'application/octet-stream';
		body = opts.body;
	}
	if (mutates(method) && session)
		headers['X-CSRF-Token'] = session.csrf_token;
	if (opts.idempotencyKey)
		headers['Idempotency-Key'] = opts.idempotencyKey;
	let res;
	try {
		res = await fetch(url, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
	} catch (e) {
		throw new ApiError(0, { type: 'network', detail: String(e) });
	}
	if (res.status === 401 && path !== '/v1/session') {
		// Only a session that was there can expire (a request still in
		// flight after a logout is not news).
		if (session) {
			session = null;
			for (const fn of onExpired)
				fn();
		}
		throw new ApiError(401, await problemOf(res), res.headers.get('Retry-After'));
	}
	if (!res.ok)
		throw new ApiError(res.status, await problemOf(res), res.headers.get('Retry-After'));
	if (res.status === 204)
		return null;
	if (opts.raw === 'blob')
		return res.blob();
	if (opts.raw)
		return res.text();
	const ct = res.headers.get('Content-Type') || '';
	return ct.includes('json') ? res.json() : res.text();
}

async function problemOf(res) {
	try {
		const ct = res.headers.get('Content-Type') || '';
		if (ct.includes('json'))
			return await res.json();
	} catch (e) {
		// not JSON after all
	}
	return { status: res.status };
}

export const get = (path, query, opts) => request('GET', path, Object.assign({ query }, opts));
export const post = (path, json, opts) => request('POST', path, Object.assign({ json }, opts));
export const patch = (path, json, opts) => request('PATCH', path, Object.assign({ json }, opts));
export const put = (path, json, opts) => request('PUT', path, Object.assign({ json }, opts));
export const del = (path, opts) => request('DELETE', path, opts || {});

// A fresh Idempotency-Key for one user action (a retry of the same action reuses it).
export function newKey() {
	const b = new Uint8Array(16);
	crypto.getRandomValues(b);
	return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// All pages of a {items, next_cursor} list (up to max items).
export async function getAll(path, query, max = 5000) {
	const items = [];
	let cursor = null;
	do {
		const page = await get(path, Object.assign({}, query, { limit: 500, cursor }));
		items.push(...page.items);
		cursor = page.next_cursor;
	} while (cursor && items.length < max);
	return items;
}

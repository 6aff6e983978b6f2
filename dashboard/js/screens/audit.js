// audit: not built yet (issue 12).
import { h } from '../dom.js';
import { t } from '../i18n.js';

export default {
	id: 'audit',
	nav: 'nav.audit',
	minRole: 'viewer',
	messages: { ja: { 'nav.audit': '監査' }, en: { 'nav.audit': 'Audit' } },
	async render(main) {
		main.appendChild(h('h1', t('nav.audit')));
	},
};

// crls: not built yet (issue 12).
import { h } from '../dom.js';
import { t } from '../i18n.js';

export default {
	id: 'crls',
	nav: 'nav.crls',
	minRole: 'viewer',
	messages: { ja: { 'nav.crls': '失効リスト' }, en: { 'nav.crls': 'CRLs' } },
	async render(main) {
		main.appendChild(h('h1', t('nav.crls')));
	},
};

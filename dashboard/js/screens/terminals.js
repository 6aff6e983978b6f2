// terminals: not built yet (issue 12).
import { h } from '../dom.js';
import { t } from '../i18n.js';

export default {
	id: 'terminals',
	nav: 'nav.terminals',
	minRole: 'viewer',
	messages: { ja: { 'nav.terminals': '端末' }, en: { 'nav.terminals': 'Terminals' } },
	async render(main) {
		main.appendChild(h('h1', t('nav.terminals')));
	},
};

// relying-parties: not built yet (issue 12).
import { h } from '../dom.js';
import { t } from '../i18n.js';

export default {
	id: 'relying-parties',
	nav: 'nav.relying_parties',
	minRole: 'viewer',
	messages: { ja: { 'nav.relying_parties': '検証者' }, en: { 'nav.relying_parties': 'Relying parties' } },
	async render(main) {
		main.appendChild(h('h1', t('nav.relying_parties')));
	},
};

// The portal: sign-in, then the layout (side menu by role, manual chapter 2) and one screen
// per hash route (#/seals, #/sign …). Every screen uses the public HTTP API only.
import { get, post, setCsrf, ApiError } from './api.js';
import { h, clear, toast } from './ui.js';
import * as login from './pages/login.js';
import * as me from './pages/me.js';
import * as seals from './pages/seals.js';
import * as staff from './pages/staff.js';
import * as sign from './pages/sign.js';
import * as files from './pages/files.js';
import * as verify from './pages/verify.js';
import * as queue from './pages/queue.js';
import * as apps from './pages/apps.js';
import * as audit from './pages/audit.js';
import * as ops from './pages/ops.js';

const U = ['SuperAdmin', 'SystemAdmin'];
// Menu: [route, 名称, roles that see it (any of), screen]
const MENU = [
  ['me', '个人中心', null, me],
  ['seals', '印章管理', [...U, 'SealAdmin', 'SealMaker', 'Staff'], seals],
  ['staff', '人员管理', [...U, 'StaffAdmin', 'Staff'], staff.list],
  ['roles', '权限管理', U, staff.roles],
  ['sign', '文件签署', [...U, 'Staff'], sign],
  ['files', '文件管理', [...U, 'Staff'], files],
  ['verify', '文件验签', null, verify],
  ['queue', '签署授权', [...U, 'Staff'], queue],
  ['apps', '应用中心', [...U, 'AppAdmin', 'Staff'], apps],
  ['audit', '审计', [...U, 'Auditor'], audit],
];
const OPS_MENU = [
  ['ops-seals', '证书/印章审核', ops.seals],
  ['ops-apps', '应用审核', ops.apps],
  ['ops-switches', '平台设置', ops.switches],
  ['verify', '文件验签', verify],
];

export const state = { session: null };

// Goes to `hash`, rendering again when it is the current one.
function navigate(hash) {
  if (location.hash === hash) route(); else location.hash = hash;
}

export async function loadSession() {
  try {
    state.session = await get('session');
    setCsrf(state.session.csrf);
    // The unit's name for the top bar (the session names the unit by id).
    if (state.session.kind !== 'operator') {
      state.session.unit_name = (await get('me')).unit.name;
    }
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
    state.session = null;
    setCsrf(null);
  }
  return state.session;
}

function menuFor(s) {
  if (s.kind === 'operator') return OPS_MENU.map(([r, t, m]) => [r, t, m]);
  return MENU.filter(([, , roles]) => !roles || roles.some((r) => s.roles.includes(r)))
    .map(([r, t, , m]) => [r, t, m]);
}

async function logout() {
  try { await post('auth/logout'); } catch { /* already gone */ }
  state.session = null;
  setCsrf(null);
  navigate('#/login');
}

function layout(s, items, active) {
  const main = h('main#main', { tabindex: '-1' });
  const who = s.kind === 'unit_key' ? `${s.unit_name}（单位 UKey）` : s.kind === 'operator' ? `${s.name}（运维后台）` : `${s.name} · ${s.unit_name}`;
  const root = h('div.layout',
    h('header.topbar',
      h('a.brand', { href: '#/' }, h('img', { src: 'assets/logo.svg', alt: '' }), '电子印章公共服务平台'),
      h('div.who', h('span#who', who),
        h('button.btn.small.ghost#logout', { type: 'button', onclick: logout }, '退出登录'))),
    h('nav.sidebar', { 'aria-label': '功能菜单' },
      h('ul', items.map(([r, t]) => h('li', h('a', { href: '#/' + r, class: r === active ? 'active' : '', 'aria-current': r === active ? 'page' : null }, t))))),
    main);
  return { root, main };
}

async function route() {
  const app = document.getElementById('app');
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  const params = new URLSearchParams(query || '');
  const [name, ...rest] = path.split('/');
  const s = state.session || await loadSession();
  if (!s || name === 'login' || name === 'forgot') {
    if (s && name === 'login') { location.hash = '#/'; return; }
    clear(app, name === 'forgot' ? login.forgot() : login.view(async () => { await loadSession(); navigate('#/'); }));
    return;
  }
  const items = menuFor(s);
  const found = items.find(([r]) => r === name);
  if (!found) { location.hash = '#/' + items[0][0]; return; }
  const { root, main } = layout(s, items, name);
  clear(app, root);
  document.title = found[1] + ' - 电子印章公共服务平台';
  try {
    await found[2].render(main, { session: s, params, rest });
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) { state.session = null; location.hash = '#/login'; return; }
    clear(main, h('div.panel.error-panel', { role: 'alert' },
      e instanceof ApiError && e.status === 403 ? '您没有使用此功能的权限' : '加载失败：' + e.message));
  }
}

window.addEventListener('hashchange', route);
window.addEventListener('unhandledrejection', (ev) => {
  toast(ev.reason?.message || String(ev.reason), 'err');
});
route();

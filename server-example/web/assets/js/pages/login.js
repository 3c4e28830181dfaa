// 第一章 用户登录: 账号登录 (password, or SMS code after the image captcha), USBKey 登录
// (unit or personal UKey through the local agent), the back office, and 找回密码 (1.3.2.3).
import { post, agent, ApiError } from '../api.js';
import { h, field, input, form, dialog, toast, showError } from '../ui.js';

// An image captcha with a refresh button; `ref.id` is the current captcha id.
function captcha() {
  const ref = { id: '' };
  const img = h('img.captcha', { alt: '图形验证码（点击更换）', width: 120, height: 40 });
  const load = async () => {
    const c = await post('auth/captcha');
    ref.id = c.captcha_id;
    img.src = c.image;
  };
  const btn = h('button.captcha-btn', { type: 'button', title: '看不清，换一张', onclick: load }, img);
  const box = h('div.captcha-row', input('captcha_answer', { placeholder: '图形验证码', autocomplete: 'off', maxlength: 8 }), btn);
  load();
  return { box, ref, reload: load };
}

// The "send code" button with its 60 s countdown.
function smsButton(send) {
  const b = h('button.btn.sms-btn', { type: 'button' }, '获取验证码');
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      await send();
      toast('验证码已发送');
      let left = 60;
      b.textContent = `${left} 秒后重发`;
      const t = setInterval(() => {
        left -= 1;
        b.textContent = `${left} 秒后重发`;
        if (left <= 0) { clearInterval(t); b.disabled = false; b.textContent = '获取验证码'; }
      }, 1000);
    } catch (e) {
      b.disabled = false;
      showError(b.closest('form'), e);
    }
  });
  return b;
}

function passwordForm(done) {
  return form([
    field('手机号', input('phone', { type: 'tel', autocomplete: 'username', placeholder: '请输入手机号', maxlength: 11 }), { required: true }),
    field('密码', input('password', { type: 'password', autocomplete: 'current-password', placeholder: '请输入密码' }), { required: true }),
    h('div.links', h('a', { href: '#/forgot' }, '忘记密码?')),
  ], async (v) => {
    await post('auth/login/password', { phone: v.phone, password: v.password });
    await done();
  }, { submit: '登录', cls: 'login-password' });
}

function smsForm(done) {
  const cap = captcha();
  let f;
  const sendBtn = smsButton(async () => {
    const v = Object.fromEntries(new FormData(f));
    try {
      await post('auth/sms-code', { phone: v.phone, purpose: 'login', captcha_id: cap.ref.id, captcha_answer: v.captcha_answer });
    } catch (e) { cap.reload(); throw e; }
  });
  f = form([
    field('手机号', input('phone', { type: 'tel', autocomplete: 'username', placeholder: '请输入手机号', maxlength: 11 }), { required: true }),
    field('图形验证码', cap.box, { required: true }),
    field('短信验证码', h('div.code-row', input('code', { inputmode: 'numeric', autocomplete: 'one-time-code', placeholder: '短信验证码', maxlength: 6 }), sendBtn), { required: true }),
  ], async (v) => {
    const r = await post('auth/login/sms', { phone: v.phone, code: v.code });
    if (r.session.must_set_password) toast('您尚未设置登录密码，请在“个人中心”设置');
    await done();
  }, { submit: '登录', cls: 'login-sms' });
  return f;
}

// USBKey 登录 (1.2): the server's challenge signed in the UKey by the agent.
function ukeyForm(done) {
  const status = h('div.agent-status', { role: 'status' }, '正在检测证书助手…');
  const check = async () => {
    try {
      const id = await agent.call('GET', '/v1/identity');
      const subj = id.identity?.subject || id.identity?.subject_cn || '';
      status.className = 'agent-status ok';
      status.textContent = '已检测到 UKey' + (subj ? '：' + subj : '');
    } catch (e) {
      status.className = 'agent-status bad';
      status.replaceChildren(e.message, ' ', h('a', { href: '#/login', onclick: (ev) => { ev.preventDefault(); agentHelp(); } }, '如何安装与启动证书助手'));
    }
  };
  check();
  return form([
    h('fieldset.kind', h('legend', 'UKey 类型'),
      h('label', h('input', { type: 'radio', name: 'kind', value: 'unit', checked: true }), ' 单位 UKey'),
      h('label', h('input', { type: 'radio', name: 'kind', value: 'personal' }), ' 个人 UKey')),
    status,
    field('UKey 密码', input('pin', { type: 'password', autocomplete: 'off', placeholder: '请输入Ukey密码' }), { required: true }),
    h('div.links', h('a', { href: '#/login', onclick: (ev) => { ev.preventDefault(); agentSettings(check); } }, '证书助手设置')),
  ], async (v) => {
    const c = await post('auth/ukey/challenge');
    const s = await agent.call('POST', '/v1/sign-challenge', { pin: v.pin, challenge: c.challenge });
    await post('auth/login/ukey', {
      challenge_id: c.challenge_id, kind: v.kind, certificate: s.certificate,
      signature: s.signature, device_serial: s.device_serial || '',
    });
    await done();
  }, { submit: '登录', cls: 'login-ukey' });
}

export function agentHelp() {
  dialog('证书助手（eseal agent）', [
    h('p', 'UKey 登录、UKey 签章与写入印章都通过本机的证书助手访问 UKey。请在插入 UKey 的电脑上启动：'),
    h('pre.code', `eseal agent --lib <UKey 厂商 SKF 库> \\\n  --portal-origin ${location.origin} --secret <会话密钥>`),
    h('p', '证书助手只监听 127.0.0.1，只接受本站点的请求。启动后在“证书助手设置”中填写它的地址与会话密钥。'),
    h('p', '演示环境：scripts/serve.sh 启动时打印了带演示软件 UKey 的完整命令（会话密钥 demo-agent-secret-2026）。'),
  ]);
}

export function agentSettings(after) {
  const s = agent.settings();
  const dlg = dialog('证书助手设置', form([
    field('证书助手地址', input('url', { value: s.url }), { required: true }),
    field('会话密钥', input('secret', { value: s.secret, autocomplete: 'off' }), { required: true, hint: '证书助手启动时打印的 session secret' }),
  ], async (v) => {
    if (!/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(v.url)) throw new ApiError(400, { field: 'url', message_zh: '地址须为 http://127.0.0.1:端口' });
    agent.save(v.url, v.secret);
    dlg.close();
    after && after();
  }, { submit: '保存' }));
}

function operatorForm(done) {
  return form([
    field('账号', input('name', { autocomplete: 'username' }), { required: true }),
    field('密码', input('password', { type: 'password', autocomplete: 'current-password' }), { required: true }),
  ], async (v) => {
    await post('auth/login/operator', v);
    await done();
  }, { submit: '登录', cls: 'login-operator' });
}

export function view(done) {
  const panes = {
    password: ['账号登录', () => passwordForm(done)],
    sms: ['验证码登录', () => smsForm(done)],
    ukey: ['USBKey登录', () => ukeyForm(done)],
    operator: ['运维后台', () => operatorForm(done)],
  };
  const body = h('div.login-body');
  const tabs = h('div.tabs', { role: 'tablist' });
  const show = (k) => {
    for (const b of tabs.children) {
      const on = b.dataset.k === k;
      b.classList.toggle('active', on);
      b.setAttribute('aria-selected', on);
    }
    body.replaceChildren(panes[k][1]());
    body.querySelector('input:not([type=radio])')?.focus();
  };
  for (const [k, [t]] of Object.entries(panes)) {
    tabs.append(h('button.tab', { type: 'button', role: 'tab', 'data-k': k, onclick: () => show(k) }, t));
  }
  const page = h('div.login-page',
    h('div.login-hero', h('img', { src: 'assets/logo.svg', alt: '', width: 72, height: 72 }), h('h1', '电子印章公共服务平台'),
      h('p', '电子印章的申请、制作、签章与验证（GB/T 38540）')),
    h('div.login-card', h('h2', '登录'), tabs, body));
  show('password');
  return page;
}

// 找回密码 (1.3.2.3): phone, captcha, SMS code, new password.
export function forgot() {
  const cap = captcha();
  let f;
  const sendBtn = smsButton(async () => {
    const v = Object.fromEntries(new FormData(f));
    try {
      await post('auth/sms-code', { phone: v.phone, purpose: 'reset', captcha_id: cap.ref.id, captcha_answer: v.captcha_answer });
    } catch (e) { cap.reload(); throw e; }
  });
  f = form([
    field('手机号', input('phone', { type: 'tel', maxlength: 11 }), { required: true }),
    field('图形验证码', cap.box, { required: true }),
    field('短信验证码', h('div.code-row', input('code', { inputmode: 'numeric', maxlength: 6 }), sendBtn), { required: true }),
    field('新密码', input('new_password', { type: 'password', autocomplete: 'new-password' }), { required: true, hint: '8–20 位，至少包含数字、字母、符号中的两种' }),
  ], async (v) => {
    await post('auth/password/reset', { phone: v.phone, code: v.code, new_password: v.new_password });
    toast('密码已重设，请登录');
    location.hash = '#/login';
  }, { submit: '找回密码' });
  return h('div.login-page', h('div.login-card', h('h2', '找回密码'), f, h('div.links', h('a', { href: '#/login' }, '返回登录'))));
}

// 2.1 个人中心: unit UKey users (avatar, digital certificate, seals in my UKey, main UKey and
// whitelist 1.2.1.1 / 2.4.7) and staff (avatar, personal signature, login and signing
// passwords, 国办签名 application).
import { get, post, put, del, agent, ApiError } from '../api.js';
import { h, clear, field, input, select, form, showError, toast, table, fmtTime, fileBase64, pageHeader, badge, dialog, confirmBox } from '../ui.js';
import { agentHelp } from './login.js';

function pictureFormat(file) {
  const ext = (file.name.split('.').pop() || '').toLowerCase();
  return ext === 'jpeg' ? 'jpg' : ext;
}

async function pictureUpload(files, fieldName) {
  const f = files && files[0];
  if (!f) throw new ApiError(400, { field: fieldName, message_zh: '请选择图片' });
  if (f.size > 2 * 1024 * 1024) throw new ApiError(400, { field: fieldName, message_zh: '图片不能超过 2 MB' });
  return { format: pictureFormat(f), data: await fileBase64(f) };
}

function avatarCard(avatar, reload) {
  const img = avatar
    ? h('img.avatar', { src: `/api/v1/avatars/${encodeURIComponent(avatar)}`, alt: '头像' })
    : h('div.avatar.empty', '无头像');
  return h('section.panel', h('h2', '设置头像'), h('div.row', img,
    form([field('选择图片（PNG/JPG/GIF，≤ 2 MB）', input('avatar', { type: 'file', accept: '.png,.jpg,.jpeg,.gif' }))],
      async (v) => {
        await put('me/avatar', await pictureUpload(v.avatar, 'avatar'));
        toast('头像已更新');
        reload();
      }, { submit: '上传头像' })));
}

// Sends a code to my phone for `purpose`, with the button counting down.
function myCodeButton(purpose) {
  const b = h('button.btn', { type: 'button' }, '获取验证码');
  b.onclick = async () => {
    b.disabled = true;
    try {
      await post('me/sms-code', { purpose });
      toast('验证码已发送到您的手机');
    } catch (e) { toast(e.message, 'err'); }
    setTimeout(() => { b.disabled = false; }, 60000);
  };
  return b;
}

// The seals in the inserted UKey, read through the agent (2.1.1.3 当前印章).
function ukeySealsPanel() {
  const box = h('div.ukey-seals', '正在读取 UKey 中的印章…');
  agent.call('GET', '/v1/seals').then((r) => {
    clear(box, table([
      ['印章名称', (s) => s.summary?.name || s.file],
      ['文件', (s) => s.file],
      ['印章编码', (s) => s.summary?.es_id || '—'],
      ['有效期', (s) => s.summary ? `${s.summary.valid_start} 至 ${s.summary.valid_end}` : '—'],
    ], r.seals, { empty: 'UKey 中没有印章' }));
  }).catch((e) => clear(box, h('p.muted', e.message, ' '), h('button.btn.small', { type: 'button', onclick: agentHelp }, '安装与启动证书助手')));
  return box;
}

async function staffCentre(main, me, ctx, reload) {
  const st = me.staff;
  const sig = await get('me/signature').catch((e) => { if (e.status === 404) return null; throw e; });
  const sigPreview = h('div.sig-preview', sig ? h('img', { src: sig.picture_url + '?t=' + sig.updated, alt: '个人签名' }) : '尚未设置个人签名');
  const sigForm = form([
    field('签名文字', input('text', { value: sig?.text || st.name, maxlength: 20 }), { required: true }),
    h('fieldset.kind', h('legend', '签名样式'),
      ['square', 'rect', 'uploaded'].map((k) => h('label', h('input', { type: 'radio', name: 'source', value: k, checked: (sig?.source || 'square') === k }),
        { square: ' 自动生成方形章', rect: ' 自动生成长方形章', uploaded: ' 上传手写签名' }[k]))),
    field('手写签名图片', input('picture', { type: 'file', accept: '.png,.jpg,.jpeg,.gif' }), { hint: '选择“上传手写签名”时需要；白色背景会变为透明' }),
  ], async (v) => {
    const body = { text: v.text, source: v.source };
    if (v.source === 'uploaded') body.picture = await pictureUpload(v.picture, 'picture');
    await put('me/signature', body);
    toast('个人签名已保存');
    reload();
  }, { submit: '保存签名' });
  clear(main,
    pageHeader('个人中心'),
    h('section.panel', h('h2', '账号信息'), h('dl.info',
      h('dt', '姓名'), h('dd', st.name),
      h('dt', '单位'), h('dd', me.unit.name),
      h('dt', '手机号'), h('dd', st.phone),
      h('dt', '身份证号'), h('dd', st.id_number),
      h('dt', '角色'), h('dd', st.roles.join('、') || '公务人员'))),
    avatarCard(st.avatar, reload),
    ctx.session.via_ukey ? h('section.panel', h('h2', '当前印章（个人 UKey 中）'), ukeySealsPanel()) : null,
    h('section.panel', h('h2', '个人签名设置'), h('div.row', sigPreview, sigForm)),
    h('div.grid2',
      h('section.panel', h('h2', '设置登录密码'), form([
        field('短信验证码', h('div.code-row', input('code', { inputmode: 'numeric', maxlength: 6 }), myCodeButton('set_password')), { required: true }),
        field('新登录密码', input('password', { type: 'password', autocomplete: 'new-password' }), { required: true, hint: '8–20 位，至少两类字符' }),
      ], async (v, f) => { await put('me/password', v); toast('登录密码已设置'); f.reset(); }, { submit: '设置登录密码', cls: 'set-password' })),
      h('section.panel', h('h2', '设置签署密码'), form([
        field('短信验证码', h('div.code-row', input('code', { inputmode: 'numeric', maxlength: 6 }), myCodeButton('set_password')), { required: true }),
        field('签署密码（6 位数字）', input('signing_password', { type: 'password', inputmode: 'numeric', maxlength: 6, autocomplete: 'off' }), { required: true }),
      ], async (v, f) => { await put('me/signing-password', v); toast('签署密码已设置'); f.reset(); }, { submit: '设置签署密码', cls: 'set-signing-password' }))),
    phonePanel(st, reload),
    h('section.panel', h('h2', '申请国办签名（个人 UKey）'), form([
      field('印章名称', input('name', { value: st.name }), { required: true }),
      field('经办人姓名', input('handler_name', { value: st.name }), { required: true }),
      field('经办人手机号', input('handler_phone', { value: st.phone }), { required: true }),
      field('经办人身份证号', input('handler_id_number', { value: st.id_number }), { required: true }),
    ], async (v) => { await post('me/personal-ukey-signatures', v); toast('申请已提交，等待 CA 审核'); }, { submit: '提交申请' })));
}

// 修改手机号 (2.1.2): a code to the current phone and one to the new phone; both are checked
// by PUT /me/phone, after which the account signs in with the new number.
function phonePanel(st, reload) {
  let f;
  const newCode = h('button.btn', { type: 'button' }, '获取验证码');
  newCode.onclick = async () => {
    const phone = f.elements.new_phone.value.trim();
    newCode.disabled = true;
    try {
      await post('me/phone/sms-code', { new_phone: phone });
      toast('验证码已发送到新手机号');
      setTimeout(() => { newCode.disabled = false; }, 60000);
    } catch (e) {
      newCode.disabled = false;
      showError(f, Object.assign(e, { field: 'new_phone' }));
    }
  };
  f = form([
    h('p.muted', `当前手机号：${st.phone}。修改后请用新手机号登录。`),
    field('当前手机验证码', h('div.code-row', input('current_code', { inputmode: 'numeric', maxlength: 6, autocomplete: 'one-time-code' }), myCodeButton('change_phone')), { required: true }),
    field('新手机号', input('new_phone', { type: 'tel', inputmode: 'numeric', maxlength: 11, autocomplete: 'tel' }), { required: true }),
    field('新手机验证码', h('div.code-row', input('new_code', { inputmode: 'numeric', maxlength: 6, autocomplete: 'off' }), newCode), { required: true }),
  ], async (v) => {
    await put('me/phone', v);
    toast('手机号已修改');
    reload();
  }, { submit: '修改手机号', cls: 'change-phone' });
  return h('section.panel', h('h2', '修改手机号'), f);
}

async function unitCentre(main, me, session, reload) {
  const cert = await get('unit/certificate').catch((e) => { if (e.status === 404) return null; throw e; });
  const keys = await get('unit/keys').catch(() => []);
  const ukeySeals = ukeySealsPanel();
  const c = cert?.certificate;
  const certPanel = h('section.panel', h('h2', '数字证书'),
    c ? h('dl.info',
      h('dt', '颁发对象'), h('dd', c.subject),
      h('dt', '颁发者'), h('dd', c.issuer),
      h('dt', '证件号'), h('dd', c.id_number),
      h('dt', '序列号'), h('dd.mono', c.serial),
      h('dt', '有效期'), h('dd', `${fmtTime(c.not_before)} 至 ${fmtTime(c.not_after)}`),
      h('dt', '有效性'), h('dd', c.valid_now ? badge('有效', 'ok') : badge('无效', 'bad')))
      : cert ? h('p', `已于 ${fmtTime(cert.application.applied)} 提交申请（经办人 ${cert.application.handler_name}），等待 CA 签发`)
        : form([
          h('p', '单位名称：', h('strong', me.unit.name)),
          field('经办人', input('handler_name', { placeholder: '请输入经办人姓名' }), { required: true }),
          field('身份证号', input('handler_id_number'), { required: true }),
          field('手机号', input('handler_phone', { type: 'tel' }), { required: true }),
          field('邮箱', input('handler_email', { type: 'email' }), { required: true }),
          field('', h('label', h('input', { type: 'checkbox', name: 'agreement_accepted' }), ' 我已阅读并同意《数字证书订户协议》')),
        ], async (v) => { await post('unit/certificate', v); toast('证书申请已提交'); reload(); }, { submit: '申请数字证书' }));
  const wl = me.unit.whitelist || [];
  clear(main,
    pageHeader('个人中心'),
    h('section.panel', h('h2', '单位信息'), h('dl.info',
      h('dt', '单位名称'), h('dd', me.unit.name),
      h('dt', '统一社会信用代码'), h('dd', me.unit.credit_code),
      h('dt', '主 UKey'), h('dd', me.unit.main_key || '未设置'))),
    avatarCard(me.unit.avatar, reload),
    certPanel,
    h('section.panel', h('h2', '当前印章（UKey 中）'), ukeySeals),
    h('section.panel', h('h2', '主 UKey 与白名单'),
      table([
        ['证书主题', (k) => k.cert_subject],
        ['设备标识', (k) => h('span.mono', k.device_id)],
        ['', (k) => [k.super_admin ? badge('超级管理员') : null, me.unit.main_key === k.id ? badge('主 UKey', 'ok') : null]],
        ['操作', (k) => me.unit.main_key === k.id ? '—' : h('button.btn.small', { type: 'button', onclick: async () => {
          if (!await confirmBox('设置主 UKey', '设置后只有主 UKey 与白名单中的 UKey 可以登录。确定？')) return;
          await put('unit/main-key', { key_id: k.id }); toast('已设为主 UKey'); reload();
        } }, '设为主 UKey')],
      ], keys),
      h('h3', 'UKey 白名单'),
      table([['设备标识', (d) => h('span.mono', d)], ['操作', (d) => h('button.btn.small.danger', { type: 'button', onclick: async () => {
        if (!await confirmBox('移出白名单', `移出 ${d}？`, { danger: true })) return;
        await del('unit/whitelist/' + encodeURIComponent(d)); reload();
      } }, '移除')]], wl, { empty: '白名单为空' }),
      form([field('UKey 设备标识（通用实体唯一标识）', input('device_id'), { required: true })],
        async (v) => { await post('unit/whitelist', v); toast('已加入白名单'); reload(); }, { submit: '加入白名单' })));
}

export async function render(main, ctx) {
  const reload = () => render(main, ctx);
  const me = await get('me');
  if (me.staff) await staffCentre(main, me, ctx, reload);
  else await unitCentre(main, me, ctx.session, reload);
}

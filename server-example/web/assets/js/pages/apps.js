// 2.9 应用中心: apps of the unit (新增 / 修改 / 删除), their secret (reveal, reset), details
// with the seals granted, and the review status (审核 by the back office).
import { get, post, put, del } from '../api.js';
import { h, clear, field, input, form, toast, table, fmtTime, pageHeader, badge, dialog, confirmBox } from '../ui.js';

const STATUS_ZH = { Pending: ['待审核', 'info'], Approved: ['已通过', 'ok'], Rejected: ['已驳回', 'bad'] };

function appForm(a, done) {
  return form([
    field('应用名称', input('name', { value: a?.name || '' }), { required: true }),
    field('联系人', input('contact', { value: a?.contact || '' })),
    field('手机号', input('phone', { type: 'tel', value: a?.phone || '' })),
    field('邮箱', input('email', { type: 'email', value: a?.email || '' })),
    field('应用公钥', h('textarea', { name: 'public_key', rows: 3, placeholder: '请输入应用公钥（SM2，base64）' }, a?.public_key || '')),
    field('IP 白名单', h('textarea', { name: 'ip_whitelist', rows: 2, placeholder: '请输入IP白名单，每行一个；留空为不限' }, (a?.ip_whitelist || []).join('\n'))),
  ], (v) => done({
    name: v.name, contact: v.contact || null, phone: v.phone || null, email: v.email || null,
    public_key: v.public_key || null, ip_whitelist: v.ip_whitelist.split(/\s+/).filter(Boolean),
  }), { submit: a ? '保存' : '新增', cls: 'app-form' });
}

export async function render(main, ctx) {
  const reload = () => render(main, ctx);
  const apps = await get('apps');
  const mayEdit = ['SuperAdmin', 'SystemAdmin', 'AppAdmin'].some((x) => ctx.session.roles.includes(x));
  const create = () => { const d = dialog('新增应用', appForm(null, async (b) => { await post('apps', b); d.close(); toast('应用已提交审核'); reload(); })); };
  const edit = (a) => { const d = dialog('修改应用', appForm(a, async (b) => { await put('apps/' + a.id, b); d.close(); toast('已保存'); reload(); })); };
  const secret = async (a) => {
    const s = await get(`apps/${a.id}/secret`);
    const body = h('div',
      h('dl.info', h('dt', 'AccessToken'), h('dd.mono', s.access_token), h('dt', 'AccessSecret'), h('dd.mono.secret', s.access_secret)),
      h('p.muted', '请妥善保管密钥，不要泄露给他人。'),
      h('div.actions', h('button.btn.danger', { type: 'button', onclick: async () => {
        if (!await confirmBox('重置密钥', '重置后原密钥立即失效，使用它的系统需要更新。确定重置？', { danger: true })) return;
        const n = await post(`apps/${a.id}/secret`);
        body.querySelector('.secret').textContent = n.access_secret;
        toast('密钥已重置');
      } }, '重置密钥')));
    dialog('查看密钥', body);
  };
  const details = async (a) => {
    const x = await get('apps/' + a.id);
    dialog('应用详情', [h('dl.info',
      h('dt', '应用名称'), h('dd', x.app.name), h('dt', '状态'), h('dd', badge(...(STATUS_ZH[x.app.status] || [x.app.status]))),
      x.app.reject_reason ? [h('dt', '驳回原因'), h('dd', x.app.reject_reason)] : null,
      h('dt', '联系人'), h('dd', x.app.contact || '—'), h('dt', '手机号'), h('dd', x.app.phone || '—'), h('dt', '邮箱'), h('dd', x.app.email || '—'),
      h('dt', 'IP 白名单'), h('dd', x.app.ip_whitelist.join('、') || '不限'), h('dt', '创建时间'), h('dd', fmtTime(x.app.created))),
    h('h3', '已授权印章'), table([['印章', (s) => s.name], ['状态', (s) => s.status_zh]], x.seals, { empty: '暂无' })], { wide: true });
  };
  clear(main, pageHeader('应用中心', mayEdit ? h('button.btn.primary#add-app', { type: 'button', onclick: create }, '新增应用') : null),
    h('section.panel', table([
      ['应用名称', (a) => a.name],
      ['联系人', (a) => a.contact || '—'],
      ['状态', (a) => badge(...(STATUS_ZH[a.status] || [a.status]))],
      ['创建时间', (a) => fmtTime(a.created)],
      ['操作', (a) => mayEdit ? [
        h('button.btn.small', { type: 'button', onclick: () => details(a) }, '详情'), ' ',
        h('button.btn.small', { type: 'button', onclick: () => edit(a) }, '修改'), ' ',
        h('button.btn.small', { type: 'button', onclick: () => secret(a) }, '查看密钥'), ' ',
        h('button.btn.small.danger', { type: 'button', onclick: async () => {
          if (!await confirmBox('删除应用', `删除“${a.name}”？删除后其授权一并失效。`, { danger: true })) return;
          await del('apps/' + a.id); toast('已删除'); reload();
        } }, '删除')] : '—'],
    ], apps, { empty: '暂无应用' })));
}

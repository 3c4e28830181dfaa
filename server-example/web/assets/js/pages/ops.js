// 运维后台 (the back office): CA review of seal and certificate applications, app review,
// the platform's switches (平台设置).
import { get, post, put } from '../api.js';
import { h, clear, field, input, form, toast, table, fmtTime, pageHeader, dialog } from '../ui.js';

function review(kind, item, reload) {
  const d = dialog(`审核：${item.name}`, form([
    h('fieldset.kind', h('legend', '审核结果'),
      h('label', h('input', { type: 'radio', name: 'decision', value: 'approve', checked: true }), ' 通过'),
      h('label', h('input', { type: 'radio', name: 'decision', value: 'reject' }), ' 驳回')),
    field('驳回原因', input('reason'), { hint: '驳回时必填' }),
  ], async (v) => {
    await post(`ops/${kind}/${item.id}/review`, { approve: v.decision === 'approve', reason: v.reason });
    d.close();
    toast('审核完成');
    reload();
  }, { submit: '提交', cls: 'review' }));
}

export const seals = {
  async render(main, ctx) {
    const reload = () => seals.render(main, ctx);
    const list = await get('ops/seals');
    clear(main, pageHeader('证书 / 印章审核'), h('section.panel', table([
      ['', (s) => h('img.file-thumb', { src: s.picture_url, alt: '' })],
      ['印章名称', (s) => s.name],
      ['种类', (s) => s.kind],
      ['经办人', (s) => `${s.handler_name}（${s.handler_phone}）`],
      ['申请时间', (s) => fmtTime(s.created)],
      ['操作', (s) => h('button.btn.small.primary', { type: 'button', onclick: () => review('seals', s, reload) }, '审核')],
    ], list, { empty: '没有待审核的申请' })));
  },
};

export const apps = {
  async render(main, ctx) {
    const reload = () => apps.render(main, ctx);
    const list = await get('ops/apps');
    clear(main, pageHeader('应用审核'), h('section.panel', table([
      ['应用名称', (a) => a.name], ['联系人', (a) => a.contact || '—'], ['IP 白名单', (a) => a.ip_whitelist.join('、') || '不限'],
      ['创建时间', (a) => fmtTime(a.created)],
      ['操作', (a) => h('button.btn.small.primary', { type: 'button', onclick: () => review('apps', a, reload) }, '审核')],
    ], list, { empty: '没有待审核的应用' })));
  },
};

export const switches = {
  async render(main) {
    const s = await get('ops/switches');
    const sw = (name, label, hint) => field('', h('label.switch', h('input', { type: 'checkbox', name, checked: s[name], role: 'switch' }), ' ' + label), { hint });
    clear(main, pageHeader('平台设置'), h('section.panel', form([
      sw('ca_review', '印章申请需 CA 审核', '关闭后申请的印章直接进入待回执'),
      sw('app_review', '应用需审核', '关闭后新增的应用直接可用'),
      sw('personal_ukey_signature', '开放公务人员国办签名申请', '个人中心 2.1.2.5'),
    ], async (v) => {
      await put('ops/switches', { ca_review: v.ca_review, app_review: v.app_review, personal_ukey_signature: v.personal_ukey_signature });
      toast('设置已保存');
    }, { submit: '保存设置', cls: 'switches' })));
  },
};

// 2.2 印章管理: the list with status/type/name filters and pictures (2.2.6), 申请印章 with a
// generated picture previewed live or an uploaded one (2.2.1), and one seal's page: receipt,
// write to UKey, freeze / unfreeze, revoke with the second confirmation (2.2.2), users (2.2.3),
// app grants with their confirmation policy (2.2.4) and the seal log (2.2.5).
import { get, post, put, del, agent, qs, api, ApiError } from '../api.js';
import { h, clear, field, input, select, form, toast, table, pager, fmtTime, fileBase64, pageHeader, badge, dialog, confirmBox, values } from '../ui.js';
import { staffPicker, nameOf } from '../people.js';

const STATUS = [['', '全部状态'], ['PendingReview', '待审核'], ['AwaitingReceipt', '待回执'], ['Valid', '有效'], ['Frozen', '已冻结'], ['Expired', '已过期'], ['Revoked', '已撤销'], ['Rejected', '已驳回']];
const KIND = [['', '全部类型'], ['Cloud', '云端印章'], ['Ukey', 'UKey 印章'], ['PersonalUkey', '个人 UKey 签名']];
const KIND_ZH = { Cloud: '云端印章', Ukey: 'UKey 印章', PersonalUkey: '个人签名' };
const STYLES = [['common', '普通公章'], ['party', '党纪委公章'], ['union', '工会公章'], ['youth', '共青团章'], ['invoice', '发票专用章（椭圆）'], ['oval', '财务/合同专用章（椭圆）'], ['square-finance', '方形财务专用章']];
const statusKind = (s) => ({ Valid: 'ok', Frozen: 'warn', PendingReview: 'info', AwaitingReceipt: 'info' }[s] || 'bad');

export async function render(main, ctx) {
  if (ctx.rest[0]) return detail(main, ctx, ctx.rest[0]);
  const p = ctx.params;
  const filters = form([
    field('印章状态', select('status', STATUS, { value: p.get('status') || '' })),
    field('印章类型', select('kind', KIND)),
    field('印章名称', input('name', { value: p.get('name') || '', placeholder: '输入名称搜索' })),
  ], async (v) => { location.hash = '#/seals' + qs({ ...v, page: 1 }); }, { submit: '搜索', cls: 'filters' });
  filters.elements.status.value = p.get('status') || '';
  filters.elements.kind.value = p.get('kind') || '';
  const page = Number(p.get('page') || 1);
  const r = await get('seals' + qs({ status: p.get('status'), kind: p.get('kind'), name: p.get('name'), page }));
  const roles = ctx.session.roles;
  const mayApply = ['SuperAdmin', 'SystemAdmin', 'SealAdmin', 'SealMaker'].some((x) => roles.includes(x));
  clear(main,
    pageHeader('印章管理', mayApply ? h('button.btn.primary#apply-seal', { type: 'button', onclick: () => applyDialog(ctx) }, '申请印章') : null),
    h('section.panel', filters),
    h('div.seal-grid', r.items.length ? r.items.map((s) => h('a.seal-card', { href: '#/seals/' + s.id },
      h('img', { src: s.picture_url, alt: s.name, loading: 'lazy' }),
      h('div.seal-name', s.name),
      h('div.seal-meta', badge(s.status_zh, statusKind(s.status)), ' ', KIND_ZH[s.kind] || s.kind, ` · ${s.width_mm}×${s.height_mm} mm`))) : h('p.empty', '没有符合条件的印章')),
    pager(r.page, r.pages, (n) => { p.set('page', n); location.hash = '#/seals?' + p; }));
}

function applyDialog(ctx) {
  const unitName = ctx.session.unit_name;
  const preview = h('img.seal-preview', { alt: '印章预览' });
  const previewBox = h('div.preview-box', preview, h('div.hint', '实时预览'));
  let timer;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const v = values(f);
      if (v.source !== 'generated' || !v.ring_text) return;
      try {
        const r = await api('POST', 'seal-pictures/preview', { style: v.style, text: v.ring_text, bottom_text: v.bottom_text || null, code: v.code || null }, { raw: true });
        const url = URL.createObjectURL(await r.blob());
        preview.src = url;
        preview.classList.remove('stale');
      } catch (e) { preview.classList.add('stale'); }
    }, 250);
  };
  const isUnitKey = ctx.session.kind === 'unit_key';
  const f = form([
    h('div.grid2.tight',
      field('印章种类', select('kind', [['cloud', '云端印章'], ...(isUnitKey ? [['ukey', 'USB KEY 印章']] : [])]), { required: true }),
      field('印章名称', input('name', { placeholder: '如：' + unitName + '合同专用章' }), { required: true }),
      field('印章类型', select('seal_type', [['1', '单位印章（公章、专用章）'], ['2', '个人印章']]), { required: true }),
      field('经办人名称', input('handler_name'), { required: true }),
      field('经办人手机号', input('handler_phone', { type: 'tel', maxlength: 11 }), { required: true }),
      field('经办人身份证号', input('handler_id_number', { maxlength: 18 }), { required: true }),
      field('印章规格（毫米）', h('div.size-row', input('width_mm', { type: 'number', min: 10, max: 100, value: 42 }), ' × ', input('height_mm', { type: 'number', min: 10, max: 100, value: 42 })), { hint: '公章常用 42 × 42 mm' })),
    h('fieldset.kind', h('legend', '印章图片'),
      h('label', h('input', { type: 'radio', name: 'source', value: 'generated', checked: true }), ' 自动生成'),
      h('label', h('input', { type: 'radio', name: 'source', value: 'uploaded' }), ' 上传图片')),
    h('div.generated', h('div.grid2',
      h('div',
        field('样式', select('style', STYLES)),
        field('环绕文字（单位名称）', input('ring_text', { value: unitName })),
        field('中间下方文字', input('bottom_text', { placeholder: '如：合同专用章' })),
        field('印章编码（底部）/ 纳税人识别号（发票专用章）', input('code', { placeholder: '可不填；发票专用章必填' }))),
      previewBox)),
    h('div.uploaded.hidden', field('印章图片（PNG/JPG/GIF）', input('picture', { type: 'file', accept: '.png,.jpg,.jpeg,.gif' }), { hint: '白色背景会变为透明' })),
  ], async (v) => {
    const body = {
      kind: v.kind, name: v.name, seal_type: Number(v.seal_type),
      handler_name: v.handler_name, handler_phone: v.handler_phone, handler_id_number: v.handler_id_number,
      width_mm: Number(v.width_mm) || 0, height_mm: Number(v.height_mm) || 0,
    };
    if (v.source === 'uploaded') {
      const file = v.picture && v.picture[0];
      if (!file) throw new ApiError(400, { field: 'picture', message_zh: '请选择印章图片' });
      const ext = file.name.split('.').pop().toLowerCase();
      body.picture = { format: ext === 'jpeg' ? 'jpg' : ext, data: await fileBase64(file) };
    } else {
      body.generated = { style: v.style, text: v.ring_text, bottom_text: v.bottom_text || null, code: v.code || null };
    }
    const s = await post('seals', body);
    dlg.close();
    toast(`申请已提交：${s.name}（${s.status_zh}）`);
    location.hash = '#/seals/' + s.id;
  }, { submit: '提交申请', cls: 'apply-seal' });
  f.addEventListener('input', refresh);
  f.addEventListener('change', (ev) => {
    if (ev.target.name === 'source') {
      const up = ev.target.value === 'uploaded';
      f.querySelector('.generated').classList.toggle('hidden', up);
      f.querySelector('.uploaded').classList.toggle('hidden', !up);
    }
  });
  const dlg = dialog('申请电子印章', f, { wide: true });
  refresh();
}

// The second confirmation of a revocation (2.2.2): the server hands a one-time code that the
// user types back.
async function revoke(s, reload) {
  const c = await post(`seals/${s.id}/revocation`);
  const dlg = dialog('撤销印章（二次确认）', form([
    h('p.warn', `撤销后“${s.name}”将永久不能使用，此操作不可恢复。`),
    h('p', '请输入确认码 ', h('strong.mono#revoke-code', c.confirmation), ` 以确认撤销（${Math.round(c.expires_in / 60)} 分钟内有效）`),
    field('确认码', input('confirmation', { autocomplete: 'off' }), { required: true }),
  ], async (v) => {
    await post(`seals/${s.id}/revoke`, { confirmation: v.confirmation });
    dlg.close();
    toast('印章已撤销');
    reload();
  }, { submit: '确认撤销', cls: 'revoke' }));
}

// 写入 UKey (2.2.2): the UKey's certificate from the agent, the seal the platform makes for
// it, written into the key by the agent.
function writeToUkey(s, reload) {
  const dlg = dialog('写入 UKey', form([
    h('p', '请插入要写入的 UKey，并确认证书助手已启动。'),
    field('UKey 密码', input('pin', { type: 'password', autocomplete: 'off' }), { required: true }),
  ], async (v) => {
    const id = await agent.call('GET', '/v1/identity');
    const r = await post(`seals/${s.id}/write-to-ukey`, { certificate: id.certificate });
    await agent.call('POST', '/v1/write-seal', { pin: v.pin, seal: r.seal_der });
    dlg.close();
    toast('印章已写入 UKey');
    reload();
  }, { submit: '写入', cls: 'write-ukey' }));
}

function policyForm(seal, app, grant, reload) {
  const pol = grant.policy || { kind: 'none' };
  const f = form([
    h('fieldset.kind', h('legend', '签署确认方式'),
      [['none', '无需确认'], ['system_check', '系统校验'], ['manual', '人工确认']].map(([k, t]) =>
        h('label', h('input', { type: 'radio', name: 'kind', value: k, checked: pol.kind === k }), ' ' + t))),
    field('调用次数上限（系统校验）', input('call_limit', { type: 'number', min: 1, value: pol.call_limit ?? '' }), { hint: '留空为不限' }),
    field('', h('label', h('input', { type: 'checkbox', name: 'token_check', checked: !!pol.token_check }), ' 校验调用令牌（系统校验）')),
    field('确认人（人工确认，可多选）', staffPicker('confirmers', { multiple: true, selected: pol.confirmers || [] })),
    field('', h('label', h('input', { type: 'checkbox', name: 'sms_notice', checked: !!pol.sms_notice }), ' 短信通知确认人（人工确认）')),
  ], async (v, fm) => {
    let body;
    if (v.kind === 'system_check') body = { kind: 'system_check', call_limit: v.call_limit ? Number(v.call_limit) : null, token_check: v.token_check };
    else if (v.kind === 'manual') body = { kind: 'manual', confirmers: [...fm.elements.confirmers.selectedOptions].map((o) => o.value), sms_notice: v.sms_notice };
    else body = { kind: 'none' };
    await put(`seals/${seal.id}/grants/${app.id}/policy`, body);
    toast('确认策略已保存');
    reload();
  }, { submit: '保存策略', cls: 'policy' });
  return f;
}

async function detail(main, ctx, id) {
  const reload = () => detail(main, ctx, id);
  const s = await get('seals/' + id);
  const [log, apps] = await Promise.all([
    get(`seals/${id}/log`).catch(() => null),
    get('apps').catch(() => null),
  ]);
  const act = (label, fn, cls = '') => h('button.btn' + cls, { type: 'button', onclick: async (ev) => {
    ev.currentTarget.disabled = true;
    try { await fn(); } catch (e) { toast(e.message, 'err'); } finally { ev.currentTarget && (ev.currentTarget.disabled = false); }
  } }, label);
  const actions = [];
  // 回执: a 国办签名 (personal UKey) is receipted by its owner in 个人中心's terms (2.1.2.5).
  const receiptPath = s.kind === 'PersonalUkey' ? `me/personal-ukey-signatures/${id}/receipt` : `seals/${id}/receipt`;
  if (s.status === 'AwaitingReceipt') actions.push(act('确认回执', async () => { await post(receiptPath); toast('已回执，印章生效'); reload(); }, '.primary'));
  if (s.kind === 'Ukey' && s.status === 'Valid' && !s.written_to_ukey) actions.push(act('写入 UKey', async () => writeToUkey(s, reload), '.primary'));
  if (s.status === 'Valid') actions.push(act('冻结', async () => { if (await confirmBox('冻结印章', `冻结后“${s.name}”暂停使用，可随时解冻。`)) { await post(`seals/${id}/freeze`); toast('已冻结'); reload(); } }));
  if (s.status === 'Frozen') actions.push(act('解冻', async () => { await post(`seals/${id}/unfreeze`); toast('已解冻'); reload(); }));
  if (['Valid', 'Frozen'].includes(s.status)) actions.push(act('撤销', () => revoke(s, reload), '.danger'));

  const grants = h('div.grants');
  if (apps && s.kind === 'Cloud') {
    const rows = await Promise.all(apps.map(async (a) => [a, await get(`seals/${id}/grants/${a.id}`).catch(() => null)]));
    const granted = rows.filter(([, g]) => g && !g.removed);
    clear(grants,
      granted.length ? granted.map(([a, g]) => h('details.grant',
        h('summary', `${a.name}（已调用 ${g.calls} 次，${{ none: '无需确认', system_check: '系统校验', manual: '人工确认' }[g.policy.kind]}）`),
        policyForm(s, a, g, reload),
        act('取消授权', async () => { if (await confirmBox('取消授权', `取消“${a.name}”使用本印章的授权？`, { danger: true })) { await del(`seals/${id}/grants/${a.id}`); reload(); } }, '.danger.small'))) : h('p.muted', '尚未授权任何应用'),
      form([field('授权给应用', select('app_id', rows.filter(([, g]) => !g || g.removed).map(([a]) => [a.id, a.name])))],
        async (v) => { if (!v.app_id) throw new ApiError(400, { field: 'app_id', message_zh: '请选择应用' }); await post(`seals/${id}/grants`, { app_id: v.app_id }); toast('已授权'); reload(); }, { submit: '授权', cls: 'grant' }));
  }
  clear(main,
    pageHeader('印章管理 / 印章详情', h('a.btn', { href: '#/seals' }, '返回列表')),
    h('section.panel.seal-detail',
      h('img.seal-big', { src: s.picture_url, alt: s.name }),
      h('div',
        h('h2', s.name, ' ', badge(s.status_zh, statusKind(s.status))),
        s.reject_reason ? h('p.warn', '驳回原因：' + s.reject_reason) : null,
        h('dl.info',
          h('dt', '印章种类'), h('dd', KIND_ZH[s.kind] || s.kind),
          h('dt', '印章规格'), h('dd', `${s.width_mm} × ${s.height_mm} mm`),
          h('dt', '经办人'), h('dd', `${s.handler_name}（${s.handler_phone}）`),
          h('dt', '有效期'), h('dd', s.valid_from ? `${fmtTime(s.valid_from)} 至 ${fmtTime(s.valid_to)}` : '—'),
          h('dt', '已写入 UKey'), h('dd', s.kind === 'Ukey' ? (s.written_to_ukey ? '是' : '否') : '—'),
          h('dt', '签章次数'), h('dd', String(s.sign_count)),
          h('dt', '申请时间'), h('dd', fmtTime(s.created))),
        h('div.actions.left', actions))),
    s.kind === 'Cloud' ? h('section.panel', h('h2', '印章使用人'),
      table([['姓名', (u) => nameOf(u)], ['操作', (u) => act('移除', async () => { await del(`seals/${id}/users/${u}`); reload(); }, '.small')]], s.users, { empty: '尚未设置使用人' }),
      form([field('添加使用人', staffPicker('staff_id', { exclude: s.users }))],
        async (v) => { await post(`seals/${id}/users`, v); toast('已添加使用人'); reload(); }, { submit: '添加', cls: 'add-user' })) : null,
    s.kind === 'Cloud' && apps ? h('section.panel', h('h2', '授权应用'), grants) : null,
    log ? h('section.panel', h('h2', '操作日志'), table([
      ['操作人', (l) => l.operator], ['操作', (l) => l.action], ['操作时间', (l) => fmtTime(l.time)],
    ], log)) : null);
}

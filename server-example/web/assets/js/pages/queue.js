// 2.8 签署授权: the apps' signing requests waiting for my confirmation, with status / file
// type / date filters, approve or reject one, or many at once (批量通过 / 批量拒绝).
import { get, post, qs } from '../api.js';
import { h, clear, field, input, select, form, toast, table, pager, fmtTime, pageHeader, badge, confirmBox } from '../ui.js';

const STATUS_ZH = { Pending: ['待确认', 'info'], Approved: ['已通过', 'ok'], Rejected: ['已拒绝', 'bad'], Used: ['已签署', 'ok'] };
const day = (s, end) => (s ? Math.floor(new Date(s + (end ? 'T23:59:59' : 'T00:00:00')).getTime() / 1000) : '');
const dateOf = (t) => (t ? new Date(t * 1000).toISOString().slice(0, 10) : '');

export async function render(main, ctx) {
  const p = ctx.params;
  const status = p.has('status') ? p.get('status') : 'Pending';
  const q = { status, file_type: p.get('file_type'), from: p.get('from'), to: p.get('to') };
  const go = (o) => { location.hash = '#/queue' + qs({ ...q, ...o }); };
  const r = await get('queue' + qs({ ...q, page: p.get('page') || 1 }));
  const chosen = new Set();
  const decide = async (ids, approve) => {
    if (!ids.length) { toast('请先勾选要处理的请求', 'err'); return; }
    if (!await confirmBox(approve ? '批量通过' : '批量拒绝', `${approve ? '通过' : '拒绝'}所选的 ${ids.length} 个签署请求？`, { danger: !approve })) return;
    const res = ids.length === 1
      ? [await post(`queue/${ids[0]}/${approve ? 'approve' : 'reject'}`).then(() => ({ ok: true }))]
      : await post('queue/batch', { ids, approve });
    const bad = res.filter((x) => !x.ok);
    toast(bad.length ? `${ids.length - bad.length} 个已处理，${bad.length} 个失败：${bad[0].error?.message_zh || ''}` : `已${approve ? '通过' : '拒绝'} ${ids.length} 个请求`, bad.length ? 'err' : 'ok');
    render(main, ctx);
  };
  const filters = form([
    field('状态', select('status', [['', '全部'], ['Pending', '待确认'], ['Approved', '已通过'], ['Rejected', '已拒绝'], ['Used', '已签署']])),
    field('文件类型', select('file_type', [['', '全部'], ['Pdf', 'PDF'], ['Ofd', 'OFD']])),
    field('开始日期', input('from', { type: 'date', value: dateOf(q.from) })),
    field('结束日期', input('to', { type: 'date', value: dateOf(q.to) })),
  ], async (v) => go({ status: v.status, file_type: v.file_type, from: day(v.from), to: day(v.to, true), page: 1 }), { submit: '筛选', cls: 'filters' });
  filters.elements.status.value = status;
  filters.elements.file_type.value = q.file_type || '';
  const all = h('input', { type: 'checkbox', 'aria-label': '全选', onchange: (e) => {
    main.querySelectorAll('input.pick').forEach((c) => { c.checked = e.target.checked; c.dispatchEvent(new Event('change')); });
  } });
  clear(main, pageHeader('签署授权',
    h('button.btn.primary#batch-approve', { type: 'button', onclick: () => decide([...chosen], true) }, '批量通过'),
    h('button.btn.danger#batch-reject', { type: 'button', onclick: () => decide([...chosen], false) }, '批量拒绝')),
  h('section.panel', filters),
  h('section.panel', table([
    [all, (x) => x.status === 'Pending' ? h('input.pick', { type: 'checkbox', 'aria-label': '选择 ' + x.file_name, onchange: (e) => { if (e.target.checked) chosen.add(x.id); else chosen.delete(x.id); } }) : ''],
    ['应用', (x) => x.app_name],
    ['印章', (x) => x.seal_name],
    ['文件', (x) => x.file_name],
    ['类型', (x) => x.file_type],
    ['页数', (x) => String(x.pages)],
    ['请求时间', (x) => fmtTime(x.time)],
    ['状态', (x) => badge(...(STATUS_ZH[x.status] || [x.status]))],
    ['操作', (x) => x.status === 'Pending' ? [
      h('button.btn.small.primary', { type: 'button', onclick: () => decide([x.id], true) }, '通过'), ' ',
      h('button.btn.small.danger', { type: 'button', onclick: () => decide([x.id], false) }, '拒绝')] : (x.decided_at ? fmtTime(x.decided_at) : '—')],
  ], r.items, { empty: '没有签署请求' }), pager(r.page, r.pages, (n) => go({ page: n }))));
}

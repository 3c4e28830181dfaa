// 2.3 人员管理 (initial-letter index, resigned filter, search, add / edit / remove) and
// 2.4 权限管理 (members of each assignable role; 系统管理员 for unit UKeys).
import { get, post, put, del, qs } from '../api.js';
import { h, clear, field, input, form, toast, table, pager, fmtTime, pageHeader, badge, dialog, confirmBox } from '../ui.js';
import { staffPicker, nameOf } from '../people.js';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');
const ROLE_ZH = { AppAdmin: '应用管理员', StaffAdmin: '公务人员管理员', SystemAdmin: '系统管理员', SealAdmin: '印章管理员', Auditor: '审计员', SealMaker: '印章制作员', SuperAdmin: '超级管理员', Staff: '公务人员' };

function staffForm(st, done) {
  return form([
    field('姓名', input('name', { value: st?.name || '' }), { required: true }),
    field('手机号', input('phone', { type: 'tel', maxlength: 11, value: st?.phone || '' }), { required: true }),
    field('身份证号', input('id_number', { maxlength: 18, value: st?.id_number || '' }), { required: true }),
    st ? field('', h('label', h('input', { type: 'checkbox', name: 'resigned', checked: st.resigned }), ' 已离职')) : null,
  ], done, { submit: st ? '保存' : '新增', cls: 'staff-form' });
}

export const list = {
  async render(main, ctx) {
    const p = ctx.params;
    const reload = () => list.render(main, ctx);
    const go = (o) => { location.hash = '#/staff' + qs({ initial: p.get('initial'), resigned: p.get('resigned'), q: p.get('q'), ...o }); };
    const r = await get('staff' + qs({ initial: p.get('initial'), resigned: p.get('resigned'), q: p.get('q'), page: p.get('page') || 1 }));
    const roles = ctx.session.roles;
    const mayEdit = ['SuperAdmin', 'SystemAdmin', 'StaffAdmin'].some((x) => roles.includes(x));
    const add = () => {
      const dlg = dialog('新增公务员', staffForm(null, async (v) => {
        await post('staff', v);
        dlg.close();
        toast('已新增公务员');
        reload();
      }));
    };
    const edit = (st) => {
      const dlg = dialog('编辑公务员', staffForm(st, async (v) => {
        await put('staff/' + st.id, v);
        dlg.close();
        toast('已保存');
        reload();
      }));
    };
    const remove = async (st) => {
      if (!await confirmBox('移除公务员', `移除“${st.name}”？移除后该人员不能再登录。`, { danger: true })) return;
      await del('staff/' + st.id);
      toast('已移除');
      reload();
    };
    const initial = p.get('initial') || '';
    clear(main,
      pageHeader('人员管理', mayEdit ? h('button.btn.primary#add-staff', { type: 'button', onclick: add }, '新增公务员') : null),
      h('section.panel',
        h('nav.letters', { 'aria-label': '首字母索引' },
          h('button.letter' + (initial ? '' : '.active'), { type: 'button', onclick: () => go({ initial: '' }) }, '全部'),
          LETTERS.map((l) => h('button.letter' + (initial === l ? '.active' : ''), { type: 'button', onclick: () => go({ initial: l }) }, l))),
        form([
          field('搜索', input('q', { value: p.get('q') || '', placeholder: '姓名、手机号' })),
          field('', h('label', h('input', { type: 'checkbox', name: 'resigned', checked: p.get('resigned') === 'true' }), ' 只看已离职')),
        ], async (v) => go({ q: v.q, resigned: v.resigned ? 'true' : '' }), { submit: '搜索', cls: 'filters' })),
      h('section.panel', table([
        ['姓名', (s) => [s.name, s.resigned ? [' ', badge('已离职', 'bad')] : null]],
        ['首字母', (s) => s.initial],
        ['手机号', (s) => s.phone],
        ['身份证号', (s) => s.id_number],
        ['角色', (s) => s.roles.map((x) => ROLE_ZH[x] || x).join('、')],
        ['加入时间', (s) => fmtTime(s.created)],
        ['操作', (s) => mayEdit ? [h('button.btn.small', { type: 'button', onclick: () => edit(s) }, '编辑'), ' ',
          h('button.btn.small.danger', { type: 'button', onclick: () => remove(s) }, '移除')] : '—'],
      ], r.items, { empty: '没有符合条件的人员' }), pager(r.page, r.pages, (n) => go({ page: n }))));
  },
};

export const roles = {
  async render(main, ctx) {
    const reload = () => roles.render(main, ctx);
    const [rs, keys] = await Promise.all([get('roles'), get('unit/keys').catch(() => [])]);
    // A member is a staff id, or for the unit-key roles a UKey's id.
    const memberName = (id) => keys.find((k) => k.id === id)?.cert_subject || nameOf(id);
    clear(main, pageHeader('权限管理'),
      rs.map((r) => h('section.panel.role', { 'data-role': r.role },
        h('h2', r.name_zh),
        table([['成员', (m) => memberName(m)], ['操作', (m) => h('button.btn.small', { type: 'button', onclick: async () => {
          await del(`roles/${r.role}/members/${m}`); toast('已移除'); reload();
        } }, '移除')]], r.members, { empty: '暂无成员' }),
        form([field('添加成员', r.assignable ? staffPicker('staff_id', { exclude: r.members })
          : h('select', { name: 'staff_id' }, keys.filter((k) => !r.members.includes(k.id)).map((k) => h('option', { value: k.id }, k.cert_subject))))],
        async (v) => { await post(`roles/${r.role}/members`, v); toast('已添加'); reload(); }, { submit: '添加', cls: 'add-member' }))));
  },
};

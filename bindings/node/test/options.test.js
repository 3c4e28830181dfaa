// Every signing option of issue 16 from Node: PDF shapes and dictionary entries, DocMDP,
// several stamps, cross-page seals, keyword placement, QR codes, stamp pictures and deferred
// signing; each signed file verified by the core.
'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const eseal = require(process.env.ESEAL_NODE_PACKAGE || '..')

const REPO = path.resolve(__dirname, '..', '..', '..')
const PLAIN = path.join(REPO, 'vectors', 'bindings')
const pdf = path.join(PLAIN, 'plain.pdf')
const ofd = path.join(PLAIN, 'plain.ofd')
const ca = new eseal.TestCa('xlang')
const person = ca.signer('person')
const trust = [ca.rootCertPem]
const png = fs.readFileSync(path.join(REPO, 'vectors', 'ses', 'picture-8x8.png'))
const seal = eseal.Seal.createSync(ca.signer('unit'), { name: '上海市测试局', esId: '310000000000053', picture: png, signerCerts: [person.certificatePem] })

async function validPdf (signed, n) {
  const r = await eseal.verifyPdf(signed, { trust })
  assert.equal(r.verdict, 'valid', JSON.stringify(r.signatures.map((s) => s.checks.filter((c) => c.status !== 'passed'))))
  assert.equal(r.signatures.length, n)
  return r
}

test('PDF shapes with reason, location, contact and field name', async () => {
  for (const shape of ['ses', 'sm2-cms', 'sm2-cms-gm']) {
    const signed = await eseal.signPdf(pdf, seal, person, { shape, reason: '同意', location: '上海', contact: 'legal@example.cn', fieldName: `Sig_${shape}` })
    await validPdf(signed, 1)
    for (const t of ['/Reason', '/Location', '/ContactInfo', `Sig_${shape}`]) assert.ok(signed.includes(t), t)
  }
  await assert.rejects(eseal.signPdf(pdf, seal, person, { shape: 'pades' }), { code: 'ESEAL_INVALID_INPUT', message: /pades/ })
  await assert.rejects(eseal.signOfd(ofd, seal, person, { reason: 'x' }), { code: 'ESEAL_INVALID_INPUT', message: /PDF/ })
})

test('DocMDP certification levels', async () => {
  for (const certify of [1, 2, 3]) {
    const signed = await eseal.signPdf(pdf, seal, person, { certify })
    await validPdf(signed, 1)
    assert.ok(signed.includes('/DocMDP') && signed.includes(`/P ${certify}`))
  }
  await assert.rejects(eseal.signPdf(pdf, seal, person, { certify: 4 }), { code: 'ESEAL_INVALID_INPUT' })
})

test('several stamps, a cross-page seal, a QR code', async () => {
  const stamps = [{ page: 1, x: 20, y: 20, width: 40, height: 40 }, { page: 1, x: 150, y: 60, width: 40, height: 40 }]
  await validPdf(await eseal.signPdf(pdf, seal, person, { stamps }), 2)
  const ofd2 = path.join(PLAIN, 'two-pages.ofd')
  const pdf2 = path.join(PLAIN, 'two-pages.pdf')
  const o = await eseal.signOfd(ofd2, seal, person, { stamps: [{ x: 20, y: 20 }, { x: 120, y: 200 }], crossPage: { edge: 'left', alongMm: 30 } })
  assert.equal((await eseal.verifyOfd(o, { trust })).verdict, 'valid')
  await validPdf(await eseal.signPdf(pdf2, seal, person, { crossPage: { pages: 'all', edge: 'right', minSliceMm: 5, widthMm: 40, heightMm: 40 } }), 1)
  await assert.rejects(eseal.signPdf(pdf2, seal, person, { crossPage: { edge: 'middle' } }), { code: 'ESEAL_INVALID_INPUT', message: /edge/ })
  const qr = await eseal.stampQr({ template: 'https://verify.example.cn/v?id={doc_id}&h={digest}', docId: 'n-1', digest: Buffer.alloc(32), sizeMm: 20 })
  await validPdf(await eseal.signPdf(pdf, seal, person, { qr: { png: qr.png, page: 1, x: 220, y: 120, size: 57 } }), 1)
})

test('keyword placement and ESEAL_KEYWORD_NOT_FOUND', async () => {
  await validPdf(await eseal.signPdf(pdf, seal, person, { keyword: { text: 'bindings', occurrence: 'first', anchor: 'end', offsetMm: [2, 0], sizeMm: [20, 20] } }), 1)
  assert.equal((await eseal.verifyOfd(await eseal.signOfd(ofd, seal, person, { keyword: { text: 'bindings', occurrence: 1 } }), { trust })).verdict, 'valid')
  for (const [sign, doc] of [[eseal.signPdf, pdf], [eseal.signOfd, ofd]]) {
    await assert.rejects(sign(doc, seal, person, { keyword: { text: '甲方（盖章）' } }), { code: 'ESEAL_KEYWORD_NOT_FOUND', message: /甲方/ })
    await assert.rejects(sign(doc, seal, person, { keyword: { text: 'bindings', occurrence: 2 } }), { code: 'ESEAL_KEYWORD_NOT_FOUND' })
  }
  await assert.rejects(eseal.signPdf(pdf, seal, person, { keyword: { text: 'bindings', offsetMm: [1] } }), { code: 'ESEAL_INVALID_INPUT' })
})

test('stamp pictures: unit styles, personal seals, import, fonts', async () => {
  const unit = await eseal.stampUnit({ style: 'common', name: '上海市测试有限公司', bottom: '合同专用章', code: '3101000000001' })
  assert.ok(unit.png.subarray(0, 4).equals(Buffer.from('\x89PNG', 'latin1')) && unit.svg.startsWith('<svg'))
  assert.equal(Math.round(unit.widthMm), 42)
  for (const style of ['party', 'union', 'youth', 'oval', 'square-finance']) assert.ok((await eseal.stampUnit({ style, name: '上海市测试有限公司' })).png.length > 100, style)
  assert.equal(Math.round((await eseal.stampUnit({ style: 'invoice', name: '上海市测试有限公司', code: '91310000MA1FL0000X' })).widthMm), 40)
  await assert.rejects(eseal.stampUnit({ style: 'invoice', name: '上海市测试有限公司' }), { code: 'ESEAL_INVALID_INPUT', message: /纳税人识别号/ })
  for (const shape of ['square', 'rect', 'legal']) assert.ok((await eseal.stampPersonal({ name: '张三', shape })).png.length > 100, shape)
  assert.ok(eseal.stampFonts().length > 0)
  await assert.rejects(eseal.stampPersonal({ name: '张三', font: 'No Such Font Family' }), { code: 'ESEAL_INVALID_INPUT' })
  const imported = await eseal.stampImport(path.join(PLAIN, 'seal.jpg'), { widthMm: 40, heightMm: 40 })
  assert.equal(Math.round(imported.widthMm), 40)
})

test('deferred signing: prepare, sign e outside, finish', async () => {
  for (const [prepare, finish, verify, doc, options] of [
    [eseal.preparePdf, eseal.finishPdf, eseal.verifyPdf, pdf, { reason: '同意', stamp: { x: 150, y: 60 } }],
    [eseal.prepareOfd, eseal.finishOfd, eseal.verifyOfd, ofd, { stamp: { x: 30, y: 40 } }],
  ]) {
    const { digest, state } = await prepare(doc, seal, person.certificatePem, options)
    assert.equal(digest.length, 32)
    const signature = await person.signPrepared(digest)
    const signed = await finish(doc, seal, state, signature, options)
    assert.equal((await verify(signed, { trust })).verdict, 'valid')
    await assert.rejects(finish(doc, seal, state, await ca.signer('unit').signPrepared(digest), options), { code: 'ESEAL_INVALID_INPUT' })
    await assert.rejects(finish(doc, seal, Buffer.from('junk'), signature, options), { code: 'ESEAL_INVALID_INPUT' })
  }
  await assert.rejects(eseal.preparePdf(pdf, seal, person.certificatePem, { stamps: [{}, { x: 100 }] }), { code: 'ESEAL_INVALID_INPUT', message: /one signature/ })
})

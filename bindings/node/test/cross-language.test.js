// Signatures made from C and Python verify from Node; Node leaves its own for them
// (scripts/test.d/80-bindings.sh shares ESEAL_XLANG_DIR between the three suites).
'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const eseal = require(process.env.ESEAL_NODE_PACKAGE || '..')

const dir = process.env.ESEAL_XLANG_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'eseal-xlang-'))
const DATA = Buffer.from('eseal from Node: signed for the other languages')

test('leave a signature for the others', async () => {
  const ca = new eseal.TestCa('xlang')
  const person = ca.signer('person')
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><circle cx="5" cy="5" r="4"/></svg>')
  const seal = await eseal.Seal.create(ca.signer('unit'), { name: '上海市测试局', esId: '310000000000045', picture: svg, signerCerts: [person.certificatePem] })
  const sig = await eseal.signData(seal, person, DATA, { propertyInfo: '/node.data' })
  fs.writeFileSync(path.join(dir, 'node.data'), DATA)
  fs.writeFileSync(path.join(dir, 'node.sig'), sig)
  fs.writeFileSync(path.join(dir, 'root.pem'), ca.rootCertPem)
  const repo = path.resolve(__dirname, '..', '..', '..')
  const png = fs.readFileSync(path.join(repo, 'vectors', 'ses', 'picture-8x8.png'))
  const pngSeal = await eseal.Seal.create(ca.signer('unit'), { name: '上海市测试局', esId: '310000000000049', picture: png, signerCerts: [person.certificatePem] })
  const plain = path.join(repo, 'vectors', 'bindings')
  fs.writeFileSync(path.join(dir, 'node.ofd'), await eseal.signOfd(fs.readFileSync(path.join(plain, 'plain.ofd')), pngSeal, person))
  fs.writeFileSync(path.join(dir, 'node.pdf'), await eseal.signPdf(fs.readFileSync(path.join(plain, 'plain.pdf')), pngSeal, person, { stamp: { page: 1, x: 200, y: 40, width: 60, height: 60 } }))
  // With the signing options of issue 16: SM2 CMS (GM/T 0010 OIDs), dictionary entries, two
  // stamps, a QR code; a cross-page seal and keyword stamps on the OFD.
  const qr = await eseal.stampQr({ template: 'https://verify.example.cn/v?id={doc_id}&h={digest}', docId: 'node-1', digest: Buffer.alloc(32), sizeMm: 20 })
  fs.writeFileSync(path.join(dir, 'node-options.pdf'), await eseal.signPdf(path.join(plain, 'plain.pdf'), pngSeal, person, {
    shape: 'sm2-cms-gm',
    reason: '同意',
    location: '上海',
    stamps: [{ x: 20, y: 20, width: 40, height: 40 }, { x: 150, y: 60, width: 40, height: 40 }],
    qr: { png: qr.png, page: 1, x: 220, y: 120, size: 57 },
  }))
  fs.writeFileSync(path.join(dir, 'node-options.ofd'), await eseal.signOfd(path.join(plain, 'two-pages.ofd'), pngSeal, person, {
    crossPage: { edge: 'right', pages: 'all' },
    keyword: { text: 'bindings', occurrence: 'last', sizeMm: [20, 20] },
  }))
})

test('verify what the others signed', async () => {
  const others = ['c', 'python'].filter((l) => fs.existsSync(path.join(dir, `${l}.sig`)))
  for (const lang of others) {
    const r = await eseal.verifySignature(fs.readFileSync(path.join(dir, `${lang}.sig`)), {
      data: fs.readFileSync(path.join(dir, `${lang}.data`)),
      trust: [path.join(dir, 'root.pem')],
      strict: true,
    })
    assert.equal(r.verdict, 'valid', `${lang}: ${JSON.stringify(r.signatures[0].checks.filter((c) => c.status !== 'passed'))}`)
    const trust = [path.join(dir, 'root.pem')]
    assert.equal((await eseal.verifyOfd(fs.readFileSync(path.join(dir, `${lang}.ofd`)), { trust })).exit_code, 0, `${lang}.ofd`)
    assert.equal((await eseal.verifyPdf(fs.readFileSync(path.join(dir, `${lang}.pdf`)), { trust })).exit_code, 0, `${lang}.pdf`)
    assert.equal((await eseal.verifyOfd(path.join(dir, `${lang}-options.ofd`), { trust })).verdict, 'valid', `${lang}-options.ofd`)
    assert.equal((await eseal.verifyPdf(path.join(dir, `${lang}-options.pdf`), { trust })).verdict, 'valid', `${lang}-options.pdf`)
  }
  console.log(`verified from Node: ${others.join(', ')}`)
})

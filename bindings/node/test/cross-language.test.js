// Signatures made from C and Python verify from Node; Node leaves its own for them
// (scripts/test.d/80-bindings.sh shares ESEAL_XLANG_DIR between the three suites).
'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const eseal = require('..')

const dir = process.env.ESEAL_XLANG_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'eseal-xlang-'))
const DATA = Buffer.from('eseal from Node: signed for the other languages')

test('leave a signature for the others', async () => {
  const ca = new eseal.TestCa('xlang')
  const person = ca.signer('person')
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><circle cx="5" cy="5" r="4"/></svg>')
  const seal = eseal.Seal.create(ca.signer('unit'), { name: '上海市测试局', esId: '310000000000045', picture: svg, signerCerts: [person.certificatePem] })
  const sig = await eseal.signData(seal, person, DATA, { propertyInfo: '/node.data' })
  fs.writeFileSync(path.join(dir, 'node.data'), DATA)
  fs.writeFileSync(path.join(dir, 'node.sig'), sig)
  fs.writeFileSync(path.join(dir, 'root.pem'), ca.rootCertPem)
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
  }
  console.log(`verified from Node: ${others.join(', ')}`)
})

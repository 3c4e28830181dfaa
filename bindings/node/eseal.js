// The package's entry point: the napi-rs binding (index.js, generated) with what a Node user
// expects on top — objects that print usefully in console.log / util.inspect, and every error
// with an ESEAL_* code (an argument of the wrong type is ESEAL_INVALID_INPUT, not napi's
// InvalidArg). No signing or verification logic lives here.
'use strict'
const util = require('node:util')
const native = require('./index.js')

const inspect = Symbol.for('nodejs.util.inspect.custom')

// napi-rs reports arguments it cannot convert with its own status codes.
function esealError (e) {
  if (e && typeof e === 'object' && !(typeof e.code === 'string' && e.code.startsWith('ESEAL_'))) {
    e.napiStatus = e.code
    e.code = 'ESEAL_INVALID_INPUT'
  }
  return e
}

function wrap (f) {
  return function (...args) {
    let r
    try {
      r = f.apply(this, args)
    } catch (e) {
      throw esealError(e)
    }
    return r && typeof r.then === 'function' ? r.catch((e) => { throw esealError(e) }) : r
  }
}

// A class with the same prototype (so `instanceof` and methods are the native ones) whose
// constructor and static methods give ESEAL_* codes.
function wrapClass (Cls) {
  const Wrapped = {
    [Cls.name]: function (...args) {
      try {
        return new Cls(...args)
      } catch (e) {
        throw esealError(e)
      }
    }
  }[Cls.name]
  Wrapped.prototype = Cls.prototype
  for (const name of Object.getOwnPropertyNames(Cls)) {
    const d = Object.getOwnPropertyDescriptor(Cls, name)
    if (typeof d.value === 'function') Wrapped[name] = wrap(d.value.bind(Cls))
  }
  return Wrapped
}

function show (name, fields) {
  return function (depth, options) {
    const o = {}
    for (const f of fields) o[f] = this[f]
    return `${name} ${util.inspect(o, { ...options, depth: options.depth == null ? null : options.depth - 1 })}`
  }
}

native.Seal.prototype[inspect] = show('Seal', ['name', 'esId', 'version', 'sealType', 'validStart', 'validEnd'])
native.Signer.prototype[inspect] = show('Signer', ['subject'])
native.TestCa.prototype[inspect] = function () { return 'TestCa {}' }

const out = {}
for (const [k, v] of Object.entries(native)) {
  if (k === 'Seal' || k === 'Signer' || k === 'TestCa') out[k] = wrapClass(v)
  else out[k] = typeof v === 'function' ? wrap(v) : v
}
module.exports = out

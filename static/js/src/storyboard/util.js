// Small helpers shared by the storyboard's modules: formatting, colours, ids, templates, its API client.

import { restClient } from '../lib/api.js'

/** "Scene %(number)s" + {number: 2} -> "Scene 2" (the placeholders Django's catalogues use). */
export function fmt (template, values = {}) {
  return String(template).replace(/%\((\w+)\)[sd]/g, (match, name) =>
    Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match)
}

/** A short random id (hex), for scenes, comments and replies. */
export function randomId (bytes = 6) {
  const data = new Uint8Array(bytes)
  crypto.getRandomValues(data)
  return Array.from(data, (b) => b.toString(16).padStart(2, '0')).join('')
}

// Twelve distinct colours that keep white initials readable, in light and dark themes.
const PALETTE = ['#c92a2a', '#1971c2', '#2b8a3e', '#9c36b5', '#d9480f', '#0c8599',
  '#c2255c', '#5c940d', '#3b5bdb', '#b35900', '#087f5b', '#7048e8']

/** A stable colour for a username (FNV-1a), so carets, avatars and comments agree. */
export function colorOf (username) {
  let hash = 0x811c9dc5
  for (const char of String(username)) {
    hash ^= char.codePointAt(0)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  hash = (hash ^ (hash >>> 15)) >>> 0 // FNV's low bits change little between "user1" and "user2": mix them
  hash = Math.imul(hash, 0x2c1b3c6d) >>> 0
  hash = (hash ^ (hash >>> 12)) >>> 0
  return PALETTE[hash % PALETTE.length]
}

/** A user's caret colour and its light variant for selections (what y-codemirror.next reads). */
export function userColors (username) {
  const color = colorOf(username)
  return { color, colorLight: color + '33' }
}

/** Up to two initials of a name ("Ada Lovelace" -> "AL", "李白" -> "李"). */
export function initials (name) {
  const words = String(name || '').trim().split(/\s+/).filter(Boolean)
  if (!words.length) return '?'
  const first = Array.from(words[0])[0] || '?'
  const second = words.length > 1 ? (Array.from(words[words.length - 1])[0] || '') : ''
  return (first + second).toUpperCase()
}

/** Clone the first element of a <template>. */
export function cloneTemplate (id) {
  const template = document.getElementById(id)
  return template.content.firstElementChild.cloneNode(true)
}

export function role (root, name) {
  return root.querySelector(`[data-role="${name}"]`)
}

let uid = 0
/** Give each `label[data-for=key]` in `root` a unique id pair with its control `[data-key=key]`. */
export function linkLabels (root, prefix) {
  for (const label of root.querySelectorAll('label[data-for]')) {
    const control = root.querySelector(`[data-key="${label.dataset.for}"]`)
    if (!control) continue
    uid += 1
    control.id = `${prefix}-${label.dataset.for}-${uid}`
    label.htmlFor = control.id
  }
}

export function nextId (prefix) {
  uid += 1
  return `${prefix}-${uid}`
}

/** The storyboard's REST client (lib/api.js): the page's strings and CSRF token from its config. */
export function storyboardApi (config) {
  return restClient({
    label: (name, values) => name === 'network-error'
      ? config.strings.network_error : fmt(config.strings.request_failed, { message: values.status }),
    csrfToken: () => config.csrfToken
  })
}

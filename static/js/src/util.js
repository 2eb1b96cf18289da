// Small helpers shared by the storyboard's modules: formatting, colours, ids, time, fetch.

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

/** Relative time ("5 minutes ago") in the page's language, with a fallback to the date. */
export function makeTimeFormatter (lang, justNow) {
  let relative = null
  let absolute = null
  try {
    relative = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' })
    absolute = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' })
  } catch (error) {
    relative = null
  }
  return {
    relative (date) {
      const seconds = Math.round((date.getTime() - Date.now()) / 1000)
      const abs = Math.abs(seconds)
      if (abs < 45) return justNow
      if (!relative) return date.toLocaleString(lang)
      if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute')
      if (abs < 86400) return relative.format(Math.round(seconds / 3600), 'hour')
      if (abs < 86400 * 30) return relative.format(Math.round(seconds / 86400), 'day')
      return date.toLocaleDateString(lang)
    },
    absolute (date) {
      return absolute ? absolute.format(date) : date.toLocaleString(lang)
    }
  }
}

/** Fill a <time> element with a relative time that refreshTimes() keeps current. */
export function setTime (el, iso, formatter) {
  const date = new Date(iso)
  if (!iso || isNaN(date.getTime())) {
    el.textContent = ''
    el.removeAttribute('datetime')
    return
  }
  el.setAttribute('datetime', iso)
  el.title = formatter.absolute(date)
  el.textContent = formatter.relative(date)
}

export function refreshTimes (root, formatter) {
  for (const el of root.querySelectorAll('time[datetime]')) {
    const date = new Date(el.getAttribute('datetime'))
    if (!isNaN(date.getTime())) el.textContent = formatter.relative(date)
  }
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

/** fetch() for the JSON API: session cookies, the CSRF header on writes, the error's message. */
export async function api (url, { method = 'GET', body, csrfToken, strings } = {}) {
  const headers = { Accept: 'application/json' }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  if (method !== 'GET') headers['X-CSRFToken'] = csrfToken
  let response
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body)
    })
  } catch (error) {
    const failure = new Error(strings.network_error)
    failure.fields = {}
    throw failure
  }
  let data = null
  try {
    data = await response.json()
  } catch (error) {
    data = null
  }
  if (!response.ok) {
    const info = (data && data.error) || {}
    const failure = new Error(info.message || fmt(strings.request_failed, { message: response.status }))
    failure.fields = info.fields || {}
    failure.status = response.status
    throw failure
  }
  return data
}

// The collaborative storyboard page (/projects/<id>/storyboard/).
//
// One Yjs document per project, synced with the server over the y-websocket protocol on
// /ws/projects/<id>/storyboard (the server keeps the authoritative copy and the update log).
// Its structure is the one collab/schema.py documents: root `title` (Y.Text) and `scenes`
// (Y.Array of Y.Map). Presence travels in Yjs awareness: `user` {name, color, colorLight,
// username} (what y-codemirror.next reads for carets) and `scene` (the scene id the user is in).
// Offline, the provider keeps local edits in memory and merges them when it reconnects; nothing
// else is persisted. The storyboard bundle's entry: `npm run build` writes static/js/storyboard.bundle.js.

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

import { ContributionsPanel, VersionsPanel } from './panels.js'
import { SceneView, sceneNew } from './scene.js'
import { bindTextInput } from './text-input.js'
import { lang, ready } from '../lib/page.js'
import { CLOSE_FORBIDDEN, reconnectingSocket } from '../lib/socket.js'
import { refreshTimes, timeFormatter } from '../lib/time.js'
import { fmt, initials, userColors } from './util.js'

const REFRESH_EVERY_MS = 30000
const LOCAL = 'storyboard-page' // the origin of this page's own edits

function start () {
  const configEl = document.getElementById('storyboard-config')
  if (!configEl) return
  const config = JSON.parse(configEl.textContent)
  const strings = config.strings
  const canEdit = Boolean(config.can && config.can.edit)
  const formatter = timeFormatter(strings.just_now, lang)

  const list = document.getElementById('scenes')
  const loadingEl = document.getElementById('scenes-loading')
  const emptyEl = document.getElementById('scenes-empty')
  const addButton = document.getElementById('add-scene')
  const titleInput = document.getElementById('storyboard-title')
  const statusEl = document.getElementById('storyboard-status')
  const presenceEl = document.getElementById('presence')
  const announcer = document.getElementById('scene-announcer')

  // --- the document and its connection ------------------------------------------------------

  const doc = new Y.Doc()
  const ytitle = doc.getText('title')
  const yscenes = doc.getArray('scenes')
  const scheme = window.location.protocol === 'https:' ? 'wss://' : 'ws://'
  const cut = config.wsPath.lastIndexOf('/')
  const provider = new WebsocketProvider(
    scheme + window.location.host + config.wsPath.slice(0, cut), config.wsPath.slice(cut + 1), doc, {
      disableBc: true, // the server is the one path between tabs: it checks every edit
      resyncInterval: 15000, // a periodic sync step 1 also keeps a lone client's socket alive
      maxBackoffTime: 10000
    })
  const awareness = provider.awareness
  const { color, colorLight } = userColors(config.user.username)
  awareness.setLocalState({
    user: { name: config.user.name, color, colorLight, username: config.user.username },
    scene: null
  })

  let loaded = false
  let denied = false
  let unsynced = false // local edits made while offline, not yet handed to the server

  function setStatus (state, label) {
    statusEl.dataset.state = state
    statusEl.textContent = label
  }

  provider.on('status', ({ status }) => {
    if (denied) return
    if (status === 'connecting') setStatus(loaded ? 'offline' : 'connecting', loaded ? strings.status_offline : strings.status_connecting)
    if (status === 'disconnected') setStatus('offline', strings.status_offline)
  })
  provider.on('sync', (synced) => {
    if (!synced || denied) return
    unsynced = false
    setStatus('connected', strings.status_connected)
    if (!loaded) {
      loaded = true
      loadingEl.hidden = true
      if (addButton) addButton.disabled = false
      if (canEdit) titleInput.readOnly = false
      renderScenes()
    }
  })
  provider.on('closed', ({ code }) => {
    if (code !== CLOSE_FORBIDDEN) return
    denied = true
    statusEl.dataset.reason = 'denied'
    setStatus('offline', strings.status_denied)
  })
  doc.on('update', (update, origin) => {
    if (origin !== provider && !(provider.wsconnected && provider.synced)) unsynced = true
  })
  window.addEventListener('beforeunload', (event) => {
    if (!unsynced) return
    event.preventDefault()
    event.returnValue = strings.leave_unsynced
  })
  window.addEventListener('online', () => { // try at once rather than at the next backoff
    if (!provider.wsconnected && !denied) {
      provider.disconnect()
      provider.connect()
    }
  })

  // --- title -----------------------------------------------------------------------------

  titleInput.readOnly = true // until the server's copy is here (then only for editors)
  bindTextInput(titleInput, ytitle, { editable: canEdit, origin: LOCAL })

  // --- scenes ----------------------------------------------------------------------------

  const views = new Map() // scene Y.Map -> SceneView
  const ctx = {
    // The editors' own stylesheet is a <style> element: the page's Content-Security-Policy nonce lets it in.
    cspNonce: document.getElementById('storyboard').dataset.cspNonce || '',
    doc, awareness, canEdit, strings, formatter, origin: LOCAL, user: config.user,
    onMove (view, delta, button) {
      const from = yscenes.toArray().indexOf(view.ymap)
      const moved = moveScene(from, from + delta)
      if (!moved) return
      // Keep the keyboard where it was: on the same button of the moved card.
      const again = moved.el.querySelector(`[data-action="${button.dataset.action}"]`)
      const other = moved.el.querySelector(`[data-action="${delta < 0 ? 'move-down' : 'move-up'}"]`)
      ;(again && !again.disabled ? again : other).focus()
    },
    onDelete (view) {
      const index = yscenes.toArray().indexOf(view.ymap)
      if (index < 0) return
      if (!window.confirm(fmt(strings.confirm_delete_scene, { number: index + 1 }))) return
      doc.transact(() => yscenes.delete(index, 1), LOCAL)
      announce(strings.deleted)
      const next = viewAt(Math.min(index, yscenes.length - 1))
      if (next) next.focusPrompt()
      else if (addButton) addButton.focus()
    }
  }

  function viewAt (index) {
    const map = index >= 0 && index < yscenes.length ? yscenes.get(index) : null
    return map ? views.get(map) : null
  }

  function announce (text) {
    announcer.textContent = ''
    window.setTimeout(() => { announcer.textContent = text }, 50)
  }

  /** A reorder, as the schema defines it: the scene's map deleted and a copy (same id, new
      Y.Text with the same content, the comments copied) inserted at the new place. */
  function moveScene (from, to) {
    if (!canEdit || from < 0 || to < 0 || to >= yscenes.length || from === to) return null
    const old = yscenes.get(from)
    if (!(old instanceof Y.Map)) return null
    let copy = null
    doc.transact(() => {
      copy = old.clone()
      yscenes.delete(from, 1)
      yscenes.insert(to, [copy])
    }, LOCAL)
    announce(fmt(strings.moved, { number: to + 1 }))
    return views.get(copy) || null
  }

  function renderScenes () {
    const maps = yscenes.toArray().filter((map) => map instanceof Y.Map)
    const keep = new Set(maps)
    for (const [map, view] of views) {
      if (!keep.has(map)) {
        view.destroy()
        views.delete(map)
      }
    }
    maps.forEach((map, index) => {
      let view = views.get(map)
      if (!view) {
        view = new SceneView(map, ctx)
        views.set(map, view)
      }
      if (list.children[index] !== view.el) list.insertBefore(view.el, list.children[index] || null)
      view.setPosition(index, maps.length)
    })
    emptyEl.hidden = !loaded || maps.length > 0
    renderHere(people())
  }
  yscenes.observe(renderScenes)

  if (addButton) {
    addButton.disabled = true // until the first sync
    addButton.addEventListener('click', () => {
      const scene = sceneNew()
      doc.transact(() => yscenes.push([scene]), LOCAL)
      const view = views.get(scene)
      if (!view) return
      view.el.scrollIntoView({ block: 'center', behavior: 'smooth' })
      view.focusPrompt()
      announce(fmt(strings.added, { number: yscenes.length }))
    })
  }

  // Drag to reorder, by the handle (keyboards and phones use the move buttons).
  let dragged = null
  let dropMark = null
  function clearDropMark () {
    if (dropMark) dropMark.classList.remove('is-drop-before', 'is-drop-after')
    dropMark = null
  }
  list.addEventListener('dragstart', (event) => {
    const handle = event.target.closest && event.target.closest('.scene-card__handle')
    if (!handle || !canEdit) return
    const card = handle.closest('[data-scene-id]')
    dragged = card.sceneView
    event.dataTransfer.effectAllowed = 'move'
    event.dataTransfer.setData('text/plain', dragged.id)
    event.dataTransfer.setDragImage(card, 24, 24)
    card.classList.add('is-dragging')
  })
  list.addEventListener('dragover', (event) => {
    if (!dragged) return
    const card = event.target.closest('[data-scene-id]')
    if (!card) return
    event.preventDefault()
    event.dataTransfer.dropEffect = 'move'
    const box = card.getBoundingClientRect()
    const before = event.clientY < box.top + box.height / 2
    if (dropMark !== card) clearDropMark()
    dropMark = card
    card.classList.toggle('is-drop-before', before)
    card.classList.toggle('is-drop-after', !before)
  })
  list.addEventListener('drop', (event) => {
    if (!dragged || !dropMark) return
    event.preventDefault()
    const maps = yscenes.toArray()
    const from = maps.indexOf(dragged.ymap)
    const over = maps.indexOf(dropMark.sceneView.ymap)
    const place = dropMark.classList.contains('is-drop-before') ? over : over + 1
    clearDropMark()
    if (from >= 0 && over >= 0) moveScene(from, place > from ? place - 1 : place)
  })
  list.addEventListener('dragend', () => {
    clearDropMark()
    for (const card of list.querySelectorAll('.is-dragging')) card.classList.remove('is-dragging')
    dragged = null
  })

  // --- presence --------------------------------------------------------------------------

  function people () {
    const found = []
    awareness.getStates().forEach((state, clientId) => {
      const user = state && state.user
      if (!user) return
      found.push({
        clientId,
        name: String(user.name || strings.anonymous),
        color: typeof user.color === 'string' ? user.color : '#5d6478',
        scene: typeof state.scene === 'string' ? state.scene : null,
        self: clientId === doc.clientID
      })
    })
    found.sort((a, b) => (Number(b.self) - Number(a.self)) || a.name.localeCompare(b.name))
    return found
  }

  function renderHere (everyone) {
    for (const view of views.values()) {
      view.setHere(everyone.filter((person) => !person.self && person.scene === view.id))
    }
  }

  function renderPresence () {
    const everyone = people()
    presenceEl.replaceChildren(...everyone.map((person) => {
      const item = document.createElement('li')
      item.className = 'presence__person' + (person.self ? ' is-self' : '')
      item.dataset.clientId = String(person.clientId)
      item.style.setProperty('--user-color', person.color)
      item.textContent = initials(person.name)
      item.title = person.self ? `${person.name} ${strings.you}` : person.name
      item.setAttribute('aria-label', item.title)
      return item
    }))
    renderHere(everyone)
  }
  awareness.on('change', renderPresence)
  renderPresence()

  function setScene (id) {
    const state = awareness.getLocalState()
    if (state && state.scene !== id) awareness.setLocalStateField('scene', id)
  }
  list.addEventListener('focusin', (event) => {
    const card = event.target.closest('[data-scene-id]')
    setScene(card ? card.dataset.sceneId : null)
  })
  document.addEventListener('focusin', (event) => {
    if (!list.contains(event.target)) setScene(null)
  })

  // --- versions and contributions ---------------------------------------------------------

  const contributions = new ContributionsPanel(config)
  const versions = new VersionsPanel(config, formatter, { onChange: () => contributions.load() })
  function refreshPanels () {
    versions.load()
    contributions.load()
  }
  refreshPanels()
  // Edits change the counts: refresh them a little after, at most every few seconds.
  let countsTimer = null
  doc.on('update', () => {
    if (countsTimer === null) {
      countsTimer = window.setTimeout(() => { countsTimer = null; contributions.load() }, 4000)
    }
  })
  window.setInterval(() => {
    refreshTimes(document.body, formatter)
    if (document.visibilityState === 'visible') refreshPanels()
  }, REFRESH_EVERY_MS)
  followActivity(config, (verb) => {
    if (verb.startsWith('storyboard.version')) versions.load()
    if (verb.startsWith('storyboard.')) contributions.load()
  })

  // For tests and debugging in the console.
  window.storyloomStoryboard = { doc, provider, awareness }
}

/** The project's activity stream (/ws/projects/<id>/events, lib/socket.js): versions saved or
    restored by others refresh the panels at once. Best effort: the 30 s refresh covers its gaps. */
function followActivity (config, onVerb) {
  if (!config.eventsPath || !('WebSocket' in window)) return
  reconnectingSocket(config.eventsPath, {
    message (event) {
      if (event.type === 'activity' && typeof event.verb === 'string') onVerb(event.verb)
    }
  })
}

ready(start)

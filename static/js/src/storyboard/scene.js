// One scene card: two collaborative CodeMirror editors, the plain fields, the comment threads.
// Its DOM comes from the page's <template id="scene-template"> (labels translated by Django).

import * as Y from 'yjs'
import { EditorState } from '@codemirror/state'
import { EditorView, keymap, placeholder } from '@codemirror/view'
import { defaultKeymap } from '@codemirror/commands'
import { yCollab, yRemoteSelections, ySyncFacet, yUndoManagerKeymap } from 'y-codemirror.next'
import { remoteSelections } from './remote-carets.js'

import { setTime } from '../lib/time.js'
import { cloneTemplate, fmt, colorOf, initials, linkLabels, nextId, randomId, role } from './util.js'

const DURATION_MIN = 0.5
const DURATION_MAX = 60
const SEED_MAX = 4294967295
const PLAIN_FIELDS = ['duration', 'camera', 'style', 'seed', 'model']

/** A new scene, in the shape collab/schema.py documents. */
export function sceneNew () {
  const scene = new Y.Map()
  scene.set('id', randomId(6))
  scene.set('prompt', new Y.Text())
  scene.set('negative_prompt', new Y.Text())
  scene.set('duration', 4)
  scene.set('camera', '')
  scene.set('style', '')
  scene.set('seed', null)
  scene.set('model', '')
  scene.set('comments', new Y.Array())
  return scene
}

function textOf (value) {
  return typeof value === 'string' ? value : (value instanceof Y.Text ? value.toString() : '')
}

function createEditor (parent, ytext, ctx, { labelId, placeholderText }) {
  const extensions = [
    // y-codemirror.next's own carets, swapped for ours (remote-carets.js: no style attributes)
    yCollab(ytext, ctx.awareness, { undoManager: new Y.UndoManager(ytext) })
      .map(extension => extension === yRemoteSelections ? remoteSelections : extension),
    keymap.of([...yUndoManagerKeymap, ...defaultKeymap]),
    EditorView.lineWrapping,
    EditorView.contentAttributes.of({ 'aria-labelledby': labelId, 'aria-multiline': 'true' }),
    EditorState.readOnly.of(!ctx.canEdit),
    EditorView.editable.of(ctx.canEdit)
  ]
  if (placeholderText && ctx.canEdit) extensions.push(placeholder(placeholderText))
  if (ctx.cspNonce) extensions.push(EditorView.cspNonce.of(ctx.cspNonce))
  return new EditorView({ state: EditorState.create({ doc: ytext.toString(), extensions }), parent })
}

function fillAuthor (el, map, ctx) {
  const name = textOf(map.get('author_name')) || textOf(map.get('author')) || ctx.strings.anonymous
  role(el, 'author').textContent = name
  const avatar = role(el, 'avatar')
  avatar.textContent = initials(name)
  avatar.style.setProperty('--user-color', colorOf(textOf(map.get('author')) || name))
  setTime(role(el, 'time'), textOf(map.get('time')), ctx.formatter)
  role(el, 'text').textContent = textOf(map.get('text'))
}

export class SceneView {
  constructor (ymap, ctx) {
    this.ymap = ymap
    this.ctx = ctx
    this.cleanups = []
    this.editors = {}
    this.inputs = {}
    this.threads = new Map() // comment Y.Map -> {el, ...}
    this.el = cloneTemplate('scene-template')
    this.el.dataset.sceneId = textOf(ymap.get('id'))
    this.el.sceneView = this
    linkLabels(this.el, 'scene')
    this._buildEditors()
    this._buildInputs()
    this._buildComments()
    this._buildTools()
  }

  get id () { return textOf(this.ymap.get('id')) }

  // --- prompts ---------------------------------------------------------------------------

  _buildEditors () {
    for (const field of ['prompt', 'negative_prompt']) {
      const container = this.el.querySelector(`[data-field="${field}"]`)
      const label = role(this.el, `label-${field}`)
      label.id = nextId(`label-${field}`)
      container.addEventListener('click', (event) => {
        if (event.target === container && this.editors[field]) this.editors[field].focus()
      })
      this._bindEditor(field)
    }
  }

  /** (Re)bind a prompt editor to the scene's Y.Text for `field`. */
  _bindEditor (field) {
    const container = this.el.querySelector(`[data-field="${field}"]`)
    if (this.editors[field]) {
      this.editors[field].destroy()
      delete this.editors[field]
    }
    container.replaceChildren()
    let ytext = this.ymap.get(field)
    if (!(ytext instanceof Y.Text)) {
      if (!this.ctx.canEdit) {
        // A malformed scene (written by some other client): show it, change nothing.
        container.textContent = textOf(ytext)
        return
      }
      ytext = new Y.Text(textOf(ytext))
      this.ymap.doc.transact(() => this.ymap.set(field, ytext), this.ctx.origin)
    }
    this.editors[field] = createEditor(container, ytext, this.ctx, {
      labelId: role(this.el, `label-${field}`).id,
      placeholderText: this.ctx.strings[`${field}_placeholder`]
    })
  }

  _boundText (field) {
    const editor = this.editors[field]
    return editor ? editor.state.facet(ySyncFacet).ytext : null
  }

  // --- duration, camera, style, seed, model ------------------------------------------------

  _buildInputs () {
    const error = role(this.el, 'param-error')
    for (const key of PLAIN_FIELDS) {
      const input = this.el.querySelector(`input[data-key="${key}"]`)
      this.inputs[key] = input
      input.disabled = !this.ctx.canEdit
      input.dataset.shown = ''
      this._showField(key)
      input.addEventListener('change', () => this._commitField(key, input, error))
      input.addEventListener('blur', () => {
        if (input.dataset.deferred) { // a remote change arrived while the user was here
          delete input.dataset.deferred
          this._showField(key)
        }
      })
    }
    const observer = (event) => {
      for (const key of event.keysChanged) {
        if (this.inputs[key]) this._showField(key)
        if (key === 'comments') this._bindComments()
        if ((key === 'prompt' || key === 'negative_prompt') &&
            !(this.editors[key] && this.ymap.get(key) === this._boundText(key))) this._bindEditor(key)
      }
    }
    this.ymap.observe(observer)
    this.cleanups.push(() => this.ymap.unobserve(observer))
  }

  _fieldValue (key) {
    const value = this.ymap.get(key)
    if (key === 'duration') return typeof value === 'number' && isFinite(value) ? String(value) : '4'
    if (key === 'seed') return typeof value === 'number' && isFinite(value) ? String(Math.trunc(value)) : ''
    return textOf(value)
  }

  _showField (key) {
    const input = this.inputs[key]
    const value = this._fieldValue(key)
    // Do not overwrite what the user is typing: show the remote value when they leave.
    if (document.activeElement === input && input.value !== input.dataset.shown) {
      input.dataset.deferred = '1'
      return
    }
    input.value = value
    input.dataset.shown = value
    input.removeAttribute('aria-invalid')
  }

  _commitField (key, input, error) {
    if (!this.ctx.canEdit) return
    const raw = input.value.trim()
    let value = raw
    let problem = ''
    if (key === 'duration') {
      value = Number(raw)
      if (raw === '' || !isFinite(value) || value < DURATION_MIN || value > DURATION_MAX) {
        problem = this.ctx.strings.invalid_duration
      }
    } else if (key === 'seed') {
      value = raw === '' ? null : Number(raw)
      if (value !== null && (!Number.isInteger(value) || value < 0 || value > SEED_MAX)) {
        problem = this.ctx.strings.invalid_seed
      }
    }
    if (problem) {
      input.setAttribute('aria-invalid', 'true')
      error.textContent = problem
      error.hidden = false
      return
    }
    input.removeAttribute('aria-invalid')
    error.hidden = true
    delete input.dataset.deferred
    input.dataset.shown = input.value
    if (this.ymap.get(key) !== value) {
      this.ymap.doc.transact(() => this.ymap.set(key, value), this.ctx.origin)
    }
  }

  // --- comments ----------------------------------------------------------------------------

  _buildComments () {
    const form = role(this.el, 'comment-form')
    if (form) {
      const textarea = form.querySelector('textarea')
      form.addEventListener('submit', (event) => {
        event.preventDefault()
        const text = textarea.value.trim()
        if (!text) return
        this._addComment(text)
        textarea.value = ''
        textarea.focus()
      })
      textarea.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit()
      })
    }
    this._bindComments()
  }

  _bindComments () {
    if (this.unobserveComments) this.unobserveComments()
    this.unobserveComments = null
    const comments = this.ymap.get('comments')
    if (comments instanceof Y.Array) {
      const observer = () => this._renderComments()
      comments.observeDeep(observer)
      this.unobserveComments = () => comments.unobserveDeep(observer)
    }
    this._renderComments()
  }

  _comments () {
    let comments = this.ymap.get('comments')
    if (!(comments instanceof Y.Array)) {
      comments = new Y.Array()
      this.ymap.doc.transact(() => this.ymap.set('comments', comments), this.ctx.origin)
    }
    return comments
  }

  _entry (text) {
    const { user } = this.ctx
    return { id: randomId(6), author: user.username, author_name: user.name, text, time: new Date().toISOString() }
  }

  _addComment (text) {
    const comment = new Y.Map()
    for (const [key, value] of Object.entries(this._entry(text))) comment.set(key, value)
    comment.set('resolved', false)
    comment.set('replies', new Y.Array())
    const comments = this._comments()
    this.ymap.doc.transact(() => comments.push([comment]), this.ctx.origin)
  }

  _reply (comment, text) {
    const reply = new Y.Map()
    for (const [key, value] of Object.entries(this._entry(text))) reply.set(key, value)
    this.ymap.doc.transact(() => {
      let replies = comment.get('replies')
      if (!(replies instanceof Y.Array)) {
        replies = new Y.Array()
        comment.set('replies', replies)
      }
      replies.push([reply])
    }, this.ctx.origin)
  }

  _newThread (comment) {
    const el = cloneTemplate('thread-template')
    linkLabels(el, 'reply')
    const thread = { el, comment }
    const form = role(el, 'reply-form')
    if (form) {
      const textarea = form.querySelector('textarea')
      el.querySelector('[data-action="reply"]').addEventListener('click', () => {
        form.hidden = false
        textarea.focus()
      })
      el.querySelector('[data-action="cancel-reply"]').addEventListener('click', () => {
        form.hidden = true
        textarea.value = ''
      })
      el.querySelector('[data-action="resolve"]').addEventListener('click', () => {
        this.ymap.doc.transact(() => comment.set('resolved', comment.get('resolved') !== true), this.ctx.origin)
      })
      form.addEventListener('submit', (event) => {
        event.preventDefault()
        const text = textarea.value.trim()
        if (!text) return
        this._reply(comment, text)
        textarea.value = ''
        form.hidden = true
      })
      textarea.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit()
        if (event.key === 'Escape') el.querySelector('[data-action="cancel-reply"]').click()
      })
    }
    return thread
  }

  _renderComments () {
    const list = role(this.el, 'threads')
    const comments = this.ymap.get('comments')
    const items = comments instanceof Y.Array ? comments.toArray().filter((c) => c instanceof Y.Map) : []
    const seen = new Set()
    let open = 0
    items.forEach((comment, index) => {
      seen.add(comment)
      let thread = this.threads.get(comment)
      if (!thread) {
        thread = this._newThread(comment)
        this.threads.set(comment, thread)
      }
      const resolved = comment.get('resolved') === true
      if (!resolved) open++
      thread.el.dataset.commentId = textOf(comment.get('id'))
      thread.el.classList.toggle('is-resolved', resolved)
      role(thread.el, 'resolved-badge').hidden = !resolved
      fillAuthor(role(thread.el, 'body'), comment, this.ctx)
      const resolveButton = thread.el.querySelector('[data-action="resolve"]')
      if (resolveButton) resolveButton.textContent = resolved ? this.ctx.strings.reopen : this.ctx.strings.resolve
      const repliesEl = role(thread.el, 'replies')
      repliesEl.replaceChildren()
      const replies = comment.get('replies')
      if (replies instanceof Y.Array) {
        for (const reply of replies) {
          if (!(reply instanceof Y.Map)) continue
          const replyEl = cloneTemplate('reply-template')
          fillAuthor(replyEl, reply, this.ctx)
          repliesEl.appendChild(replyEl)
        }
      }
      if (list.children[index] !== thread.el) list.insertBefore(thread.el, list.children[index] || null)
    })
    for (const [comment, thread] of this.threads) {
      if (!seen.has(comment)) {
        thread.el.remove()
        this.threads.delete(comment)
      }
    }
    const count = role(this.el, 'comment-count')
    count.textContent = items.length ? (open ? fmt(this.ctx.strings.comments_open, { count: open }) : '✓') : '0'
    count.classList.toggle('is-open', open > 0)
  }

  // --- header: number, move, delete, who is here -------------------------------------------

  _buildTools () {
    for (const button of this.el.querySelectorAll('[data-action]')) {
      const action = button.dataset.action
      if (action === 'move-up') button.addEventListener('click', () => this.ctx.onMove(this, -1, button))
      if (action === 'move-down') button.addEventListener('click', () => this.ctx.onMove(this, +1, button))
      if (action === 'delete') button.addEventListener('click', () => this.ctx.onDelete(this))
    }
  }

  setPosition (index, total) {
    this.index = index
    const number = role(this.el, 'number')
    number.textContent = fmt(this.ctx.strings.scene_number, { number: index + 1 })
    const up = this.el.querySelector('[data-action="move-up"]')
    const down = this.el.querySelector('[data-action="move-down"]')
    if (up) up.disabled = index === 0
    if (down) down.disabled = index === total - 1
  }

  /** Small avatars of the other people whose awareness says they are in this scene. */
  setHere (people) {
    const here = role(this.el, 'here')
    here.replaceChildren()
    for (const person of people) {
      const li = document.createElement('li')
      li.className = 'presence-dot'
      li.dataset.clientId = String(person.clientId)
      li.style.setProperty('--user-color', person.color)
      li.textContent = initials(person.name)
      li.title = person.name
      here.appendChild(li)
    }
    here.setAttribute('aria-label', people.length
      ? fmt(this.ctx.strings.scene_here, { names: people.map((p) => p.name).join(', ') })
      : '')
    this.el.classList.toggle('has-visitors', people.length > 0)
  }

  focusPrompt () {
    if (this.editors.prompt) this.editors.prompt.focus()
  }

  destroy () {
    for (const editor of Object.values(this.editors)) editor.destroy()
    for (const cleanup of this.cleanups) cleanup()
    if (this.unobserveComments) this.unobserveComments()
    this.el.remove()
  }
}

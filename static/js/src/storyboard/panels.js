// The side panels: version history (list, save, preview, restore) and contributions.

import { setTime } from '../lib/time.js'
import { cloneTemplate, fmt, role, storyboardApi } from './util.js'

const PAGE = '?page_size=50'

function results (data) {
  return Array.isArray(data) ? data : (data && Array.isArray(data.results) ? data.results : [])
}

export class VersionsPanel {
  constructor (config, formatter, { onChange }) {
    this.config = config
    this.strings = config.strings
    this.api = storyboardApi(config)
    this.formatter = formatter
    this.onChange = onChange
    this.list = document.getElementById('version-list')
    this.empty = document.getElementById('versions-empty')
    this.message = document.getElementById('versions-message')
    this.dialog = document.getElementById('version-preview')
    this.previewed = null
    this._bindForm()
    this._bindDialog()
    this.list.addEventListener('click', (event) => {
      const button = event.target.closest('button[data-action]')
      if (!button) return
      const item = button.closest('[data-version-id]')
      const version = item && item.version
      if (!version) return
      if (button.dataset.action === 'preview') this.preview(version)
      if (button.dataset.action === 'restore') this.restore(version)
    })
  }

  _say (text, isError = false) {
    this.message.textContent = text
    this.message.hidden = !text
    this.message.classList.toggle('field__errors', isError)
  }

  _bindForm () {
    const form = document.getElementById('version-form')
    if (!form) return
    const input = document.getElementById('version-label')
    const error = document.getElementById('version-error')
    form.addEventListener('submit', async (event) => {
      event.preventDefault()
      const label = input.value.trim()
      error.hidden = true
      input.removeAttribute('aria-invalid')
      const button = form.querySelector('button[type="submit"]')
      button.disabled = true
      try {
        const version = await this.api(this.config.api.versions, { method: 'POST', body: { label } })
        input.value = ''
        this._say(fmt(this.strings.version_saved, { label: version.label }))
        await this.load()
        this.onChange()
      } catch (failure) {
        const fieldErrors = (failure.fields && failure.fields.label) || []
        error.textContent = [failure.message, ...fieldErrors].join(' ')
        error.hidden = false
        input.setAttribute('aria-invalid', 'true')
        input.focus()
      } finally {
        button.disabled = false
      }
    })
  }

  _bindDialog () {
    this.dialog.addEventListener('click', (event) => {
      if (event.target === this.dialog) this.dialog.close() // a click on the backdrop
      const button = event.target.closest('button[data-action]')
      if (!button) return
      if (button.dataset.action === 'close-preview') this.dialog.close()
      if (button.dataset.action === 'restore-previewed' && this.previewed) {
        this.restore(this.previewed).then((done) => { if (done) this.dialog.close() })
      }
    })
  }

  async load () {
    try {
      const versions = results(await this.api(this.config.api.versions + PAGE))
      this.render(versions)
    } catch (failure) {
      this._say(this.strings.load_failed, true)
    }
  }

  render (versions) {
    const items = versions.map((version) => {
      const item = cloneTemplate('version-template')
      item.dataset.versionId = String(version.id)
      item.version = version
      role(item, 'label').textContent = version.label
      const by = version.created_by ? (version.created_by.name || version.created_by.username) : this.strings.anonymous
      role(item, 'by').textContent = fmt(this.strings.version_by, { name: by })
      setTime(role(item, 'time'), version.created_at, this.formatter)
      return item
    })
    this.list.replaceChildren(...items)
    this.empty.hidden = items.length > 0
  }

  async preview (version) {
    const title = document.getElementById('version-preview-title')
    const body = document.getElementById('version-preview-body')
    title.textContent = fmt(this.strings.preview_title, { label: version.label })
    body.replaceChildren()
    this.previewed = version
    try {
      const content = await this.api(`${this.config.api.versions}/${version.id}`)
      body.replaceChildren(...renderPreview(content, this.strings))
    } catch (failure) {
      const p = document.createElement('p')
      p.className = 'field__errors'
      p.textContent = failure.message
      body.replaceChildren(p)
    }
    if (!this.dialog.open) this.dialog.showModal()
  }

  async restore (version) {
    if (!window.confirm(fmt(this.strings.confirm_restore, { label: version.label }))) return false
    try {
      await this.api(`${this.config.api.versions}/${version.id}/restore`, { method: 'POST' })
      this._say(fmt(this.strings.version_restored, { label: version.label }))
      this.onChange()
      return true
    } catch (failure) {
      this._say(failure.message, true)
      return false
    }
  }
}

/** The read-only rendering of a version's JSON (title, then each scene's fields). */
function renderPreview (content, strings) {
  const nodes = []
  const heading = document.createElement('p')
  heading.className = 'preview-title'
  heading.textContent = content.title || strings.preview_untitled
  nodes.push(heading)
  const scenes = Array.isArray(content.scenes) ? content.scenes : []
  if (!scenes.length) {
    const empty = document.createElement('p')
    empty.className = 'muted'
    empty.textContent = strings.preview_no_scenes
    nodes.push(empty)
    return nodes
  }
  const list = document.createElement('ol')
  list.className = 'preview-scenes'
  scenes.forEach((scene, index) => {
    const item = cloneTemplate('preview-scene-template')
    role(item, 'number').textContent = fmt(strings.scene_number, { number: index + 1 })
    const values = {
      prompt: scene.prompt,
      negative_prompt: scene.negative_prompt,
      duration: scene.duration,
      camera: scene.camera,
      style: scene.style,
      seed: scene.seed === null || scene.seed === undefined ? strings.seed_random : scene.seed,
      model: scene.model,
      comments: (scene.comments || []).length
    }
    for (const [key, value] of Object.entries(values)) {
      const dd = role(item, key)
      const text = value === null || value === undefined ? '' : String(value)
      dd.textContent = text || '—'
      if (!text) {
        dd.classList.add('muted')
        // Hide empty optional fields (their <dt> too) to keep the preview short.
        if (key !== 'prompt') { dd.hidden = true; dd.previousElementSibling.hidden = true }
      }
    }
    list.appendChild(item)
  })
  nodes.push(list)
  return nodes
}

export class ContributionsPanel {
  constructor (config) {
    this.config = config
    this.strings = config.strings
    this.api = storyboardApi(config)
    this.rows = document.getElementById('contribution-rows')
    this.empty = document.getElementById('contributions-empty')
    this.headers = Array.from(document.querySelectorAll('.contribution-table thead th'), (th) => th.textContent)
  }

  async load () {
    let entries
    try {
      entries = results(await this.api(this.config.api.contributions + PAGE))
    } catch (failure) {
      return
    }
    const rows = entries.map((entry) => {
      const tr = document.createElement('tr')
      const name = entry.user ? (entry.user.name || entry.user.username) : this.strings.anonymous
      if (entry.user) tr.dataset.username = entry.user.username
      const cells = [name, entry.chars_inserted, entry.chars_deleted, entry.scenes_added, entry.comments]
      cells.forEach((value, index) => {
        const td = document.createElement('td')
        td.textContent = String(value ?? 0)
        td.dataset.label = this.headers[index] || ''
        if (index > 0) td.className = 'num'
        else td.className = 'contribution-table__who'
        tr.appendChild(td)
      })
      return tr
    })
    this.rows.replaceChildren(...rows)
    this.empty.hidden = rows.length > 0
    this.rows.closest('.table-wrap').hidden = rows.length === 0
  }
}

// Other people's carets and selections in a prompt editor: y-codemirror.next's yRemoteSelections
// (MIT, Kevin Jahns), changed for the Content-Security-Policy and for what peers send. Its caret
// widget set the colour with a `style` attribute, which a policy without 'unsafe-inline' for
// styles blocks (and the colour comes from another client's awareness state): here the colour is
// checked, and set through the CSSOM, which the policy allows.
import * as cmView from '@codemirror/view'
import * as cmState from '@codemirror/state'
import * as Y from 'yjs'
import { ySyncFacet } from 'y-codemirror.next'

const COLOR = /^#[0-9a-fA-F]{3,8}$/
const FALLBACK = '#30bced'

/** A colour a peer sent, if it is a plain hex colour; else the fallback. */
export function safeColor (value, fallback = FALLBACK) {
  return typeof value === 'string' && COLOR.test(value) ? value : fallback
}

class RemoteCaretWidget extends cmView.WidgetType {
  constructor (color, name) {
    super()
    this.color = color
    this.name = name
  }

  toDOM () {
    const caret = document.createElement('span')
    caret.className = 'cm-ySelectionCaret'
    caret.style.backgroundColor = this.color
    caret.style.borderColor = this.color
    const dot = document.createElement('div')
    dot.className = 'cm-ySelectionCaretDot'
    const info = document.createElement('div')
    info.className = 'cm-ySelectionInfo'
    info.textContent = this.name
    caret.append('\u2060', dot, '\u2060', info, '\u2060')
    return caret
  }

  eq (widget) { return widget.color === this.color && widget.name === this.name }

  compare (widget) { return this.eq(widget) }

  updateDOM () { return false }

  get estimatedHeight () { return -1 }

  ignoreEvent () { return true }
}

const remoteSelectionsAnnotation = cmState.Annotation.define()

function mark (colorLight) {
  return cmView.Decoration.mark({ attributes: { style: `background-color: ${colorLight}` }, class: 'cm-ySelection' })
}

class RemoteSelections {
  constructor (view) {
    this.conf = view.state.facet(ySyncFacet)
    this.awareness = this.conf.awareness
    this.listener = ({ added, updated, removed }) => {
      const clients = added.concat(updated).concat(removed)
      if (clients.some(id => id !== this.awareness.doc.clientID)) {
        view.dispatch({ annotations: [remoteSelectionsAnnotation.of([])] })
      }
    }
    this.awareness.on('change', this.listener)
    this.decorations = cmState.RangeSet.of([])
  }

  destroy () {
    this.awareness.off('change', this.listener)
  }

  update (update) {
    const ytext = this.conf.ytext
    const ydoc = ytext.doc
    const awareness = this.awareness
    const decorations = []
    const local = awareness.getLocalState()
    if (local != null) { // tell the others where this caret is
      const hasFocus = update.view.hasFocus && update.view.dom.ownerDocument.hasFocus()
      const sel = hasFocus ? update.state.selection.main : null
      const currentAnchor = local.cursor == null ? null : Y.createRelativePositionFromJSON(local.cursor.anchor)
      const currentHead = local.cursor == null ? null : Y.createRelativePositionFromJSON(local.cursor.head)
      if (sel != null) {
        const anchor = Y.createRelativePositionFromTypeIndex(ytext, sel.anchor)
        const head = Y.createRelativePositionFromTypeIndex(ytext, sel.head)
        if (local.cursor == null || !Y.compareRelativePositions(currentAnchor, anchor) ||
            !Y.compareRelativePositions(currentHead, head)) {
          awareness.setLocalStateField('cursor', { anchor, head })
        }
      } else if (local.cursor != null && hasFocus) {
        awareness.setLocalStateField('cursor', null)
      }
    }
    awareness.getStates().forEach((state, clientId) => {
      if (clientId === awareness.doc.clientID) return
      const cursor = state.cursor
      if (cursor == null || cursor.anchor == null || cursor.head == null) return
      const anchor = Y.createAbsolutePositionFromRelativePosition(cursor.anchor, ydoc)
      const head = Y.createAbsolutePositionFromRelativePosition(cursor.head, ydoc)
      if (anchor == null || head == null || anchor.type !== ytext || head.type !== ytext) return
      const user = state.user || {}
      const color = safeColor(user.color)
      const colorLight = safeColor(user.colorLight, color + '33')
      const name = typeof user.name === 'string' ? user.name : 'Anonymous'
      const docLength = update.view.state.doc.length
      const start = Math.min(anchor.index, head.index, docLength)
      const end = Math.min(Math.max(anchor.index, head.index), docLength)
      const startLine = update.view.state.doc.lineAt(start)
      const endLine = update.view.state.doc.lineAt(end)
      if (startLine.number === endLine.number) {
        if (end > start) decorations.push(mark(colorLight).range(start, end))
      } else {
        if (startLine.to > start) decorations.push(mark(colorLight).range(start, startLine.to))
        if (end > endLine.from) decorations.push(mark(colorLight).range(endLine.from, end))
        for (let i = startLine.number + 1; i < endLine.number; i++) {
          const from = update.view.state.doc.line(i).from
          decorations.push(cmView.Decoration.line({
            attributes: { style: `background-color: ${colorLight}`, class: 'cm-yLineSelection' }
          }).range(from))
        }
      }
      const at = Math.min(head.index, docLength)
      decorations.push(cmView.Decoration.widget({
        side: head.index - anchor.index > 0 ? -1 : 1, // the local cursor stays outside the selection
        block: false,
        widget: new RemoteCaretWidget(color, name)
      }).range(at))
    })
    this.decorations = cmView.Decoration.set(decorations, true)
  }
}

export const remoteSelections = cmView.ViewPlugin.fromClass(RemoteSelections, {
  decorations: plugin => plugin.decorations
})

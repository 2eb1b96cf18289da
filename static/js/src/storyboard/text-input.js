// A plain <input> bound to a Y.Text: local typing becomes minimal Yjs edits, remote edits update
// the value and keep the caret where the user left it.

function isHigh (code) { return code >= 0xd800 && code <= 0xdbff }
function isLow (code) { return code >= 0xdc00 && code <= 0xdfff }

/** The one changed span between two strings, never splitting a surrogate pair. */
function diff (before, after) {
  let start = 0
  const max = Math.min(before.length, after.length)
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++
  if (start > 0 && isHigh(before.charCodeAt(start - 1))) start--
  let endBefore = before.length
  let endAfter = after.length
  while (endBefore > start && endAfter > start &&
         before.charCodeAt(endBefore - 1) === after.charCodeAt(endAfter - 1)) {
    endBefore--
    endAfter--
  }
  if (endBefore < before.length && isLow(before.charCodeAt(endBefore))) {
    endBefore++
    endAfter++
  }
  return { start, removed: endBefore - start, inserted: after.slice(start, endAfter) }
}

/** Where a position moves under a Yjs text delta (remote inserts at the caret stay after it). */
function mapPosition (pos, delta) {
  let index = 0
  let mapped = pos
  for (const op of delta) {
    if (op.retain !== undefined) {
      index += op.retain
    } else if (op.insert !== undefined) {
      const length = typeof op.insert === 'string' ? op.insert.length : 1
      if (index < mapped) mapped += length
      index += length
    } else if (op.delete !== undefined) {
      if (index < mapped) mapped -= Math.min(op.delete, mapped - index)
    }
  }
  return mapped
}

export function bindTextInput (input, ytext, { editable, origin }) {
  let composing = false
  let pendingRemote = false
  input.value = ytext.toString()

  input.addEventListener('input', () => {
    if (!editable) return
    const before = ytext.toString()
    const change = diff(before, input.value)
    if (!change.removed && !change.inserted) return
    ytext.doc.transact(() => {
      if (change.removed) ytext.delete(change.start, change.removed)
      if (change.inserted) ytext.insert(change.start, change.inserted)
    }, origin)
  })

  function showRemote (delta) {
    const value = ytext.toString()
    if (value === input.value) return
    const focused = document.activeElement === input
    let start = input.selectionStart
    let end = input.selectionEnd
    if (delta && focused && start !== null && end !== null) {
      start = mapPosition(start, delta)
      end = mapPosition(end, delta)
    }
    input.value = value
    if (focused && start !== null && end !== null) input.setSelectionRange(start, end)
  }

  input.addEventListener('compositionstart', () => { composing = true })
  input.addEventListener('compositionend', () => {
    composing = false
    if (pendingRemote) {
      pendingRemote = false
      showRemote(null) // (typing during the composition was applied as it happened)
    }
  })

  const observer = (event, transaction) => {
    if (transaction.origin === origin) return // the input already shows it
    if (composing) {
      pendingRemote = true
      return
    }
    showRemote(event.delta)
  }
  ytext.observe(observer)
  return () => ytext.unobserve(observer)
}

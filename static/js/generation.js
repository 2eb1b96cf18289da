/*
 * The project page's studio: generate panel, job queue and media library (with its player and
 * remix form). Markup, URLs and every string it shows come from templates/generation/_studio.html
 * (data-* attributes on #studio and the <template>s there). Plain JS, no build step.
 *
 * Live: the project's websocket (/ws/projects/<id>/events) sends each job's state as
 * {"type": "job", id, status, progress, step, steps (over all clips), eta_s, error, clip?,
 * preview?}; a row is updated in place, a job nobody here submitted is fetched and inserted, and
 * a job that succeeds refreshes the media library. While the socket is down, running jobs are
 * polled instead, and everything is fetched again once it is back.
 */
(function () {
  "use strict";

  const studio = document.getElementById("studio");
  if (!studio || !window.fetch) return;

  const lang = document.documentElement.lang || "en";
  const canGenerate = studio.dataset.canGenerate === "true";
  const ACTIVE = new Set(["queued", "running"]);
  const FINISHED = new Set(["succeeded", "failed", "cancelled"]);
  const JOBS_PAGE = 20;
  const ASSETS_PAGE = 24;
  const MAX_PROMPT = 2000;
  const PROMPT_SHOWN = 160;
  const POLL_MS = 4000;
  const CLOSE_FORBIDDEN = 4403;
  const reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  // --- strings, numbers, times ------------------------------------------------------------

  function label(name, values) {
    const key = "label" + name.replace(/(^|-)(\w)/g, (_, dash, letter) => letter.toUpperCase());
    let text = studio.dataset[key] || "";
    if (values) text = text.replace(/\{(\w+)\}/g, (whole, field) => (field in values ? String(values[field]) : whole));
    return text;
  }

  function numberFormat(options) {
    try { return new Intl.NumberFormat(lang, options); } catch (error) { return new Intl.NumberFormat(lang); }
  }
  const integer = numberFormat({ maximumFractionDigits: 0 });
  const percent = numberFormat({ style: "percent", maximumFractionDigits: 0 });
  const secondsShort = numberFormat({ style: "unit", unit: "second", unitDisplay: "short", maximumFractionDigits: 1 });
  const secondsWhole = numberFormat({ style: "unit", unit: "second", unitDisplay: "short", maximumFractionDigits: 0 });
  const minutesShort = numberFormat({ style: "unit", unit: "minute", unitDisplay: "short", maximumFractionDigits: 0 });

  function duration(seconds, whole) {
    if (seconds >= 90) return minutesShort.format(Math.round(seconds / 60));
    return (whole ? secondsWhole : secondsShort).format(whole ? Math.max(1, Math.round(seconds)) : seconds);
  }

  const relative = ("RelativeTimeFormat" in Intl) ? new Intl.RelativeTimeFormat(lang, { numeric: "auto" }) : null;
  function ago(value) {
    const date = new Date(value);
    if (isNaN(date.getTime())) return "";
    const seconds = Math.round((date.getTime() - Date.now()) / 1000);
    const abs = Math.abs(seconds);
    if (abs < 45 || !relative) return abs < 45 ? label("just-now") : date.toLocaleString(lang);
    if (abs < 3600) return relative.format(Math.round(seconds / 60), "minute");
    if (abs < 86400) return relative.format(Math.round(seconds / 3600), "hour");
    if (abs < 86400 * 30) return relative.format(Math.round(seconds / 86400), "day");
    return date.toLocaleDateString(lang);
  }

  function shorten(text, length) {
    const chars = Array.from(text || "");
    return chars.length > length ? chars.slice(0, length - 1).join("").trimEnd() + "…" : chars.join("");
  }

  function el(id) { return document.getElementById(id); }

  // --- the API ------------------------------------------------------------------------------

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : studio.dataset.csrfToken;
  }

  class ApiError extends Error {
    constructor(message, status, fields, code) {
      super(message);
      this.status = status;
      this.fields = fields || {};
      this.code = code || "";
    }
  }

  async function api(url, { method = "GET", body } = {}) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
    let response;
    try {
      response = await fetch(url, { method, headers, credentials: "same-origin",
                                    body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      throw new ApiError(label("network-error"), 0);
    }
    let data = null;
    try { data = await response.json(); } catch (error) { data = null; }
    if (!response.ok) {
      const info = (data && data.error) || {};
      throw new ApiError(info.message || label("request-failed", { status: response.status }),
                         response.status, info.fields, info.code);
    }
    return data;
  }

  function withQuery(url, params) {
    const target = new URL(url, window.location.href);
    for (const [name, value] of Object.entries(params)) target.searchParams.set(name, String(value));
    return target.pathname + target.search;
  }

  function jobUrl(id, action) {
    return studio.dataset.jobsUrl + "/" + encodeURIComponent(id) + (action ? "/" + action : "");
  }

  function assetUrl(id, action) {
    return studio.dataset.assetsUrl + "/" + encodeURIComponent(id) + (action ? "/" + action : "");
  }

  // --- presets ------------------------------------------------------------------------------

  let presets = [];
  const presetByName = new Map();
  let usage = null;
  const PRESET_KEY = "storyloom.generation.preset";

  function fillPresetSelect(select, kind, selected) {
    const previous = selected || select.value;
    select.textContent = "";
    const groups = [["video", label("video-models")], ["image", label("image-models")]];
    for (const [groupKind, groupLabel] of groups) {
      if (kind && kind !== groupKind) continue;
      const list = presets.filter((preset) => preset.kind === groupKind);
      if (!list.length) continue;
      const group = document.createElement("optgroup");
      group.label = groupLabel;
      for (const preset of list) {
        const option = document.createElement("option");
        option.value = preset.name;
        option.textContent = preset.label || preset.name;
        group.appendChild(option);
      }
      select.appendChild(group);
    }
    if (previous && select.querySelector('option[value="' + CSS.escape(previous) + '"]')) select.value = previous;
  }

  function frameCount(preset, seconds, fps) {
    const step = Math.max(1, preset.frame_step || 1);
    return Math.max(1, Math.round(seconds * fps / step)) * step + 1;
  }

  function sizeLimits(preset) {
    const side = usage && usage.max_side ? usage.max_side : Infinity;
    return { width: Math.min(preset.max_width, side), height: Math.min(preset.max_height, side),
             multiple: preset.size_multiple || 1 };
  }

  /* Numbers of a form set to the preset's defaults and limits. */
  function applyPreset(form, preset) {
    const limits = sizeLimits(preset);
    const set = (name, value, attrs) => {
      const input = form.elements.namedItem(name);
      if (!input) return;
      if (value !== undefined) input.value = value;
      for (const [attr, attrValue] of Object.entries(attrs || {})) input.setAttribute(attr, attrValue);
    };
    const low = Math.max(64, limits.multiple);
    set("width", Math.min(preset.width, limits.width), { min: low, max: limits.width, step: limits.multiple });
    set("height", Math.min(preset.height, limits.height), { min: low, max: limits.height, step: limits.multiple });
    set("fps", preset.fps);
    set("seconds", Math.round(preset.frames / preset.fps * 100) / 100,
        { max: Math.floor((preset.max_frames - 1) / preset.fps * 10) / 10 });
    set("steps", preset.steps, { max: preset.max_steps });
    set("guidance", preset.guidance);
  }

  // --- forms: errors, counters, visibility --------------------------------------------------

  function clearErrors(form, prefix) {
    for (const list of form.querySelectorAll(".field__errors")) list.textContent = "";
    for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
    for (const field of form.querySelectorAll(".field--error")) field.classList.remove("field--error");
    el(prefix + "-form-error").hidden = true;
    el(prefix + "-form-list").textContent = "";
  }

  function fieldVisible(field) {
    for (let node = field; node && node !== document.body; node = node.parentElement) {
      if (node.hidden) return false;
    }
    return true;
  }

  /* The API's {"error": {message, fields}} on the form: each field's messages under it, the
     rest (a storyboard's "scenes", unknown fields, the quota) in the alert above the form. */
  function showErrors(form, prefix, error) {
    clearErrors(form, prefix);
    const alert = el(prefix + "-form-error");
    const list = el(prefix + "-form-list");
    let firstControl = null;
    let general = 0;
    for (const [name, messages] of Object.entries(error.fields || {})) {
      const field = form.querySelector('[data-field="' + CSS.escape(name) + '"]');
      const errors = el(prefix + "-" + name + "-errors");
      const target = field && errors && fieldVisible(field) ? errors : list;
      for (const message of messages) {
        const item = document.createElement("li");
        item.textContent = message;
        target.appendChild(item);
      }
      if (target === list) {
        general += messages.length;
      } else {
        field.classList.add("field--error");
        const control = field.querySelector("input, select, textarea");
        if (control) {
          control.setAttribute("aria-invalid", "true");
          firstControl = firstControl || control;
        }
      }
    }
    el(prefix + "-form-message").textContent = error.message;
    alert.hidden = false;
    if (general || !firstControl) {
      alert.focus();
    } else {
      firstControl.focus();
    }
  }

  function updateCounter(counter) {
    const input = el(counter.dataset.counterFor);
    if (!input) return;
    const count = Array.from(input.value).length;
    counter.textContent = label("counter", { count: integer.format(count), max: integer.format(MAX_PROMPT) });
    counter.classList.toggle("is-near", count >= MAX_PROMPT * 0.9);
  }

  for (const counter of studio.querySelectorAll("[data-counter-for]")) {
    const input = el(counter.dataset.counterFor);
    if (input) input.addEventListener("input", () => updateCounter(counter));
    updateCounter(counter);
  }

  function setVisibility(form, mode, kind) {
    for (const node of form.querySelectorAll("[data-mode-only], [data-kind-only]")) {
      const modeOk = !node.dataset.modeOnly || node.dataset.modeOnly === mode;
      const kindOk = !node.dataset.kindOnly || node.dataset.kindOnly === kind;
      node.hidden = !(modeOk && kindOk);
    }
  }

  function readNumber(form, name) {
    const input = form.elements.namedItem(name);
    if (!input || input.value.trim() === "") return undefined;
    const value = Number(input.value);
    return Number.isFinite(value) ? value : input.value;
  }

  // --- the generate panel -------------------------------------------------------------------

  const genForm = el("generate-form");
  const genPreset = el("gen-preset");
  const genSubmit = el("gen-submit");
  const genStatus = el("gen-status");

  function genMode() {
    const checked = genForm.querySelector("input[name=mode]:checked");
    return checked ? checked.value : "prompt";
  }

  function currentPreset(select) {
    return presetByName.get(select.value) || null;
  }

  function updateGenHints() {
    const preset = currentPreset(genPreset);
    if (!preset) return;
    const limits = sizeLimits(preset);
    el("gen-size-help").textContent = label("size-hint", { multiple: limits.multiple,
      width: integer.format(limits.width), height: integer.format(limits.height) });
    const seconds = Number(genForm.elements.namedItem("seconds").value);
    const fps = Number(genForm.elements.namedItem("fps").value) || preset.fps;
    el("gen-seconds-help").textContent = seconds > 0
      ? label("frames", { count: integer.format(frameCount(preset, seconds, fps)) }) : "";
  }

  function updateGenMode() {
    const mode = genMode();
    genForm.dataset.mode = mode;
    fillPresetSelect(genPreset, mode === "storyboard" ? "video" : null);
    const preset = currentPreset(genPreset);
    setVisibility(genForm, mode, preset ? preset.kind : "video");
    genSubmit.textContent = genSubmit.dataset["label" + (mode === "storyboard" ? "Storyboard" : "Prompt")];
    if (mode === "storyboard") loadStoryboardSummary();
  }

  async function loadStoryboardSummary() {
    const summary = el("gen-storyboard-summary");
    try {
      const board = await api(studio.dataset.storyboardUrl);
      const scenes = (board && board.scenes) || [];
      const total = scenes.reduce((sum, scene) => sum + (Number(scene.duration) || 0), 0);
      summary.textContent = scenes.length
        ? label("storyboard-summary", { count: integer.format(scenes.length), length: duration(total) })
        : label("storyboard-empty");
      summary.classList.toggle("is-warning", !scenes.length);
    } catch (error) {
      summary.textContent = "";
    }
  }

  function genPayload() {
    const mode = genMode();
    const preset = currentPreset(genPreset);
    const body = { preset: genPreset.value };
    const take = (name) => {
      const value = readNumber(genForm, name);
      if (value !== undefined) body[name] = value;
    };
    if (mode === "storyboard") {
      body.kind = "storyboard";
      body.style = genForm.elements.namedItem("style").value.trim();
      ["width", "height", "steps", "seed"].forEach(take);
      return body;
    }
    body.kind = preset ? preset.kind : "video";
    body.prompt = genForm.elements.namedItem("prompt").value.trim();
    const negative = genForm.elements.namedItem("negative_prompt").value.trim();
    if (negative) body.negative_prompt = negative;
    ["width", "height", "steps", "guidance", "seed"].forEach(take);
    if (body.kind === "video") ["seconds", "fps"].forEach(take);
    return body;
  }

  async function submitGenerate(event) {
    event.preventDefault();
    if (genSubmit.disabled) return;
    const body = genPayload();
    genSubmit.disabled = true;
    genStatus.textContent = label("submitting");
    try {
      const job = await api(studio.dataset.jobsUrl, { method: "POST", body });
      clearErrors(genForm, "gen");
      genStatus.textContent = label("queued-note");
      try { window.localStorage.setItem(PRESET_KEY, body.preset); } catch (error) { /* private mode */ }
      upsertJob(job, { flash: true });
      loadUsage();
    } catch (error) {
      genStatus.textContent = "";
      showErrors(genForm, "gen", error);
    } finally {
      genSubmit.disabled = false;
    }
  }

  async function loadUsage() {
    if (!canGenerate || !studio.dataset.usageUrl) return;
    try {
      usage = await api(studio.dataset.usageUrl);
    } catch (error) {
      return;
    }
    el("gen-usage").textContent = label("usage", {
      used: duration(usage.video_seconds_today), limit: duration(usage.video_seconds_per_day),
      jobs: integer.format(usage.jobs_in_flight), max: integer.format(usage.jobs_in_flight_max) });
    const preset = genPreset && currentPreset(genPreset);
    if (preset) {
      const limits = sizeLimits(preset);
      for (const [name, limit] of [["width", limits.width], ["height", limits.height]]) {
        genForm.elements.namedItem(name).setAttribute("max", limit);
      }
      updateGenHints();
    }
  }

  async function loadPresets() {
    const data = await api(studio.dataset.presetsUrl);
    presets = Array.isArray(data) ? data : (data && data.results) || [];
    for (const preset of presets) presetByName.set(preset.name, preset);
    if (!genForm) return;
    let stored = null;
    try { stored = window.localStorage.getItem(PRESET_KEY); } catch (error) { stored = null; }
    fillPresetSelect(genPreset, null, stored);
    updateGenMode();
    const preset = currentPreset(genPreset);
    if (preset) applyPreset(genForm, preset);
    updateGenHints();
  }

  if (genForm) {
    genForm.addEventListener("submit", submitGenerate);
    genForm.addEventListener("change", (event) => {
      if (event.target.name === "mode") {
        const before = genPreset.value;
        updateGenMode();
        if (genPreset.value !== before) applyPreset(genForm, currentPreset(genPreset));
        updateGenHints();
      } else if (event.target === genPreset) {
        const preset = currentPreset(genPreset);
        if (preset) applyPreset(genForm, preset);
        setVisibility(genForm, genMode(), preset ? preset.kind : "video");
        updateGenHints();
      }
    });
    genForm.addEventListener("input", (event) => {
      if (event.target.name === "seconds" || event.target.name === "fps") updateGenHints();
      genStatus.textContent = "";
      const field = event.target.closest(".field--error");
      if (field) {  // the user is fixing it
        field.classList.remove("field--error");
        event.target.removeAttribute("aria-invalid");
      }
    });
  }

  // --- the queue ----------------------------------------------------------------------------

  const jobList = el("job-list");
  const jobTemplate = el("job-template");
  const announcer = el("jobs-announcer");
  const jobs = new Map();  // public id -> the job as last known
  const rows = new Map();  // public id -> its <li>
  const fetching = new Set();
  let buffered = [];  // events that arrived before the first page
  let jobsLoaded = false;
  let jobsTotal = 0;
  let jobsNext = null;

  function statusLabel(status) { return label("status-" + status) || status; }

  function kindGlyph(kind) { return kind === "image" ? "◼" : kind === "storyboard" ? "▦" : "▶"; }

  function announce(text) {
    announcer.textContent = "";
    window.setTimeout(() => { announcer.textContent = text; }, 50);
  }

  function progressText(job) {
    const parts = [percent.format((job.progress || 0) / 100)];
    if (job.status === "running" && job.eta_s !== null && job.eta_s !== undefined && job.progress < 100) {
      parts.push(label("eta", { time: duration(job.eta_s, true) }));
    }
    const scenes = Array.isArray(job.scenes) ? job.scenes.length : 0;
    if (job.kind === "storyboard" && scenes) {
      let clip = job._clip;
      if (!clip && job.steps) clip = Math.min(scenes, Math.floor((job.step || 0) / job.steps) + 1);
      parts.push(label("scene", { number: clip || 1, count: scenes }));
    }
    return parts;
  }

  function jobMeta(job) {
    const parts = [label("by", { name: job.requester || label("someone") })];
    if (job.width && job.height) parts.push(label("size", { width: job.width, height: job.height }));
    if (job.kind !== "image" && job.seconds) parts.push(duration(job.seconds));
    if (job.kind === "storyboard" && Array.isArray(job.scenes) && job.scenes.length) {
      parts.push(label("scenes", { count: job.scenes.length }));
    }
    parts.push(ago(job.created_at));
    return parts.filter(Boolean).join(" · ");
  }

  function renderJob(row, job) {
    row.dataset.jobId = job.id;
    row.dataset.status = job.status;
    row.dataset.kind = job.kind;
    const badge = row.querySelector(".job__status");
    badge.textContent = statusLabel(job.status);
    badge.className = "badge job__status job__status--" + job.status;
    row.querySelector(".job__kind").textContent = label("kind-" + job.kind) || job.kind;
    const model = presetByName.get(job.preset);
    const modelEl = row.querySelector(".job__model");
    modelEl.textContent = model ? model.label || job.preset : job.preset;
    modelEl.title = job.preset;
    const prompt = row.querySelector(".job__prompt");
    prompt.textContent = shorten(job.prompt, PROMPT_SHOWN);
    prompt.title = job.prompt || "";
    row.querySelector(".job__meta").textContent = jobMeta(job);

    const running = job.status === "running";
    const progress = row.querySelector(".job__progress");
    progress.hidden = !running;
    if (running) {
      const value = Math.max(0, Math.min(100, job.progress || 0));
      const bar = progress.querySelector(".progress");
      const parts = progressText(job);
      bar.setAttribute("aria-valuenow", String(Math.round(value)));
      bar.setAttribute("aria-valuetext", parts.join(" · "));
      bar.setAttribute("aria-label", shorten(job.prompt, 60));
      progress.querySelector(".progress__bar").style.width = value + "%";
      const text = progress.querySelector(".job__progress-text");
      text.replaceChildren(...parts.map((part) => {
        const span = document.createElement("span");
        span.textContent = part;
        return span;
      }));
    }

    const error = row.querySelector(".job__error");
    error.hidden = !(job.status === "failed" && job.error);
    error.textContent = job.status === "failed" ? job.error || "" : "";

    const image = row.querySelector(".job__image");
    const source = running && job._preview ? job._preview
      : job.asset && job.asset.thumbnail ? job.asset.thumbnail : "";
    if (source) {
      if (image.getAttribute("src") !== source) image.src = source;
      image.hidden = false;
    } else {
      image.hidden = true;
      image.removeAttribute("src");
    }
    row.querySelector(".job__glyph").textContent = source ? "" : kindGlyph(job.kind);
    row.querySelector(".job__thumb").classList.toggle("is-live", running && !!job._preview);

    const open = row.querySelector(".job__open");
    open.hidden = !(job.status === "succeeded" && job.asset);
    const cancel = row.querySelector(".job__cancel");
    if (cancel) {
      cancel.hidden = !ACTIVE.has(job.status);
      cancel.disabled = !!job._cancelling;
    }
  }

  function updateJobsChrome() {
    el("jobs-loading").hidden = jobsLoaded;
    el("jobs-empty").hidden = !jobsLoaded || rows.size > 0;
    const count = el("jobs-count");
    count.hidden = !jobsTotal;
    count.textContent = integer.format(jobsTotal);
    el("jobs-more").hidden = !jobsNext;
  }

  function placeRow(row, job) {
    const created = Date.parse(job.created_at) || Date.now();
    for (const other of jobList.children) {
      const otherJob = jobs.get(other.dataset.jobId);
      if (otherJob && otherJob.id !== job.id && (Date.parse(otherJob.created_at) || 0) < created) {
        jobList.insertBefore(row, other);
        return;
      }
    }
    jobList.appendChild(row);
  }

  /* Add or update a job from the API (the whole job). */
  function upsertJob(data, { flash = false, append = false } = {}) {
    const known = jobs.get(data.id);
    const job = known ? Object.assign(known, data) : Object.assign({}, data);
    if (!known) {
      jobs.set(job.id, job);
      const row = jobTemplate.content.firstElementChild.cloneNode(true);
      rows.set(job.id, row);
      renderJob(row, job);
      if (append) jobList.appendChild(row); else placeRow(row, job);
      if (!append) jobsTotal += 1;
      if (flash) {
        row.classList.add("is-new");
        window.setTimeout(() => row.classList.remove("is-new"), 2500);
      }
    } else {
      if (FINISHED.has(job.status)) job._preview = null;
      renderJob(rows.get(job.id), job);
    }
    updateJobsChrome();
    return job;
  }

  async function fetchJob(id) {
    if (fetching.has(id)) return;
    fetching.add(id);
    try {
      const data = await api(jobUrl(id));
      const before = jobs.get(id);
      const previous = before ? before.status : null;
      const job = upsertJob(data, { flash: !before });
      if (previous !== job.status && job.status === "succeeded") loadAssets({ refresh: true });
    } catch (error) {
      /* gone, or the network: the next event or reconnection tries again */
    } finally {
      fetching.delete(id);
    }
  }

  /* A job's state from the project's stream. */
  function applyEvent(payload) {
    if (!payload || !payload.id) return;
    if (!jobsLoaded) { buffered.push(payload); return; }
    const job = jobs.get(payload.id);
    if (!job) { fetchJob(payload.id); return; }
    const previous = job.status;
    if (FINISHED.has(previous) && !FINISHED.has(payload.status)) return;  // a late, older event
    for (const name of ["status", "progress", "step", "eta_s", "error"]) {
      if (name in payload) job[name] = payload[name];
    }
    if ("steps" in payload) job.steps_total = payload.steps;  // the stream's steps are all clips'
    if ("clip" in payload) job._clip = payload.clip;
    if (payload.preview) job._preview = payload.preview;
    if (FINISHED.has(job.status)) job._preview = null;
    renderJob(rows.get(job.id), job);
    if (previous !== job.status) {
      announce(label("announce", { prompt: shorten(job.prompt, 60), status: statusLabel(job.status) }));
      if (job.status === "succeeded") {
        fetchJob(job.id);  // for its asset
        loadAssets({ refresh: true });
      }
      if (FINISHED.has(job.status)) loadUsage();
    }
  }

  async function loadJobs({ url, refresh = false } = {}) {
    const target = url || withQuery(studio.dataset.jobsUrl, { page_size: JOBS_PAGE });
    try {
      const data = await api(target);
      const results = (data && data.results) || [];
      if (!url) jobsTotal = data.count || results.length;
      for (const job of results) {
        const before = jobs.get(job.id);
        upsertJob(job, { append: !!url });
        if (refresh && before && before.status !== job.status && job.status === "succeeded") {
          loadAssets({ refresh: true });
        }
      }
      if (!url) jobsTotal = data.count || results.length;
      if (url || !jobsLoaded) jobsNext = data.next;
      el("jobs-error").hidden = true;
    } catch (error) {
      const alert = el("jobs-error");
      alert.textContent = jobsLoaded ? error.message : label("load-failed");
      alert.hidden = false;
    }
    if (!jobsLoaded) {
      jobsLoaded = true;
      const pending = buffered;
      buffered = [];
      pending.forEach(applyEvent);
    }
    updateJobsChrome();
  }

  async function cancelJob(id) {
    const job = jobs.get(id);
    if (!job || !window.confirm(label("cancel-confirm"))) return;
    job._cancelling = true;
    renderJob(rows.get(id), job);
    try {
      upsertJob(await api(jobUrl(id, "cancel"), { method: "POST" }));
      el("jobs-error").hidden = true;
    } catch (error) {
      const alert = el("jobs-error");
      alert.textContent = error.message;
      alert.hidden = false;
    } finally {
      job._cancelling = false;
      renderJob(rows.get(id), job);
    }
  }

  jobList.addEventListener("click", (event) => {
    const row = event.target.closest("[data-job-id]");
    if (!row) return;
    const id = row.dataset.jobId;
    if (event.target.closest(".job__cancel")) cancelJob(id);
    if (event.target.closest(".job__open")) {
      const job = jobs.get(id);
      if (job && job.asset) openAssetById(job.asset.id);
    }
  });
  el("jobs-more").addEventListener("click", () => { if (jobsNext) loadJobs({ url: jobsNext }); });

  window.setInterval(() => {
    for (const [id, row] of rows) row.querySelector(".job__meta").textContent = jobMeta(jobs.get(id));
  }, 30000);

  // --- the media library --------------------------------------------------------------------

  const grid = el("asset-grid");
  const assetTemplate = el("asset-template");
  const assets = new Map();  // asset id -> asset
  const tiles = new Map();
  let assetsLoaded = false;
  let assetsTotal = 0;
  let assetsNext = null;
  let assetsLoading = null;

  function renderTile(tile, asset) {
    tile.dataset.assetId = String(asset.id);
    tile.dataset.kind = asset.kind;
    const image = tile.querySelector(".asset-tile__image");
    image.src = asset.thumbnail || asset.poster || "";
    image.width = asset.width;
    image.height = asset.height;
    const job = asset.job || {};
    const kind = label("kind-" + (job.kind || asset.kind)) || asset.kind;
    tile.querySelector(".asset-tile__badge").textContent =
      asset.kind === "video" && asset.seconds ? kind + " · " + duration(asset.seconds) : kind;
    const caption = tile.querySelector(".asset-tile__caption");
    caption.textContent = shorten(job.prompt || label("asset-name", { id: asset.id }), 90);
    tile.querySelector(".asset-tile__button").title = job.prompt || "";
  }

  function addAsset(asset, { prepend = false } = {}) {
    assets.set(asset.id, asset);
    let tile = tiles.get(asset.id);
    if (!tile) {
      tile = assetTemplate.content.firstElementChild.cloneNode(true);
      tiles.set(asset.id, tile);
      if (prepend) {
        let before = null;
        for (const other of grid.children) {
          if (Number(other.dataset.assetId) < asset.id) { before = other; break; }
        }
        grid.insertBefore(tile, before);
        tile.classList.add("is-new");
        window.setTimeout(() => tile.classList.remove("is-new"), 2500);
      } else {
        grid.appendChild(tile);
      }
    }
    renderTile(tile, asset);
  }

  function updateLibraryChrome() {
    el("library-loading").hidden = assetsLoaded;
    el("library-empty").hidden = !assetsLoaded || tiles.size > 0;
    const count = el("library-count");
    count.hidden = !assetsTotal;
    count.textContent = integer.format(assetsTotal);
    el("library-more").hidden = !assetsNext;
  }

  /* The first page (again, when `refresh`: new assets go on top), or the next one. */
  function loadAssets({ url, refresh = false } = {}) {
    if (assetsLoading && !url) {  // one refresh at a time; ask again once it is done
      assetsLoading.then(() => (refresh ? loadAssets({ refresh: true }) : null));
      return assetsLoading;
    }
    const target = url || withQuery(studio.dataset.assetsUrl, { page_size: ASSETS_PAGE });
    const run = (async () => {
      try {
        const data = await api(target);
        const results = (data && data.results) || [];
        if (!url) assetsTotal = data.count || results.length;
        const ordered = refresh && !url ? results.slice().reverse() : results;
        for (const asset of ordered) addAsset(asset, { prepend: refresh && !url });
        if (url || !assetsLoaded) assetsNext = data.next;
        el("library-error").hidden = true;
      } catch (error) {
        const alert = el("library-error");
        alert.textContent = assetsLoaded ? error.message : label("load-failed");
        alert.hidden = false;
      }
      assetsLoaded = true;
      updateLibraryChrome();
    })();
    if (!url) {
      assetsLoading = run;
      run.finally(() => { if (assetsLoading === run) assetsLoading = null; });
    }
    return run;
  }

  grid.addEventListener("click", (event) => {
    const tile = event.target.closest("[data-asset-id]");
    if (tile) openAsset(assets.get(Number(tile.dataset.assetId)));
  });
  // Videos move while pointed at (or focused): the animated WebP preview.
  function hoverPreview(event, on) {
    const tile = event.target.closest && event.target.closest("[data-asset-id]");
    if (!tile || reducedMotion) return;
    const asset = assets.get(Number(tile.dataset.assetId));
    if (!asset || !asset.preview) return;
    tile.querySelector(".asset-tile__image").src = on ? asset.preview : asset.thumbnail || asset.poster;
  }
  grid.addEventListener("mouseover", (event) => hoverPreview(event, true));
  grid.addEventListener("mouseout", (event) => {
    if (!event.relatedTarget || !event.target.closest("[data-asset-id]").contains(event.relatedTarget)) {
      hoverPreview(event, false);
    }
  });
  grid.addEventListener("focusin", (event) => hoverPreview(event, true));
  grid.addEventListener("focusout", (event) => hoverPreview(event, false));
  el("library-more").addEventListener("click", () => { if (assetsNext) loadAssets({ url: assetsNext }); });

  // --- the player ---------------------------------------------------------------------------

  const dialog = el("asset-dialog");
  const media = el("asset-media");
  const remixForm = el("remix-form");
  const remixToggle = el("asset-remix-toggle");
  let shown = null;  // the asset in the dialog
  let remixInitial = {};

  async function openAssetById(id) {
    let asset = assets.get(Number(id));
    if (!asset) {
      try {
        asset = await api(assetUrl(id));
      } catch (error) {
        return;
      }
    }
    openAsset(asset);
  }

  function stopMedia() {
    const video = media.querySelector("video");
    if (video) {
      video.pause();
      video.removeAttribute("src");
      video.load();
    }
    media.textContent = "";
  }

  function openAsset(asset) {
    if (!asset) return;
    shown = asset;
    const job = asset.job || {};
    stopMedia();
    el("asset-title").textContent = (label("kind-" + (job.kind || asset.kind)) || asset.kind) + " · "
      + label("asset-name", { id: asset.id });
    if (asset.kind === "video") {
      const video = document.createElement("video");
      video.controls = true;
      video.playsInline = true;
      video.loop = true;
      video.muted = true;
      video.preload = "auto";
      video.autoplay = !reducedMotion;
      video.width = asset.width;
      video.height = asset.height;
      if (asset.poster) video.poster = asset.poster;
      video.src = asset.file;
      video.setAttribute("aria-label", shorten(job.prompt || "", 120));
      media.appendChild(video);
    } else {
      const image = document.createElement("img");
      image.src = asset.file;
      image.alt = job.prompt || "";
      image.width = asset.width;
      image.height = asset.height;
      media.appendChild(image);
    }
    el("asset-prompt").textContent = job.prompt || "";
    const preset = presetByName.get(job.preset);
    el("asset-preset").textContent = preset ? preset.label || job.preset : job.preset || "";
    el("asset-preset").title = job.preset || "";
    el("asset-seed").textContent = job.seed !== undefined && job.seed !== null ? String(job.seed) : "";
    el("asset-size").textContent = label("size", { width: asset.width, height: asset.height });
    const isVideo = asset.kind === "video";
    el("asset-length-row").hidden = !isVideo;
    el("asset-length").textContent = isVideo
      ? label("length", { seconds: duration(asset.seconds || 0), frames: integer.format(asset.frames),
                          fps: integer.format(asset.fps) }) : "";
    el("asset-requested").textContent = [label("by", { name: job.requester || label("someone") }),
                                         ago(asset.created_at)].filter(Boolean).join(" · ");
    const parent = asset.parent;
    el("asset-parent").hidden = !parent;
    if (parent) {
      const link = el("asset-parent-link");
      link.textContent = label("asset-name", { id: parent.asset });
      link.href = "#asset-" + parent.asset;
      link.dataset.assetId = String(parent.asset);
    }
    const remixes = asset.remixes || 0;
    el("asset-remixes").textContent = remixes === 1 ? label("remixes-one")
      : remixes > 1 ? label("remixes-other", { count: integer.format(remixes) }) : "";
    el("asset-download").href = asset.download || asset.file;
    if (remixForm) {
      remixForm.hidden = true;
      remixToggle.setAttribute("aria-expanded", "false");
      el("remix-status").textContent = "";
    }
    if (!dialog.open) {
      if (dialog.showModal) dialog.showModal(); else dialog.setAttribute("open", "");
    }
    if (window.history.replaceState) window.history.replaceState(null, "", "#asset-" + asset.id);
  }

  function closeDialog() {
    if (dialog.open) dialog.close();
  }

  dialog.addEventListener("close", () => {
    stopMedia();
    shown = null;
    if (window.location.hash.startsWith("#asset-") && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.pathname + window.location.search);
    }
  });
  el("asset-close").addEventListener("click", closeDialog);
  dialog.addEventListener("click", (event) => {  // a click on the backdrop closes it
    if (event.target === dialog) closeDialog();
  });
  el("asset-parent-link").addEventListener("click", (event) => {
    event.preventDefault();
    openAssetById(event.currentTarget.dataset.assetId);
  });

  // --- remix --------------------------------------------------------------------------------

  const REMIX_NUMBERS = ["seed", "steps", "guidance", "width", "height", "seconds"];

  function fillRemix(asset) {
    const job = asset.job || {};
    const kind = job.kind === "image" ? "image" : "video";
    fillPresetSelect(el("remix-preset"), kind, job.preset);
    if (!presetByName.has(job.preset)) {  // a model no longer offered: keep it selectable
      const option = document.createElement("option");
      option.value = job.preset;
      option.textContent = job.preset;
      el("remix-preset").prepend(option);
      el("remix-preset").value = job.preset;
    }
    const values = {
      preset: job.preset || "", prompt: job.prompt || "", negative_prompt: job.negative_prompt || "",
      style: "", seed: job.seed ?? "", steps: job.steps ?? "", guidance: job.guidance ?? "",
      width: asset.width, height: asset.height,
      seconds: asset.kind === "video" && asset.seconds ? Math.round(asset.seconds * 100) / 100 : "",
    };
    remixInitial = {};
    for (const [name, value] of Object.entries(values)) {
      const control = remixForm.elements.namedItem(name);
      if (!control) continue;
      control.value = String(value);
      remixInitial[name] = control.value;
    }
    const preset = presetByName.get(job.preset);
    if (preset) {
      const limits = sizeLimits(preset);
      remixForm.elements.namedItem("width").setAttribute("step", limits.multiple);
      remixForm.elements.namedItem("height").setAttribute("step", limits.multiple);
      remixForm.elements.namedItem("steps").setAttribute("max", preset.max_steps);
    }
    // A storyboard renders its scenes as they are now: no prompt or length of its own.
    const storyboard = job.kind === "storyboard";
    for (const name of ["prompt", "negative_prompt"]) {
      remixForm.querySelector('[data-field="' + name + '"]').hidden = storyboard;
    }
    remixForm.querySelector('[data-field="style"]').hidden = !storyboard;
    remixForm.querySelector('[data-field="seconds"]').hidden = storyboard || asset.kind !== "video";
    clearErrors(remixForm, "remix");
    updateCounter(el("remix-prompt-counter"));
  }

  function remixChanges() {
    const changes = {};
    for (const [name, initial] of Object.entries(remixInitial)) {
      const control = remixForm.elements.namedItem(name);
      const field = control && control.closest(".field");
      if (!control || (field && !fieldVisible(field)) || control.value === initial) continue;
      if (REMIX_NUMBERS.includes(name)) {
        const value = readNumber(remixForm, name);
        if (value !== undefined) changes[name] = value;
      } else {
        changes[name] = control.value.trim();
      }
    }
    return changes;
  }

  if (remixForm) {
    remixToggle.addEventListener("click", () => {
      const opening = remixForm.hidden;
      if (opening && shown) fillRemix(shown);
      remixForm.hidden = !opening;
      remixToggle.setAttribute("aria-expanded", String(opening));
      el("remix-status").textContent = "";
      if (opening) {
        const first = remixForm.querySelector(".field:not([hidden]) textarea, .field:not([hidden]) input");
        if (first) first.focus();
      }
    });
    el("remix-reseed").addEventListener("click", () => {
      const value = new Uint32Array(1);
      window.crypto.getRandomValues(value);
      remixForm.elements.namedItem("seed").value = String(value[0]);
    });
    remixForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!shown) return;
      const submit = el("remix-submit");
      const status = el("remix-status");
      const changes = remixChanges();
      if (!Object.keys(changes).length) {
        status.textContent = label("remix-unchanged");
        return;
      }
      submit.disabled = true;
      status.textContent = label("submitting");
      try {
        const job = await api(assetUrl(shown.id, "remix"), { method: "POST", body: changes });
        clearErrors(remixForm, "remix");
        upsertJob(job, { flash: true });
        remixForm.hidden = true;
        remixToggle.setAttribute("aria-expanded", "false");
        el("remix-status").textContent = label("remix-queued");
        remixToggle.focus();
        loadUsage();
      } catch (error) {
        status.textContent = "";
        showErrors(remixForm, "remix", error);
      } finally {
        submit.disabled = false;
      }
    });
    remixForm.addEventListener("input", (event) => {
      const field = event.target.closest(".field--error");
      if (field) {
        field.classList.remove("field--error");
        event.target.removeAttribute("aria-invalid");
      }
    });
  }

  // --- the project's stream -----------------------------------------------------------------

  let socket = null;
  let attempts = 0;
  let everConnected = false;
  let stopped = false;
  let pingTimer = null;

  function socketOpen() { return socket && socket.readyState === WebSocket.OPEN; }

  function connect() {
    if (stopped || !("WebSocket" in window)) return;
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + window.location.host + studio.dataset.wsPath);
    } catch (error) {
      retry();
      return;
    }
    socket.onopen = () => {
      const reconnected = everConnected;
      everConnected = true;
      attempts = 0;
      studio.dataset.live = "open";
      if (reconnected) {  // what changed while the socket was down
        loadJobs({ refresh: true });
        loadAssets({ refresh: true });
      }
      window.clearInterval(pingTimer);
      pingTimer = window.setInterval(() => {
        if (socketOpen()) socket.send(JSON.stringify({ type: "ping" }));
      }, 25000);
    };
    socket.onmessage = (message) => {
      let data;
      try { data = JSON.parse(message.data); } catch (error) { return; }
      if (data && (data.type === "job" || data.event === "job")) applyEvent(data.payload || data);
    };
    socket.onclose = (close) => {
      window.clearInterval(pingTimer);
      socket = null;
      studio.dataset.live = "closed";
      if (close.code === CLOSE_FORBIDDEN) { stopped = true; return; }
      retry();
    };
    socket.onerror = () => { /* onclose follows */ };
  }

  function retry() {
    if (stopped) return;
    attempts += 1;
    const delay = Math.min(30000, 1000 * Math.pow(2, attempts - 1));
    window.setTimeout(connect, delay / 2 + Math.random() * delay / 2);
  }

  // Without the socket, the jobs still in progress are asked about now and then.
  window.setInterval(() => {
    if (socketOpen() || document.visibilityState === "hidden") return;
    for (const job of jobs.values()) if (ACTIVE.has(job.status)) fetchJob(job.id);
  }, POLL_MS);

  window.addEventListener("pagehide", () => {
    stopped = true;
    if (socket) socket.close(1000);
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) { stopped = false; if (!socket) connect(); }
  });

  // --- start --------------------------------------------------------------------------------

  connect();
  const presetsReady = loadPresets().catch((error) => {
    if (genForm) showErrors(genForm, "gen", error);
  });
  loadUsage();
  loadJobs();
  Promise.all([presetsReady, loadAssets()]).then(() => {
    // Preset labels arrived after some rows were drawn: draw them again.
    for (const [id, row] of rows) renderJob(row, jobs.get(id));
    const match = window.location.hash.match(/^#asset-(\d+)$/);
    if (match) openAssetById(match[1]);
  });
})();

/*
 * The project page's studio (templates/generation/_studio.html): generate panel, job queue,
 * media library and player. The studio bundle's entry (npm run build); it wires them together:
 *
 *   util.js      strings (data-label-*), formats        api.js      fetch with session + CSRF
 *   presets.js   models and plan limits                  fields.js   form errors, counters
 *   form.js      the generate panel                      queue.js    jobs, live, cancel
 *   library.js   the media grid, palettes on its tiles   player.js   the dialog, storyboard scenes
 *   remix.js     the player's remix form                 live.js     the project bundle's stream
 *   models.js    the staff Models page's install progress
 *   aesthetics.js  the player's aesthetic report (its palette also goes to the library's tile)
 */

import { initAesthetics } from "./aesthetics.js";
import { initCounters } from "./fields.js";
import { initForm, jobChanged, presetsFailed, presetsLoaded, refreshUsage } from "./form.js";
import { addNewAsset, getAsset, initLibrary, loadAssets, paletteMeasured } from "./library.js";
import { initLive } from "./live.js";
import { assetUpdated, initPlayer, openAsset, openAssetById, shownAsset } from "./player.js";
import { initModels } from "./models.js";
import { loadPresets } from "./presets.js";
import { applyEvent, getJob, initQueue, loadJobs, pollActive, rerender, submitted } from "./queue.js";
import { initRemix, remixReset } from "./remix.js";
import { studio } from "./util.js";

/* A job POSTed from the generate panel or the remix form: into the queue, then today's use. */
async function submit(request) {
  const job = await submitted(request);
  refreshUsage();
  return job;
}

function start() {
  initCounters(studio);
  initForm({ submit, open: openAssetById });
  initQueue({
    open: openAssetById,
    succeeded: (job) => { if (job.asset) addNewAsset(job.asset.id); },
    finished: () => refreshUsage(),
    changed: jobChanged,
  });
  initLibrary({ open: openAsset, updated: assetUpdated });
  initPlayer({ getAsset, getJob, opened: remixReset });
  initAesthetics({ measured: (asset, report) => paletteMeasured(asset.id, report.palette) });
  initRemix({ shown: shownAsset, submit });
  initLive({
    job: applyEvent,
    reconnected: () => { loadJobs({ refresh: true }); loadAssets({ refresh: true }); },
    poll: pollActive,
  });

  const presetsReady = loadPresets().then(presetsLoaded, presetsFailed);
  refreshUsage();
  loadJobs();
  Promise.all([presetsReady, loadAssets()]).then(() => {
    rerender();  // the preset labels arrived after some rows were drawn
    const match = window.location.hash.match(/^#asset-(\d+)$/);
    if (match) openAssetById(match[1]);
  });
}

if (studio && window.fetch) start();
initModels();  // the staff Models page (templates/generation/models.html) loads this bundle too

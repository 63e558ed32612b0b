// The Moji Mini App: edit your look and see your emoji redrawn as you go.
// Everything comes from this server. Telegram's launch data is read from the URL fragment
// (#tgWebAppData=...), or from window.Telegram.WebApp when Telegram's script is there.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const tg = window.Telegram && window.Telegram.WebApp ? window.Telegram.WebApp : null;
  const PREVIEW_SIZE = 384;
  // the same editor serves the playground (/, no Telegram): its look lives in the page
  const PLAY = document.body.dataset.mode === "playground";

  // --- launch data, language, theme ------------------------------------------------------------
  function launchParams() {
    const out = {};
    for (const source of [location.hash.slice(1), location.search.slice(1)]) {
      for (const [key, value] of new URLSearchParams(source)) if (!(key in out)) out[key] = value;
    }
    return out;
  }
  const launch = launchParams();
  const initData = (tg && tg.initData) || launch.tgWebAppData || "";
  let initUser = {};
  try { initUser = JSON.parse(new URLSearchParams(initData).get("user") || "{}"); } catch (e) { initUser = {}; }

  function language(code) {
    const primary = String(code || "").toLowerCase().replace("_", "-").split("-")[0];
    if (primary === "zh") return "zh_Hans";
    return ["en", "es", "ru"].includes(primary) ? primary : "en";
  }
  const lang = language(initUser.language_code);
  document.documentElement.lang = lang === "zh_Hans" ? "zh-Hans" : lang;
  let T = {};
  const t = (key, n) => String((T[key] !== undefined ? T[key] : key)).replace("{n}", n);
  const traitName = (path) => (T.traits && T.traits[path]) || path;
  const choiceName = (value) => (T.choices && T.choices[value]) || String(value).replace(/_/g, " ");

  // --- Telegram, without telegram-web-app.js -----------------------------------------------------
  // Telegram's script, when a page of its own loaded it, is used as it is. Otherwise the page
  // talks to the Telegram client the way that script does: events out through the client's
  // bridge (the mobile apps' TelegramWebviewProxy, Desktop's window.external.notify, Telegram
  // Web's postMessage to its frame), events in through window.Telegram.WebView.receiveEvent.
  const listeners = {};
  function postEvent(type, data) {
    const body = data || {};
    try {
      if (window.TelegramWebviewProxy) window.TelegramWebviewProxy.postEvent(type, JSON.stringify(body));
      else if (window.external && "notify" in window.external) {
        window.external.notify(JSON.stringify({ eventType: type, eventData: body }));
      } else if (window.parent !== window) {
        window.parent.postMessage(JSON.stringify({ eventType: type, eventData: body }), "https://web.telegram.org");
      }
    } catch (e) { /* not inside a Telegram client */ }
  }
  function onEvent(type, fn) { (listeners[type] = listeners[type] || []).push(fn); }
  if (!tg) {
    window.Telegram = window.Telegram || {};
    window.Telegram.WebView = { receiveEvent(type, data) {
      (listeners[type] || []).slice().forEach((fn) => fn(data || {}));
    } };
    window.addEventListener("message", (event) => {
      if (event.origin !== "https://web.telegram.org") return;
      try {
        const message = JSON.parse(event.data);
        if (message && message.eventType) window.Telegram.WebView.receiveEvent(message.eventType, message.eventData);
      } catch (e) { /* not for us */ }
    });
  }
  const version = (tg && tg.version) || launch.tgWebAppVersion || "";
  function atLeast(wanted) {
    const have = version.split(".").map(Number);
    const want = wanted.split(".").map(Number);
    for (let i = 0; i < want.length; i++) {
      if ((have[i] || 0) !== want[i]) return (have[i] || 0) > want[i];
    }
    return true;
  }
  const cssVar = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const telegram = {
    ready() { if (tg) { tg.ready(); tg.expand(); } else { postEvent("web_app_ready"); postEvent("web_app_expand"); } },
    haptic(kind) {
      if (tg) {
        if (!tg.HapticFeedback) return;
        if (kind === "selection") tg.HapticFeedback.selectionChanged();
        else tg.HapticFeedback.notificationOccurred(kind);
      } else if (version) {
        postEvent("web_app_trigger_haptic_feedback", kind === "selection" ? { type: "selection_change" }
          : { type: "notification", notification_type: kind });
      }
    },
    mainButton(text, visible) {
      if (tg && tg.MainButton) {
        if (visible) tg.MainButton.setText(text).show(); else tg.MainButton.hide();
      } else if (version) {
        postEvent("web_app_setup_main_button", { is_visible: visible, is_active: true, text,
          color: cssVar("--button"), text_color: cssVar("--button-text") });
      }
    },
    onMainButton(fn) { if (tg && tg.MainButton) tg.MainButton.onClick(fn); else onEvent("main_button_pressed", fn); },
    canSetEmojiStatus() { return tg ? typeof tg.requestEmojiStatusAccess === "function" : !!version && atLeast("8.0"); },
    requestEmojiStatusAccess(callback) {
      if (tg) { tg.requestEmojiStatusAccess(callback); return; }
      const once = (data) => {
        listeners.emoji_status_access_requested = (listeners.emoji_status_access_requested || []).filter((f) => f !== once);
        callback(data.status === "allowed");
      };
      onEvent("emoji_status_access_requested", once);
      postEvent("web_app_request_emoji_status_access");
    },
  };
  onEvent("theme_changed", (data) => applyTheme(data.theme_params));

  function applyTheme(given) {
    let params = given || (tg && tg.themeParams && Object.keys(tg.themeParams).length ? tg.themeParams : null);
    if (!params && launch.tgWebAppThemeParams) {
      try { params = JSON.parse(launch.tgWebAppThemeParams); } catch (e) { params = null; }
    }
    if (!params) return;
    const names = { bg_color: "--bg", text_color: "--text", hint_color: "--hint",
      link_color: "--link", button_color: "--button", button_text_color: "--button-text",
      secondary_bg_color: "--card", section_separator_color: "--line" };
    const root = document.documentElement;
    for (const [key, variable] of Object.entries(names)) {
      if (/^#[0-9a-f]{6}$/i.test(params[key] || "")) root.style.setProperty(variable, params[key]);
    }
    const bg = params.bg_color || "";
    if (/^#[0-9a-f]{6}$/i.test(bg)) {
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(bg.slice(i, i + 2), 16));
      const dark = (0.299 * r + 0.587 * g + 0.114 * b) < 128;
      root.classList.remove("tg-dark", "tg-light");
      root.classList.add(dark ? "tg-dark" : "tg-light");
      if (!params.section_separator_color) root.style.setProperty("--line", dark ? "#3a4654" : "#d6d6db");
      if (!params.secondary_bg_color) root.style.setProperty("--card", dark ? "#232e3c" : "#f1f1f4");
    }
  }

  // --- talking to the server -------------------------------------------------------------------
  class Refused extends Error {}
  async function api(method, path, body) {
    if (PLAY) path = path.replace("/api/", "/play/");
    const headers = PLAY ? {} : { Authorization: "tma " + initData };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(path, { method, headers,
      body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status === 401 && !PLAY) {
      const answer = await res.json().catch(() => ({}));
      fatal(answer.error === "expired" ? t("error_expired") : t("error_auth"));
      throw new Refused("401");
    }
    if (res.status === 429) {
      toast(t("rate"));
      throw new Refused("429");
    }
    return res;
  }

  function fatal(message) {
    const box = $("error");
    box.textContent = message;
    box.hidden = false;
    $("app").classList.add("locked");
    $("app").setAttribute("aria-busy", "false");
    telegram.mainButton("", false);
  }

  // a drawing request: the changes (the Mini App's server knows the kept look); the
  // playground sends the measured look too, and the photo's expression
  function drawingBody(extra) {
    const body = { likeness: changes, style, ...extra };
    if (PLAY) Object.assign(body, { base: saved.likeness, face_part: saved.face_part,
      expression: saved.expression });
    return body;
  }

  let toastTimer = 0;
  function toast(message) {
    const box = $("toast");
    box.textContent = message;
    box.classList.add("shown");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => box.classList.remove("shown"), 3500);
  }

  // --- the look being edited -------------------------------------------------------------------
  let parts = null; // /api/parts
  let saved = null; // /api/me
  let changes = {}; // unsaved changes, in Likeness.to_dict's shape
  let style = "classic";
  const timings = (window.mojiTimings = []); // tap -> new preview drawn, ms (the browser test)

  const isObject = (v) => v && typeof v === "object" && !Array.isArray(v);
  function get(data, path) {
    return path.split(".").reduce((v, k) => (isObject(v) ? v[k] : undefined), data);
  }
  function setChange(path, value) {
    const keys = path.split(".");
    let holder = changes;
    for (const key of keys.slice(0, -1)) holder = holder[key] = isObject(holder[key]) ? holder[key] : {};
    holder[keys[keys.length - 1]] = value;
  }
  function current(path) {
    const changed = get(changes, path);
    return changed !== undefined ? changed : get(saved.likeness, path);
  }
  const dirty = () => Object.keys(changes).length > 0 || (!PLAY && style !== saved.style);

  // Where a palette keeps its colour, and the swatch each name is drawn in.
  const PALETTES = {
    "hair.colour": { rgb: "hair.rgb", swatch: (v) => parts.swatches.hair[v] },
    "skin.monk": { rgb: "skin.rgb", swatch: (v) => parts.swatches.monk[v - 1] },
    "eyes.colour": { rgb: "eyes.rgb", swatch: (v) => parts.swatches.eyes[v] },
  };
  const GUESS_FIELD = { "hair.length": "hair_length", "hair.colour": "hair_colour",
    "hair_detail.style": "hair_style", "hair_detail.hairline": "hairline", "skin.monk": "monk",
    "eyes.colour": "eye_colour", "facial_hair": "facial_hair", "glasses": "glasses",
    "headwear": "headwear", "age_signs": "age_signs", "earrings": "earrings" };
  const GROUPS = [
    ["hair.length", "hair_detail.style", "hair.colour", "hair_detail.hairline"],
    ["skin.monk", "eyes.colour", "age_signs"],
    ["facial_hair", "glasses", "headwear", "earrings"],
  ];

  function measured(path) {
    // the colour the photo gave, when it is not just its name's swatch
    const palette = PALETTES[path];
    const name = get(saved.likeness, path);
    const rgb = get(saved.likeness, palette.rgb);
    if (!saved.saved || name === null || name === undefined || !rgb) return null;
    return rgb.toLowerCase() !== String(palette.swatch(name) || "").toLowerCase() ? { name, rgb } : null;
  }

  function ordered(path) {
    const choices = parts.traits[path].slice();
    const guesses = (saved.guesses && saved.guesses[GUESS_FIELD[path]]) || [];
    const first = guesses.map((g) => (path === "skin.monk" ? Number(g) : g)).filter((g) => choices.includes(g));
    return first.concat(choices.filter((c) => !first.includes(c)));
  }

  function selected(path) {
    if (PALETTES[path]) {
      const m = measured(path);
      const changedName = get(changes, path);
      if (m && changedName === undefined) return "measured";
      if (m && changedName === m.name && get(changes, PALETTES[path].rgb) === m.rgb) return "measured";
    }
    return current(path);
  }

  // --- building the controls -------------------------------------------------------------------
  let uid = 0;
  function radio(container, name, value, checked, label, swatch, extraClass) {
    const id = "c" + ++uid;
    const wrap = document.createElement("label");
    wrap.className = swatch ? "swatch" + (extraClass ? " " + extraClass : "") : "chip";
    wrap.htmlFor = id;
    const input = document.createElement("input");
    Object.assign(input, { type: "radio", name, id, value: String(value), checked });
    const face = document.createElement("span");
    if (swatch) {
      face.style.background = swatch;
      wrap.title = label;
      input.setAttribute("aria-label", label);
    } else {
      face.textContent = label;
    }
    wrap.append(input, face);
    container.append(wrap);
    return input;
  }

  function traitControl(path) {
    const box = document.createElement("fieldset");
    box.dataset.trait = path;
    const legend = document.createElement("legend");
    legend.textContent = traitName(path);
    legend.id = "l-" + path.replace(/\W/g, "-");
    box.append(legend);
    const chosen = selected(path);
    if (path === "hair_detail.style" || path === "hair_detail.hairline") {
      const select = document.createElement("select");
      select.name = path;
      select.setAttribute("aria-labelledby", legend.id);
      const choices = [null].concat(ordered(path));
      for (const value of choices) {
        const option = new Option(value === null ? t("auto") : choiceName(value), value === null ? "" : value);
        option.selected = (chosen || null) === value;
        select.append(option);
      }
      box.append(select);
      return box;
    }
    const palette = PALETTES[path];
    const row = document.createElement("div");
    row.className = palette ? "swatches" : "chips";
    row.setAttribute("role", "radiogroup");
    row.setAttribute("aria-labelledby", legend.id);
    box.append(row);
    if (palette) {
      const m = measured(path);
      if (m) {
        const label = (path === "skin.monk" ? t("monk", m.name) : choiceName(m.name)) + " (" + t("measured") + ")";
        radio(row, path, "measured", chosen === "measured", label, m.rgb, "measured");
      }
      for (const value of ordered(path)) {
        const label = path === "skin.monk" ? t("monk", value) : choiceName(value);
        radio(row, path, value, chosen === value, label, palette.swatch(value));
      }
    } else {
      for (const value of ordered(path)) radio(row, path, value, chosen === value, choiceName(value));
    }
    return box;
  }

  function buildEditor() {
    const form = $("editor");
    form.textContent = "";
    for (const group of GROUPS) {
      const box = document.createElement("div");
      box.className = "group";
      for (const path of group) if (parts.traits[path]) box.append(traitControl(path));
      form.append(box);
    }
    updateHairState();
  }

  function buildStyles() {
    const box = $("styles");
    box.querySelectorAll(".chip").forEach((c) => c.remove());
    $("styles-label").textContent = t("style");
    for (const s of parts.styles) radio(box, "style", s.name, s.name === style, s.title);
  }

  function updateHairState() {
    const bald = current("hair.length") === "none";
    for (const path of ["hair.colour", "hair_detail.style", "hair_detail.hairline"]) {
      const box = document.querySelector(`fieldset[data-trait="${path}"]`);
      if (box) box.disabled = bald;
    }
    const info = parts.styles.find((s) => s.name === style);
    const note = $("note");
    note.hidden = !(info && info.kinds && !info.kinds.includes("hair"));
    note.textContent = t("classic_no_hair");
  }

  function updateDirty() {
    const d = dirty();
    if ($("save")) $("save").disabled = !d;
    $("undo").disabled = !d;
    $("dirty").hidden = !d;
    $("dirty").textContent = t("unsaved");
    if (!PLAY) telegram.mainButton(t("save"), d);
  }

  // --- drawing -----------------------------------------------------------------------------------
  let drawing = false;
  let wanted = null; // the tap time of a preview asked for while one was being drawn
  let drawn = 0;
  async function redraw(tapped) {
    if (drawing) { wanted = tapped; return; }
    drawing = true;
    const img = $("preview");
    img.classList.add("busy");
    try {
      const res = await api("POST", "/api/preview", drawingBody({ size: PREVIEW_SIZE }));
      if (res.ok) {
        const url = URL.createObjectURL(await res.blob());
        const old = img.src;
        img.src = url;
        await img.decode().catch(() => {});
        if (old.startsWith("blob:")) URL.revokeObjectURL(old);
        img.dataset.drawn = String(++drawn);
        if (tapped !== null && tapped !== undefined) timings.push(performance.now() - tapped);
      } else {
        const answer = await res.json().catch(() => ({}));
        toast(answer.message || t("error"));
      }
    } catch (e) {
      if (!(e instanceof Refused)) toast(t("error"));
    } finally {
      drawing = false;
      img.classList.remove("busy");
      if (wanted !== null) { const next = wanted; wanted = null; redraw(next); }
    }
  }

  let stripWanted = false;
  async function redrawStrip() {
    try {
      const res = await api("POST", "/api/strip", drawingBody({ size: 96 }));
      if (res.ok) {
        const img = $("strip");
        const old = img.src;
        img.src = URL.createObjectURL(await res.blob());
        if (old.startsWith("blob:")) URL.revokeObjectURL(old);
        img.dataset.drawn = String(Number(img.dataset.drawn || 0) + 1);
      }
    } catch (e) { /* told already */ }
  }
  let stripTimer = 0;
  function redrawStripSoon() { clearTimeout(stripTimer); stripTimer = setTimeout(redrawStrip, 900); }

  // --- what a tap does -----------------------------------------------------------------------------
  function onChange(event) {
    const tapped = performance.now();
    const input = event.target;
    const path = input.name;
    if (path === "style") {
      style = input.value;
      markGallery();
    } else if (PALETTES[path]) {
      if (input.value === "measured") {
        const m = measured(path);
        setChange(path, m.name);
        setChange(PALETTES[path].rgb, m.rgb);
      } else {
        setChange(path, path === "skin.monk" ? Number(input.value) : input.value);
        const rgb = get(changes, PALETTES[path].rgb);
        if (rgb !== undefined) setChange(PALETTES[path].rgb, null);
      }
    } else {
      setChange(path, input.value === "" ? null : input.value);
    }
    telegram.haptic("selection");
    updateHairState();
    updateDirty();
    redraw(tapped);
    redrawStripSoon();
  }

  async function save() {
    if (!dirty()) return;
    $("save").disabled = true;
    try {
      const res = await api("PUT", "/api/me", { likeness: changes, style });
      const answer = await res.json();
      if (!res.ok) { toast(answer.message || t("error")); updateDirty(); return; }
      saved = answer;
      changes = {};
      style = saved.style;
      buildEditor();
      updateDirty();
      toast(t("saved"));
      telegram.haptic("success");
      document.body.dataset.saved = String(saved.version);
    } catch (e) {
      if (!(e instanceof Refused)) toast(t("error"));
      updateDirty();
    }
  }

  function undo() {
    changes = {};
    style = saved.style;
    buildStyles();
    buildEditor();
    updateDirty();
    redraw(null);
    redrawStrip();
  }

  async function redrawPack() {
    if (dirty()) await save();
    try {
      const res = await api("POST", "/api/pack");
      const answer = await res.json();
      toast(t("pack_" + answer.outcome) || t("error"));
      document.body.dataset.pack = answer.outcome;
    } catch (e) { if (!(e instanceof Refused)) toast(t("error")); }
  }

  function emojiStatus() {
    telegram.requestEmojiStatusAccess(async (allowed) => {
      if (!allowed) { toast(t("status_refused")); return; }
      try {
        const res = await api("POST", "/api/emoji-status", {});
        const answer = await res.json();
        toast(res.ok ? t("status_set") : answer.error === "no_set" ? t("status_no_set") : t("status_refused"));
        document.body.dataset.status = res.ok ? "set" : answer.error || "error";
      } catch (e) { if (!(e instanceof Refused)) toast(t("error")); }
    });
  }

  // --- the playground --------------------------------------------------------------------------
  function markGallery() {
    document.querySelectorAll("#gallery button").forEach((b) => b.setAttribute(
      "aria-pressed", String(b.dataset.style === style)));
  }

  async function upload(file) {
    if (!file) return;
    const status = $("measuring");
    status.textContent = t("measuring");
    status.hidden = false;
    $("error").hidden = true;
    $("app").setAttribute("aria-busy", "true");
    try {
      const res = await fetch("/play/photo", { method: "POST", body: file,
        headers: { "Content-Type": file.type || "application/octet-stream" } });
      const answer = await res.json().catch(() => ({}));
      if (!res.ok) {
        const box = $("error");
        box.textContent = (T.errors && T.errors[answer.error]) || answer.message || t("error");
        box.hidden = false;
        document.body.dataset.failed = answer.error || "error";
        return;
      }
      saved = { ...answer, style: "avatar", version: 1, saved: true };
      changes = {};
      style = saved.style in answer.stickers ? saved.style : Object.keys(answer.stickers)[0];
      const gallery = $("gallery");
      gallery.textContent = "";
      for (const s of parts.styles) {
        const button = document.createElement("button");
        button.type = "button";
        button.dataset.style = s.name;
        const img = new Image(96, 96);
        img.src = answer.stickers[s.name];
        img.alt = "";
        const name = document.createElement("span");
        name.textContent = s.title;
        button.append(img, name);
        button.addEventListener("click", () => {
          style = s.name;
          buildStyles();
          markGallery();
          updateHairState();
          redraw(performance.now());
          redrawStrip();
        });
        gallery.append(button);
      }
      markGallery();
      $("edit").hidden = false;
      buildStyles();
      buildEditor();
      updateDirty();
      await redraw(null);
      redrawStrip();
      document.body.dataset.ready = String(Number(document.body.dataset.ready || 0) + 1);
    } catch (e) {
      toast(t("error"));
    } finally {
      status.hidden = true;
      $("app").setAttribute("aria-busy", "false");
    }
  }

  async function download(kind) {
    const isPack = kind === "pack";
    try {
      const res = await fetch(isPack ? "/play/pack" : "/play/preview", { method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(drawingBody(isPack ? {} : { size: 512, format: kind, download: 1 })) });
      if (!res.ok) { toast(t("error")); return; }
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement("a");
      a.href = url;
      a.download = isPack ? `moji-${style}-pack.zip` : `moji-${style}.${kind}`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) { toast(t("error")); }
  }

  async function startPlayground() {
    $("title").textContent = t("play_title");
    document.title = t("play_title");
    $("intro").textContent = t("play_intro");
    $("upload-label").textContent = t("upload");
    $("camera-label").textContent = t("camera");
    $("gallery-label").textContent = t("every_style");
    $("download-png").textContent = t("download_png");
    $("download-webp").textContent = t("download_webp");
    $("download-pack").textContent = t("download_pack");
    parts = await (await api("GET", "/api/parts")).json();
    $("editor").addEventListener("change", onChange);
    $("styles").addEventListener("change", onChange);
    $("undo").addEventListener("click", undo);
    for (const id of ["photo", "camera"]) {
      $(id).addEventListener("change", (e) => upload(e.target.files[0]));
    }
    $("download-png").addEventListener("click", () => download("png"));
    $("download-webp").addEventListener("click", () => download("webp"));
    $("download-pack").addEventListener("click", () => download("pack"));
    $("app").setAttribute("aria-busy", "false");
    document.body.dataset.loaded = "1";
  }

  // --- start -----------------------------------------------------------------------------------
  async function start() {
    applyTheme();
    telegram.ready();
    T = (await (await fetch("/static/i18n.json")).json())[PLAY ? language(navigator.language) : lang];
    $("preview").alt = t("preview_alt");
    $("undo").textContent = t("undo");
    $("strip").alt = t("strip_alt");
    $("strip-label").textContent = t("expressions");
    if (PLAY) { await startPlayground(); return; }
    document.title = t("title");
    $("title").textContent = t("title");
    $("save").textContent = t("save");
    $("undo").textContent = t("undo");
    $("pack").textContent = t("pack");
    $("status").textContent = t("status");
    $("preview").alt = t("preview_alt");
    $("strip").alt = t("strip_alt");
    $("strip-label").textContent = t("expressions");
    if (!initData) { fatal(t("error_auth")); return; }
    try {
      const [partsRes, meRes] = await Promise.all([api("GET", "/api/parts"), api("GET", "/api/me")]);
      parts = await partsRes.json();
      saved = await meRes.json();
    } catch (e) {
      if (!(e instanceof Refused)) fatal(t("error"));
      return;
    }
    style = saved.style;
    buildStyles();
    buildEditor();
    updateDirty();
    $("editor").addEventListener("change", onChange);
    $("styles").addEventListener("change", onChange);
    $("save").addEventListener("click", save);
    $("undo").addEventListener("click", undo);
    $("pack").addEventListener("click", redrawPack);
    if (telegram.canSetEmojiStatus()) {
      $("status").hidden = false;
      $("status").addEventListener("click", emojiStatus);
    }
    telegram.onMainButton(save);
    await redraw(null);
    $("app").setAttribute("aria-busy", "false");
    document.body.dataset.ready = "1";
    redrawStrip();
  }
  start();
})();

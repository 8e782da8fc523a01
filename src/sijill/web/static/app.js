// Sijill's pages: the player and its transcript, and uploads in chunks. No inline script
// anywhere (the pages' Content-Security-Policy forbids it); everything starts from here.
"use strict";

(function () {
  function csrf() {
    const m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.content : "";
  }

  // ---- the player and its transcript ------------------------------------------------
  function fmt(t) {
    t = Math.max(0, Math.floor(t));
    const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
    const ss = String(s).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + ss : m + ":" + ss;
  }

  function hashTime() {
    const m = /(?:^#|&)t=(\d+(?:\.\d+)?)/.exec(location.hash);
    return m ? parseFloat(m[1]) : null;
  }

  function setupPlayer() {
    const player = document.getElementById("player");
    const lines = Array.from(document.querySelectorAll("#transcript li[data-start]"));
    if (!player && !lines.length) return;
    let current = document.querySelector("#transcript li[aria-current]");

    function mark(t) {
      let found = null;
      for (const li of lines) {
        const a = parseFloat(li.dataset.start), b = parseFloat(li.dataset.end);
        if (t >= a && (t < b || b <= a)) found = li;
        if (a > t) break;
      }
      if (!found) {
        // between lines: the last one that started
        for (const li of lines) if (parseFloat(li.dataset.start) <= t) found = li;
      }
      if (found === current) return;
      if (current) current.removeAttribute("aria-current");
      if (found) {
        found.setAttribute("aria-current", "true");
        const box = found.parentElement;
        if (box && (found.offsetTop < box.scrollTop || found.offsetTop > box.scrollTop + box.clientHeight - 40)) {
          box.scrollTop = found.offsetTop - box.offsetTop - 20;
        }
      }
      current = found;
    }

    function seek(t) {
      mark(t);
      if (!player) return;
      const go = function () { player.currentTime = t; };
      if (player.readyState >= 1) go(); else player.addEventListener("loadedmetadata", go, { once: true });
    }

    const moment = document.getElementById("moment");
    const momentTime = document.getElementById("moment-time");
    if (player) {
      player.addEventListener("timeupdate", function () {
        mark(player.currentTime);
        if (moment) moment.href = "#t=" + Math.floor(player.currentTime);
        if (momentTime) momentTime.textContent = fmt(player.currentTime);
      });
    }
    document.addEventListener("click", function (ev) {
      const a = ev.target.closest('a[href^="#t="]');
      if (!a) return;
      const t = parseFloat(a.getAttribute("href").slice(3));
      if (isNaN(t)) return;
      ev.preventDefault();
      history.replaceState(null, "", "#t=" + (Math.round(t * 10) / 10));
      seek(t);
      if (player) player.play().catch(function () {});
    });
    window.addEventListener("hashchange", function () {
      const t = hashTime();
      if (t !== null) seek(t);
    });
    const t = hashTime();
    if (t !== null) {
      seek(t);
      const cur = current || document.querySelector("#transcript li[aria-current]");
      if (cur) cur.scrollIntoView({ block: "center" });
    } else {
      const pre = document.querySelector("#transcript li[aria-current]");
      if (pre) { current = pre; pre.scrollIntoView({ block: "center" }); }
    }
    const pageMatch = /#page=(\d+)/.exec(location.hash);
    if (pageMatch) {
      const page = document.getElementById("page-" + pageMatch[1]);
      if (page) page.scrollIntoView();
    }
  }

  // ---- uploads in chunks -------------------------------------------------------------
  async function api(method, url, body, headers) {
    const res = await fetch(url, {
      method: method,
      body: body,
      credentials: "same-origin",
      headers: Object.assign({ "X-CSRF-Token": csrf() }, headers || {}),
    });
    const data = await res.json().catch(function () { return {}; });
    if (!res.ok) throw new Error(data.detail ? (typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail)) : res.statusText);
    return data;
  }

  async function sendFile(file, form, list) {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = file.name + " ";
    name.dir = "auto";
    const bar = document.createElement("progress");
    bar.max = Math.max(file.size, 1);
    bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    const note = document.createElement("span");
    li.append(name, bar, note);
    list.append(li);
    try {
      const start = await api("POST", "/api/uploads", JSON.stringify({
        case: form.dataset.case, name: file.name, size: file.size,
        witness: form.witness.value || null, date: form.date.value || null,
      }), { "Content-Type": "application/json" });
      const size = start.chunk_size;
      let offset = 0;
      while (offset < file.size) {
        const piece = file.slice(offset, offset + size);
        let tries = 0;
        for (;;) {
          try {
            const r = await api("PUT", "/api/uploads/" + start.id + "?offset=" + offset, piece,
              { "Content-Type": "application/octet-stream" });
            offset = r.received;
            break;
          } catch (err) {
            if (++tries >= 3) throw err;
            await new Promise(function (ok) { setTimeout(ok, 1000 * tries); });
          }
        }
        bar.value = offset;
      }
      const done = await api("POST", "/api/uploads/" + start.id + "/finish");
      bar.value = bar.max;
      const status = done.status === "new" ? list.dataset.sealed : done.status === "duplicate" ? list.dataset.duplicate : done.status;
      note.textContent = " " + status + " ";
      if (done.item_id) {
        const a = document.createElement("a");
        a.href = "/items/" + done.item_id;
        a.textContent = list.dataset.open;
        note.append(a);
      }
      li.dataset.item = done.item_id || "";
    } catch (err) {
      note.textContent = " " + list.dataset.failed + ": " + err.message;
      note.className = "error";
    }
  }

  function setupUpload() {
    const form = document.getElementById("upload");
    if (!form) return;
    const drop = document.getElementById("drop");
    const list = document.getElementById("upload-list");
    const input = form.querySelector('input[type="file"]');
    async function sendAll(files) {
      for (const f of Array.from(files)) await sendFile(f, form, list);
    }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      sendAll(input.files);
    });
    ["dragenter", "dragover"].forEach(function (name) {
      drop.addEventListener(name, function (ev) { ev.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      drop.addEventListener(name, function (ev) { ev.preventDefault(); drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (ev) {
      if (ev.dataTransfer && ev.dataTransfer.files.length) sendAll(ev.dataTransfer.files);
    });
  }

  // ---- htmx: a refused write says why (htmx does not swap error responses) -----------
  function setupFlash() {
    const flash = document.getElementById("flash");
    if (!flash) return;
    document.body.addEventListener("htmx:responseError", function (ev) {
      const xhr = ev.detail.xhr;
      const doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      const msg = doc.querySelector("main p.error");
      flash.textContent = msg ? msg.textContent : (xhr.status + " " + xhr.statusText);
    });
    document.body.addEventListener("htmx:afterSwap", function () { flash.textContent = ""; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupPlayer();
    setupUpload();
    setupFlash();
  });
})();

// Guanxi page script: small progressive enhancements, hand-written, no build step.
// Every action here also works without it, as a plain form or link.
"use strict";

(() => {
  // Posts a form's data asking for JSON; answers { ok, status, body }.
  async function post(url, data) {
    const res = await fetch(url, {
      method: "POST",
      headers: { accept: "application/json" },
      body: new URLSearchParams(data),
      credentials: "same-origin",
    });
    let body = null;
    try {
      body = await res.json();
    } catch {
      body = null;
    }
    return { ok: res.ok, status: res.status, body };
  }

  function say(el, text, error) {
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("error", Boolean(error));
  }

  // Boards: drag a card to another column. The move carries the version the board
  // showed; if someone changed the record meanwhile the server refuses, the card goes
  // back where it was and the refusal is shown.
  const board = document.querySelector(".board");
  if (board) {
    const status = document.getElementById("board-status");
    let drag = null;

    // Counts, sums and the moved card's buttons as the server now sees them.
    async function refresh(id) {
      const res = await fetch(location.href, { credentials: "same-origin" });
      if (!res.ok) return;
      const doc = new DOMParser().parseFromString(await res.text(), "text/html");
      const fresh = doc.querySelectorAll(".kcol");
      board.querySelectorAll(".kcol").forEach((col, i) => {
        const other = fresh[i];
        if (!other || other.dataset.value !== col.dataset.value) return;
        col.querySelector(".ktotal").replaceWith(document.importNode(other.querySelector(".ktotal"), true));
      });
      const card = doc.querySelector(`.kcard[data-id="${id}"]`);
      const mine = board.querySelector(`.kcard[data-id="${id}"]`);
      if (card && mine) mine.replaceWith(document.importNode(card, true));
    }

    board.addEventListener("dragstart", (e) => {
      const card = e.target.closest?.(".kcard");
      if (!card) return;
      drag = { card, from: card.parentElement, next: card.nextElementSibling };
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", card.dataset.id);
      card.classList.add("dragging");
    });
    board.addEventListener("dragend", () => drag?.card.classList.remove("dragging"));
    board.addEventListener("dragover", (e) => {
      if (drag && e.target.closest?.(".kcol")) {
        e.preventDefault();
        e.dataTransfer.dropEffect = "move";
      }
    });
    board.addEventListener("drop", async (e) => {
      const col = e.target.closest?.(".kcol");
      if (!drag || !col) return;
      e.preventDefault();
      const { card, from, next } = drag;
      drag = null;
      card.classList.remove("dragging");
      const list = col.querySelector(".kcards");
      if (list === from) return;
      list.prepend(card);
      const form = card.querySelector("form.kmove");
      const data = new FormData(form);
      data.set(board.dataset.field, col.dataset.value);
      data.set("board", "1");
      say(status, "", false);
      const r = await post(form.action, data);
      if (r.ok) {
        card.dataset.version = r.body.version;
        form.querySelector("[name=version]").value = r.body.version;
        await refresh(card.dataset.id);
      } else {
        from.insertBefore(card, next);
        say(status, r.body?.message ?? `HTTP ${r.status}`, true);
      }
    });
  }

  // Lists: edit a cell in place. The pencil is a link to the record form; with this
  // script it opens the field's own input inside the cell instead.
  document.addEventListener("click", async (e) => {
    const link = e.target.closest?.("a.cell-edit");
    if (!link) return;
    e.preventDefault();
    const cell = link.closest("td");
    // /o/{plural}/{id}/edit#f-{field} → the field's editor, /o/{plural}/{id}/cell/{field}
    const editor = link.getAttribute("href").replace(/\/edit#f-([\w]+)$/, "/cell/$1");
    const res = await fetch(editor, { credentials: "same-origin" });
    if (!res.ok) {
      location.href = link.href;
      return;
    }
    const before = cell.innerHTML;
    cell.innerHTML = await res.text();
    const form = cell.querySelector("form");
    const input = form.querySelector("input:not([type=hidden]), select, textarea");
    const error = form.querySelector(".error");
    const close = () => {
      cell.innerHTML = before;
      cell.querySelector("a.cell-edit")?.focus();
    };
    input?.focus();
    form.querySelector(".cancel")?.addEventListener("click", close);
    form.addEventListener("keydown", (k) => {
      if (k.key === "Escape") close();
    });
    form.addEventListener("submit", async (s) => {
      s.preventDefault();
      const r = await post(form.action, new FormData(form));
      if (r.ok) {
        cell.innerHTML = before;
        const shown = cell.querySelector(".v");
        if (shown) shown.textContent = r.body.display;
        cell.classList.add("saved");
        cell.querySelector("a.cell-edit")?.focus();
      } else {
        input?.setAttribute("aria-invalid", "true");
        say(error, r.body?.message ?? `HTTP ${r.status}`, true);
      }
    });
  });

  // Lookup fields: suggest readable records by name as the user types; a picked
  // suggestion keeps its record's id beside the name (names need not be unique).
  document.addEventListener("input", (e) => {
    const box = e.target.closest?.("input[data-lookup]");
    if (!box) return;
    const kept = box.parentElement.querySelector(`input[type=hidden][name="${box.name}.id"]`);
    const list = document.getElementById(box.getAttribute("list"));
    const picked = list && [...list.options].find((o) => o.value === box.value);
    if (kept) kept.value = picked ? picked.dataset.id : "";
    if (picked || !list) return;
    clearTimeout(box.gxTimer);
    box.gxTimer = setTimeout(async () => {
      const q = box.value.trim();
      if (!q) return;
      const res = await fetch(`/o/${box.dataset.lookup}/lookup?q=${encodeURIComponent(q)}`, {
        credentials: "same-origin",
        headers: { accept: "application/json" },
      });
      if (!res.ok) return;
      const found = await res.json();
      list.replaceChildren(
        ...found.map((r) => {
          const o = document.createElement("option");
          o.value = r.name;
          o.dataset.id = r.id;
          return o;
        }),
      );
    }, 200);
  });

  // Lists: one box selects every row for a bulk action.
  const all = document.querySelector("input.select-all");
  if (all) {
    all.addEventListener("change", () => {
      document.querySelectorAll("input.select-row").forEach((b) => {
        b.checked = all.checked;
      });
    });
  }
  // An import that is running: show its progress as it moves.
  if (document.querySelector("[data-running]")) {
    setTimeout(() => location.reload(), 1000);
  }

  // The header's search box: results as the user types, from the same service as the
  // search page (which the box submits to without JS). Arrow keys move through the
  // results, Enter opens one, Escape closes them. Text goes in with textContent only.
  const searchBox = document.getElementById("gx-search");
  const searchList = document.getElementById("gx-search-results");
  if (searchBox && searchList) {
    let asked = 0;
    let active = -1;
    const items = () => [...searchList.querySelectorAll("li")];
    const close = () => {
      searchList.hidden = true;
      searchBox.setAttribute("aria-expanded", "false");
      searchBox.removeAttribute("aria-activedescendant");
      active = -1;
    };
    const mark = (i) => {
      const all = items();
      if (!all.length) return;
      active = (i + all.length) % all.length;
      all.forEach((li, n) => li.setAttribute("aria-selected", String(n === active)));
      searchBox.setAttribute("aria-activedescendant", all[active].id);
    };
    const show = (found, labels) => {
      searchList.replaceChildren(
        ...found.map((r, i) => {
          const li = document.createElement("li");
          li.id = `gx-search-${i}`;
          li.setAttribute("role", "option");
          const a = document.createElement("a");
          a.href = `/o/${r.object}/${r.id}`;
          a.tabIndex = -1;
          const name = document.createElement("span");
          name.textContent = r.name;
          const kind = document.createElement("span");
          kind.className = "kind";
          kind.textContent = labels[r.object] ?? r.object;
          a.append(name);
          if (r.tier_label) {
            const tier = document.createElement("span");
            tier.className = "tier";
            tier.textContent = r.tier_label;
            a.append(tier);
          }
          a.append(kind);
          if (r.secondary) {
            const second = document.createElement("span");
            second.className = "secondary";
            second.textContent = r.secondary;
            a.append(second);
          }
          li.append(a);
          return li;
        }),
      );
      const open = found.length > 0;
      searchList.hidden = !open;
      searchBox.setAttribute("aria-expanded", String(open));
      active = -1;
    };
    // Object labels as the page's menu names them (plural → label).
    const labels = {};
    document.querySelectorAll("nav.modules a[href^='/o/']").forEach((a) => {
      labels[a.getAttribute("href").slice(3)] = a.textContent.trim();
    });
    searchBox.addEventListener("input", () => {
      clearTimeout(searchBox.gxTimer);
      const q = searchBox.value.trim();
      if (!q) {
        close();
        return;
      }
      searchBox.gxTimer = setTimeout(async () => {
        const mine = ++asked;
        const res = await fetch(`/api/v1/search?limit=8&q=${encodeURIComponent(q)}`, {
          credentials: "same-origin",
          headers: { accept: "application/json" },
        });
        // An older answer arriving late must not replace a newer one.
        if (mine !== asked || !res.ok) return;
        const body = await res.json();
        show(body.data ?? [], labels);
      }, 120);
    });
    searchBox.addEventListener("keydown", (e) => {
      if (searchList.hidden) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        mark(active + (e.key === "ArrowDown" ? 1 : -1));
      } else if (e.key === "Enter" && active >= 0) {
        e.preventDefault();
        location.href = items()[active].querySelector("a").href;
      } else if (e.key === "Escape") {
        close();
      }
    });
    document.addEventListener("click", (e) => {
      if (!e.target.closest?.("form.gx-search")) close();
    });
  }

  // A customer's signature on a job sheet: drawn with a finger or the mouse; the form
  // sends it as a PNG (nothing when nothing was drawn, which the server refuses by name).
  for (const pad of document.querySelectorAll("canvas[data-signature]")) {
    const ctx = pad.getContext("2d");
    const form = pad.closest("form");
    const field = form?.querySelector(`input[name="${pad.dataset.signature}"]`);
    let drawing = false;
    let drawn = false;
    ctx.lineWidth = 3;
    ctx.lineCap = "round";
    ctx.strokeStyle = "#102a43";
    const at = (e) => {
      const r = pad.getBoundingClientRect();
      return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
    };
    pad.addEventListener("pointerdown", (e) => {
      drawing = true;
      pad.setPointerCapture(e.pointerId);
      ctx.beginPath();
      ctx.moveTo(...at(e));
      e.preventDefault();
    });
    pad.addEventListener("pointermove", (e) => {
      if (!drawing) return;
      ctx.lineTo(...at(e));
      ctx.stroke();
      drawn = true;
    });
    for (const end of ["pointerup", "pointercancel"]) pad.addEventListener(end, () => (drawing = false));
    document.querySelector(`[data-signature-clear="${pad.id}"]`)?.addEventListener("click", () => {
      ctx.clearRect(0, 0, pad.width, pad.height);
      drawn = false;
    });
    form?.addEventListener("submit", () => {
      if (field) field.value = drawn ? pad.toDataURL("image/png") : "";
    });
  }

  // A printable page's Print button (the page prints, or saves as PDF, without it too).
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
})();

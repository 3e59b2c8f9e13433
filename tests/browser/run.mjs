// Guanxi in a real browser: the binary with its demo company, Debian's Chromium driven
// headless by playwright-core. Screenshots at 375 px and 1440 px go to test-artifacts/.
//
//   cargo build --bin guanxi && (cd tests/browser && npm ci && node run.mjs)
import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const root = resolve(import.meta.dirname, "../..");
const bin = process.env.GUANXI_BIN ?? join(root, "target/debug/guanxi");
const artifacts = join(root, "test-artifacts");
mkdirSync(artifacts, { recursive: true });
const dataDir = mkdtempSync(join(tmpdir(), "guanxi-browser-"));
// A mail server on loopback standing in for the company's: it speaks SMTP and keeps what
// it is sent, so the mail Guanxi sends (portal links, surveys) can be followed.
const mailbox = [];
const smtp = createServer((socket) => {
  let buffer = "";
  let data = null;
  let to = [];
  socket.write("220 stand-in ESMTP\r\n");
  socket.on("data", (chunk) => {
    buffer += chunk.toString("latin1");
    let at;
    while ((at = buffer.indexOf("\r\n")) >= 0) {
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      if (data !== null) {
        if (line === ".") {
          mailbox.push({ to, raw: Buffer.from(data.join("\r\n"), "latin1").toString("utf8") });
          data = null;
          socket.write("250 queued\r\n");
        } else data.push(line.startsWith(".") ? line.slice(1) : line);
        continue;
      }
      const cmd = line.toUpperCase();
      if (cmd.startsWith("EHLO")) socket.write("250-stand-in\r\n250 8BITMIME\r\n");
      else if (cmd.startsWith("MAIL FROM")) { to = []; socket.write("250 ok\r\n"); }
      else if (cmd.startsWith("RCPT TO")) { to.push(line.slice(8).trim().replace(/[<>]/g, "")); socket.write("250 ok\r\n"); }
      else if (cmd === "DATA") { data = []; socket.write("354 go on\r\n"); }
      else if (cmd.startsWith("QUIT")) { socket.end("221 bye\r\n"); }
      else socket.write("250 ok\r\n");
    }
  });
});
await new Promise((ok) => smtp.listen(0, "127.0.0.1", ok));

/// The text of a kept message, its transfer encoding undone.
function mailText(raw) {
  const [head, ...rest] = raw.split("\r\n\r\n");
  const body = rest.join("\r\n\r\n");
  if (/content-transfer-encoding: base64/i.test(head)) return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (/content-transfer-encoding: quoted-printable/i.test(head)) {
    const bytes = body.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, "latin1").toString("utf8");
  }
  return body;
}

async function mailTo(address) {
  for (let i = 0; i < 100; i++) {
    const found = mailbox.find((m) => m.to.includes(address));
    if (found) return mailText(found.raw);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail to ${address}`);
}

const env = {
  ...process.env,
  LANG: "en_US.UTF-8",
  GUANXI_DATABASE_URL: "",
  GUANXI_SMTP_URL: `smtp://127.0.0.1:${smtp.address().port}`,
  GUANXI_MAIL_FROM: "Guanxi <service@example.com>",
  GUANXI_PUBLIC_URL: "http://guanxi.test",
};

function startDemo() {
  return new Promise((ok, fail) => {
    const child = spawn(bin, ["demo", "--addr", "127.0.0.1:0", "--data-dir", dataDir], { env });
    let out = "";
    const timer = setTimeout(() => fail(new Error(`demo did not start:\n${out}`)), 60_000);
    child.stdout.on("data", (d) => {
      out += d;
      const url = out.match(/http:\/\/127\.0\.0\.1:\d+/);
      const token = out.match(/gx_[A-Za-z0-9_-]+/);
      if (url && token) {
        clearTimeout(timer);
        ok({ child, url: url[0], token: token[0] });
      }
    });
    child.stderr.on("data", (d) => (out += d));
    child.on("exit", (code) => fail(new Error(`demo exited with ${code}:\n${out}`)));
  });
}

async function api(base, token, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const steps = [];
async function step(name, fn) {
  const started = Date.now();
  await fn();
  steps.push(`ok  ${name} (${Date.now() - started} ms)`);
  console.log(steps.at(-1));
}

const { child, url, token } = await startDemo();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
try {
  await api(url, token, "PUT", "/api/v1/admin/access/contacts", { sharing: "private" });
  const contact = {};
  execFileSync(bin, ["user", "add", "--email", "rep@example.org", "--password", "rep-password-1",
    "--locale", "en", "--data-dir", dataDir], { env });

  const desk = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });
  const page = await desk.newPage();
  page.setDefaultTimeout(15_000);

  await step("signing in lands on my day; the module navigation leads to contacts", async () => {
    await page.goto(`${url}/o/contacts`);
    assert.match(page.url(), /\/login$/);
    await page.getByLabel("邮箱").fill("admin@guanxi.local");
    await page.getByLabel("密码").fill("guanxi-demo");
    await page.getByRole("button", { name: "登录" }).click();
    await page.waitForURL(`${url}/`);
    assert.equal(await page.locator("h1").textContent(), "我的一天");
    await page.screenshot({ path: join(artifacts, "home-1440.png"), fullPage: true });
    await page.getByRole("navigation", { name: "模块" }).getByRole("link", { name: "联系人" }).click();
    await page.waitForURL(/\/o\/contacts$/);
    assert.equal(await page.locator("h1").textContent(), "联系人");
    await page.screenshot({ path: join(artifacts, "contacts-1440.png"), fullPage: false });
  });

  await step("an invalid email shows its error beside the field and saves nothing", async () => {
    await page.getByRole("link", { name: "新建" }).click();
    await page.waitForURL(/\/o\/contacts\/new$/);
    await page.getByLabel("姓名").fill("欧阳娜娜");
    await page.getByLabel("手机").fill("139-1234 5678");
    await page.getByLabel("邮箱", { exact: true }).fill("nana@@example");
    await page.getByRole("button", { name: "保存" }).click();
    const error = page.locator("#e-email");
    await error.waitFor();
    assert.equal(await page.getByLabel("邮箱", { exact: true }).getAttribute("aria-invalid"), "true");
    assert.equal(await page.getByLabel("姓名").inputValue(), "欧阳娜娜", "what was typed stays");
    const found = await api(url, token, "GET", "/api/v1/contacts?filter=" + encodeURIComponent("name eq '欧阳娜娜'"));
    assert.equal(found.data.length, 0, "nothing saved");
    await page.screenshot({ path: join(artifacts, "contact-error-1440.png"), fullPage: true });
  });

  await step("a contact with a Chinese name and a messy phone is created", async () => {
    await page.getByLabel("邮箱", { exact: true }).fill("nana@example.com");
    await page.getByLabel("城市").fill("杭州");
    await page.getByRole("button", { name: "保存" }).click();
    await page.waitForURL(/\/o\/contacts\/[0-9a-f-]{36}$/);
    contact.id = page.url().split("/").at(-1);
    assert.equal(await page.locator("h1").textContent(), "欧阳娜娜");
    await page.getByRole("link", { name: "← 联系人" }).click();
    await page.waitForURL(/\/o\/contacts$/);
  });

  await step("a list filter finds the contact; its phone is normalised", async () => {
    await page.getByLabel("筛选").fill("name eq '欧阳娜娜'");
    await page.getByRole("button", { name: "应用", exact: true }).click();
    await page.waitForURL(/filter=/);
    const rows = page.locator("table.records tbody tr");
    assert.equal(await rows.count(), 1);
    await rows.first().getByRole("link", { name: "欧阳娜娜" }).click();
    await page.waitForURL(new RegExp(`/o/contacts/${contact.id}$`));
    assert.equal(await page.locator("h1").textContent(), "欧阳娜娜");
    assert.ok((await page.locator("dl.fields").first().textContent()).includes("+8613912345678"));
    await page.screenshot({ path: join(artifacts, "contact-1440.png"), fullPage: true });
  });

  await step("the header's search box shows the contact as its pinyin initials are typed", async () => {
    const box = page.getByRole("combobox", { name: "搜索" });
    await box.pressSequentially("oyn", { delay: 50 });
    const option = page.getByRole("option").filter({ hasText: "欧阳娜娜" });
    await option.first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(artifacts, "search-1440.png") });
    await option.first().click();
    await page.waitForURL(/\/o\/contacts\/[0-9a-f-]{36}$/);
    assert.equal(await page.locator("h1").textContent(), "欧阳娜娜");
  });

  await step("a cell of the list is edited in place; a bad value is refused beside it", async () => {
    await page.goto(`${url}/o/contacts?filter=${encodeURIComponent("name eq '欧阳娜娜'")}&col=name&col=email&col=city`);
    const row = page.locator("table.records tbody tr").first();
    await row.getByRole("link", { name: "编辑邮箱" }).click();
    // Exact: the ✎ link is labelled "编辑邮箱" and must not be taken for the input.
    const email = row.getByLabel("邮箱", { exact: true });
    await email.fill("nana@@example");
    await row.getByRole("button", { name: "保存" }).click();
    await row.locator("form.cell-edit .error").filter({ hasText: /./ }).waitFor();
    assert.equal(await email.getAttribute("aria-invalid"), "true");
    await row.getByRole("button", { name: "取消" }).click();
    await row.getByRole("link", { name: "编辑城市" }).click();
    await row.getByLabel("城市", { exact: true }).fill("宁波");
    await row.getByRole("button", { name: "保存" }).click();
    await row.locator("td.saved").waitFor();
    assert.ok((await row.textContent()).includes("宁波"));
    const stored = await api(url, token, "GET", `/api/v1/contacts/${contact.id}`);
    assert.equal(stored.city, "宁波");
    assert.equal(stored.email, "nana@example.com", "the refused email changed nothing");
    await page.screenshot({ path: join(artifacts, "contacts-inline-1440.png"), fullPage: false });
  });

  await step("an opportunity is dragged to another stage; a stale drag is refused and shown", async () => {
    const opp = await api(url, token, "POST", "/api/v1/opportunities", {
      name: "浏览器测试商机", stage: "proposal", close_date: "2026-12-31", amount: { amount: "88000", currency: "CNY" },
    });
    await page.goto(`${url}/o/opportunities/board?filter=${encodeURIComponent("name eq '浏览器测试商机'")}`);
    const card = page.locator(`.kcard[data-id="${opp.id}"]`);
    const column = (label) => page.locator("section.kcol").filter({ has: page.getByRole("heading", { name: label, exact: true }) });
    assert.equal(await column("方案报价").locator(`.kcard[data-id="${opp.id}"]`).count(), 1);
    await page.screenshot({ path: join(artifacts, "board-1440.png"), fullPage: false });
    await card.dragTo(column("商务谈判").locator(".kcards"));
    await page.waitForFunction(async (id) => {
      const r = await fetch(`/api/v1/opportunities/${id}`);
      return r.ok && (await r.json()).stage === "negotiation";
    }, opp.id);
    await column("商务谈判").locator(`.kcard[data-id="${opp.id}"][data-version="2"]`).waitFor();
    // Someone else changes it meanwhile; the board still shows version 2.
    await api(url, token, "PATCH", `/api/v1/opportunities/${opp.id}`, { version: 2, next_step: "报价评审" });
    await page.locator(`.kcard[data-id="${opp.id}"]`).dragTo(column("赢单").locator(".kcards"));
    const status = page.locator("#board-status");
    await status.filter({ hasText: "浏览器测试商机" }).waitFor();
    assert.equal(await column("商务谈判").locator(`.kcard[data-id="${opp.id}"]`).count(), 1, "the card went back");
    const stored = await api(url, token, "GET", `/api/v1/opportunities/${opp.id}`);
    assert.equal(stored.stage, "negotiation", "no silent overwrite");
    await page.screenshot({ path: join(artifacts, "board-conflict-1440.png"), fullPage: false });
  });

  await step("switching to zh-TW and to en changes the page", async () => {
    await page.goto(`${url}/o/contacts/${contact.id}`);
    await page.getByRole("link", { name: "繁體中文" }).click();
    await page.waitForSelector("html[lang='zh-TW']");
    assert.equal(await page.locator("#timeline").textContent(), "時間軸");
    await page.getByRole("link", { name: "English" }).click();
    await page.waitForSelector("html[lang='en']");
    assert.equal(await page.locator("#timeline").textContent(), "Timeline");
  });

  await step("an invalid filter shows its error beside the field", async () => {
    await page.goto(`${url}/o/contacts`);
    await page.getByLabel("Filter").fill("colour eq 1");
    await page.getByRole("button", { name: "Apply", exact: true }).click();
    const error = page.locator("#filter-error");
    await error.waitFor();
    assert.match(await error.textContent(), /colour/);
    assert.equal(await page.getByLabel("Filter").getAttribute("aria-invalid"), "true");
  });

  await step("at 375 px the list becomes cards and stays usable", async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, locale: "zh-CN",
      storageState: await desk.storageState() });
    const p = await phone.newPage();
    await p.goto(`${url}/o/contacts`);
    const widest = await p.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(widest <= 375 + 1, `no sideways scrolling (page is ${widest} px wide)`);
    const display = await p.locator("table.records td").first().evaluate((td) => getComputedStyle(td).display);
    assert.equal(display, "block");
    await p.screenshot({ path: join(artifacts, "contacts-375.png"), fullPage: false });
    await p.goto(`${url}/o/contacts/${contact.id}`);
    await p.screenshot({ path: join(artifacts, "contact-375.png"), fullPage: true });
    await phone.close();
  });

  await step("at 375 px the board, the calendar and setup stack without sideways scrolling", async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, locale: "zh-CN",
      storageState: await desk.storageState() });
    const p = await phone.newPage();
    for (const [path, shot] of [["/o/opportunities/board", "board-375.png"], ["/calendar?view=month", "calendar-375.png"],
      ["/admin/users", "admin-users-375.png"], [`/o/contacts/${contact.id}`, "contact-timeline-375.png"]]) {
      await p.goto(`${url}${path}`);
      const widest = await p.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(widest <= 375 + 1, `${path}: no sideways scrolling (page is ${widest} px wide)`);
      await p.screenshot({ path: join(artifacts, shot), fullPage: false });
    }
    await phone.close();
  });

  await step("a quick action logs a call on the record's timeline; the calendar shows a meeting", async () => {
    await page.goto(`${url}/o/contacts/${contact.id}`);
    await page.getByText("Log a call").click();
    await page.locator("#q-call-subject").fill("Follow-up on the quote");
    await page.locator("details[open]").getByRole("button", { name: "Save" }).click();
    await page.waitForURL(/#timeline$/);
    assert.ok((await page.locator("ol.timeline").textContent()).includes("Follow-up on the quote"));
    await page.getByText("Schedule a meeting").click();
    await page.locator("#q-meeting-subject").fill("Site visit in Ningbo");
    const now = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    await page.locator("#q-meeting-starts_at").fill(`${now}T15:00`);
    await page.locator("details[open]").getByRole("button", { name: "Save" }).click();
    await page.waitForURL(/#timeline$/);
    await page.goto(`${url}/calendar?view=day`);
    assert.ok((await page.locator("main").textContent()).includes("Site visit in Ningbo"));
    await page.screenshot({ path: join(artifacts, "calendar-day-1440.png"), fullPage: false });
  });

  await step("a CSV uploaded from the list is imported with its progress shown and its failed row reported", async () => {
    await page.goto(`${url}/o/contacts`);
    await page.getByRole("link", { name: "Import", exact: true }).click();
    await page.waitForURL(/\/o\/contacts\/import$/);
    // Submitting without a file: the problem beside the file input.
    await page.getByRole("button", { name: "Start import" }).click();
    assert.ok(await page.locator("#import-file-error").isVisible());
    await page.locator("#import-file").setInputFiles({
      name: "trade-show.csv",
      mimeType: "text/csv",
      buffer: Buffer.from("姓名,手机,邮箱,公司\n诸葛明,13900139001,zgm@example.cn,宁波海天机械\n司马青,13900139002,not-an-email,宁波海天机械\n", "utf8"),
    });
    await page.getByRole("button", { name: "Start import" }).click();
    await page.waitForURL(/\/imports\/[0-9a-f-]+$/);
    assert.ok(await page.locator("progress").isVisible());
    // The page follows the import until it is done.
    await page.locator(".import-status", { hasText: "Done" }).waitFor({ timeout: 30_000 });
    const text = await page.locator("main").textContent();
    assert.ok(text.includes("1 created") && text.includes("1 with errors"), text);
    assert.ok(await page.getByRole("link", { name: "Download the rows that failed (CSV)" }).isVisible());
    await page.goto(`${url}/o/contacts?filter=${encodeURIComponent("name eq '诸葛明'")}`);
    assert.ok((await page.locator("main").textContent()).includes("诸葛明"));
  });

  await step("a quote is built in its editor; a bad quantity is refused beside it; it prints in Chinese", async () => {
    const found = await api(url, token, "GET", "/api/v1/quotes?filter=" + encodeURIComponent("name eq '大客户特价报价'"));
    const id = found.data[0].id;
    await page.goto(`${url}/o/quotes/${id}`);
    const editor = page.locator("section.quote-editor");
    await editor.waitFor();
    assert.ok((await editor.textContent()).includes("Needs approval"), "the discount is beyond the threshold");
    const rows = page.locator("table.lines tbody tr");
    const before = await rows.count();
    const totalBefore = await page.locator("table.lines tfoot tr").last().textContent();
    await page.locator("#new-product").selectOption({ index: 2 });
    await page.locator("#new-quantity").fill("three");
    await page.getByRole("button", { name: "Add line" }).click();
    await page.locator("#new-quantity-error").waitFor();
    assert.equal(await page.locator("#new-quantity").getAttribute("aria-invalid"), "true");
    assert.equal(await rows.count(), before, "nothing added");
    await page.locator("#new-product").selectOption({ index: 2 });
    await page.locator("#new-quantity").fill("3");
    await page.getByRole("button", { name: "Add line" }).click();
    await page.waitForURL(new RegExp(`/o/quotes/${id}$`));
    assert.equal(await rows.count(), before + 1);
    assert.notEqual(await page.locator("table.lines tfoot tr").last().textContent(), totalBefore, "the total follows");
    await page.screenshot({ path: join(artifacts, "quote-1440.png"), fullPage: true });
    await page.getByRole("link", { name: "Print view" }).click();
    await page.waitForURL(/\/print/);
    assert.equal(await page.locator("h1").textContent(), "Quotation");
    await page.getByRole("link", { name: "简体中文" }).click();
    await page.waitForURL(/lang=zh-CN/);
    assert.equal(await page.locator("h1").textContent(), "报价单");
    assert.match(await page.locator("p.in-words").textContent(), /元/);
    await page.screenshot({ path: join(artifacts, "quote-print-zh.png"), fullPage: true });
    await page.emulateMedia({ media: "print" });
    assert.ok(!(await page.locator(".print-tools").isVisible()), "no buttons on paper");
    await page.emulateMedia({ media: "screen" });
    const phone = await browser.newContext({ viewport: { width: 375, height: 800 }, storageState: await desk.storageState() });
    const p = await phone.newPage();
    await p.goto(`${url}/o/quotes/${id}`);
    const widest = await p.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(widest <= 375, `the quote page fits a phone (${widest} px)`);
    await p.screenshot({ path: join(artifacts, "quote-375.png"), fullPage: true });
    await phone.close();
    await page.goto(`${url}/o/quotes/${id}`);
  });

  await step("service levels are set on the setup page; a bad target is refused beside it", async () => {
    await page.goto(`${url}/admin/service-levels`);
    assert.equal(await page.locator("h1").textContent(), "Service levels");
    await page.getByLabel("Type 1").selectOption("repair");
    await page.getByLabel("First response (min) 1").fill("120");
    await page.getByLabel("Resolution (min) 1").fill("two days");
    await page.getByRole("button", { name: "Save" }).click();
    await page.locator("#sla-0-resolution-error").waitFor();
    assert.equal(await page.getByLabel("Resolution (min) 1").getAttribute("aria-invalid"), "true");
    await page.getByLabel("Resolution (min) 1").fill("960");
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForURL(/\/admin\/service-levels$/);
    assert.equal(await page.getByLabel("Resolution (min) 1").inputValue(), "960");
    await page.screenshot({ path: join(artifacts, "service-levels-1440.png"), fullPage: true });
    const phone = await browser.newContext({ viewport: { width: 375, height: 800 }, storageState: await desk.storageState() });
    const p = await phone.newPage();
    await p.goto(`${url}/admin/service-levels`);
    const widest = await p.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(widest <= 375, `the setup page fits a phone (${widest} px)`);
    await p.screenshot({ path: join(artifacts, "service-levels-375.png"), fullPage: true });
    await phone.close();
  });

  await step("customer tier rules are set on the setup page; saving regrades the accounts", async () => {
    await page.goto(`${url}/admin/customer-tiers`);
    assert.equal(await page.locator("h1").textContent(), "Customer tiers");
    await page.getByLabel("Tier 1", { exact: true }).selectOption("key");
    await page.getByLabel("Least revenue, last 12 months 1").fill("a lot");
    await page.getByRole("button", { name: "Save" }).click();
    await page.locator("#tier-0-min_revenue-error").waitFor();
    assert.equal(await page.getByLabel("Least revenue, last 12 months 1").getAttribute("aria-invalid"), "true");
    await page.getByLabel("Least revenue, last 12 months 1").fill("300000");
    await page.getByLabel("Tier 2", { exact: true }).selectOption("standard");
    await page.getByLabel("Service contract in force 2").check();
    await page.getByLabel("When no rule fits").selectOption("small");
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForURL(/\/admin\/customer-tiers\?changed=\d+&accounts=\d+$/);
    assert.match(await page.locator("p.notice").textContent(), /Regraded: \d+ of \d+ accounts changed/);
    assert.equal(await page.getByLabel("Least revenue, last 12 months 1").inputValue(), "300000");
    assert.ok(await page.getByLabel("Service contract in force 2").isChecked());
    await page.screenshot({ path: join(artifacts, "customer-tiers-1440.png"), fullPage: true });
    const phone = await browser.newContext({ viewport: { width: 375, height: 800 }, storageState: await desk.storageState() });
    const p = await phone.newPage();
    await p.goto(`${url}/admin/customer-tiers`);
    const widest = await p.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(widest <= 375, `the setup page fits a phone (${widest} px)`);
    await phone.close();
  });

  await step("a customer files a case on the public form from a phone; it reaches their record", async () => {
    const visitor = await browser.newContext({ viewport: { width: 375, height: 800 }, locale: "zh-CN" });
    const p = await visitor.newPage();
    await p.goto(`${url}/forms/case`);
    assert.equal(await p.locator("h1").textContent(), "联系客服");
    await p.getByLabel("邮箱").fill("NANA@example.com");
    await p.getByLabel("类型").selectOption("repair");
    await p.getByRole("button", { name: "提交" }).click();
    await p.locator("#subject-error").waitFor();
    assert.equal(await p.getByLabel("主题").getAttribute("aria-invalid"), "true");
    assert.equal(await p.getByLabel("邮箱").inputValue(), "NANA@example.com", "what was typed stays");
    await p.screenshot({ path: join(artifacts, "case-form-error-375.png"), fullPage: true });
    await p.getByLabel("主题").fill("扫码枪无法连接");
    await p.getByRole("button", { name: "提交" }).click();
    await p.waitForURL(/\/forms\/case\/thanks$/);
    const widest = await p.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(widest <= 375, `the form fits a phone (${widest} px)`);
    await p.screenshot({ path: join(artifacts, "case-form-375.png"), fullPage: true });
    await visitor.close();
    const found = await api(url, token, "GET", "/api/v1/cases?filter=" + encodeURIComponent("subject eq '扫码枪无法连接'"));
    assert.equal(found.data.length, 1);
    assert.equal(found.data[0].contact, contact.id, "linked to the contact with that email");
    assert.equal(found.data[0].origin, "web");
    assert.ok(found.data[0].first_response_due, "timed by the service level set above");
    await page.goto(`${url}/o/cases/${found.data[0].id}`);
    const clocks = page.locator("section:has(#service-levels) dd");
    assert.equal(await clocks.count(), 2, "first response and resolution shown");
    assert.match(await clocks.first().textContent(), /left|overdue/i);
    await page.screenshot({ path: join(artifacts, "case-1440.png"), fullPage: true });
  });

  await step("the customer answers the survey of their resolved case on a phone, once; the service page counts it", async () => {
    const [filed] = (await api(url, token, "GET", "/api/v1/cases?filter=" + encodeURIComponent("subject eq '扫码枪无法连接'"))).data;
    await api(url, token, "PATCH", `/api/v1/cases/${filed.id}`, { version: filed.version, status: "resolved", resolution: "更新驱动后恢复" });
    const survey = await api(url, token, "GET", `/api/v1/cases/${filed.id}/survey`);
    const customer = await browser.newContext({ viewport: { width: 375, height: 800 }, locale: "zh-CN" });
    const p = await customer.newPage();
    await p.goto(url + survey.path);
    assert.equal(await p.locator("h1").textContent(), "服务满意度调查");
    await p.getByRole("button", { name: "提交" }).click();
    await p.locator("#csat-error").waitFor();
    await p.getByRole("radio", { name: "4" }).first().check();
    await p.locator("#nps-8").check();
    await p.getByLabel("还有什么想对我们说的吗？").fill("处理很快");
    const widest = await p.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(widest <= 375, `the survey fits a phone (${widest} px)`);
    await p.screenshot({ path: join(artifacts, "survey-375.png"), fullPage: true });
    await p.getByRole("button", { name: "提交" }).click();
    await p.waitForURL(/\/survey\/thanks$/);
    const again = await p.goto(url + survey.path);
    assert.equal(again.status(), 410, "a link answers once");
    await customer.close();
    const answered = await api(url, token, "GET", `/api/v1/cases/${filed.id}/survey`);
    assert.deepEqual([answered.csat, answered.nps, answered.comment], [4, 8, "处理很快"]);
    await page.goto(`${url}/service`);
    assert.equal(await page.locator("h1").textContent(), "Service metrics");
    assert.match(await page.locator("#m-satisfaction + dl").textContent(), /CSAT/);
    await page.screenshot({ path: join(artifacts, "service-metrics-1440.png"), fullPage: true });
    const phone = await browser.newContext({ viewport: { width: 375, height: 800 }, storageState: await desk.storageState() });
    const q = await phone.newPage();
    await q.goto(`${url}/service`);
    const wide = await q.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 375, `the service page fits a phone (${wide} px)`);
    await phone.close();
  });

  await step("a customer searches the public knowledge base on a phone, reads an article and says it helped", async () => {
    const visitor = await browser.newContext({ viewport: { width: 375, height: 800 }, locale: "zh-CN" });
    const p = await visitor.newPage();
    await p.goto(`${url}/kb`);
    assert.equal(await p.locator("h1").textContent(), "知识库");
    assert.ok(!(await p.content()).includes("大客户折扣审批"), "internal articles stay inside");
    await p.getByLabel("搜索文章").fill("保养");
    await p.getByRole("button", { name: "搜索" }).click();
    await p.getByRole("link", { name: "加工中心日常保养周期" }).click();
    assert.equal(await p.locator("h1").textContent(), "加工中心日常保养周期");
    await p.getByRole("button", { name: "是" }).click();
    await p.waitForURL(/thanks=1$/);
    assert.match(await p.locator(".kb-feedback").textContent(), /1 人觉得有帮助/);
    const widest = await p.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(widest <= 375, `the article fits a phone (${widest} px)`);
    await p.screenshot({ path: join(artifacts, "kb-article-375.png"), fullPage: true });
    await visitor.close();
  });

  await step("a contact invited from their page chooses a password on a phone and opens a case in the portal", async () => {
    const [company] = (await api(url, token, "GET", "/api/v1/accounts?limit=1")).data;
    const person = await api(url, token, "POST", "/api/v1/contacts", { name: "门户测试客户", email: "portal.customer@example.com", account: company.id });
    await page.goto(`${url}/o/contacts/${person.id}`);
    await page.getByRole("button", { name: "Invite to the customer portal" }).click();
    const link = (await page.locator("code.invite-link").textContent()).trim();
    assert.match(link, /^\/portal\/invite\//);
    const customer = await browser.newContext({ viewport: { width: 375, height: 800 }, locale: "zh-CN" });
    const p = await customer.newPage();
    await p.goto(url + link);
    await p.getByLabel("密码").fill("short");
    await p.getByRole("button", { name: "设置密码并登录" }).click();
    await p.locator("#password-error").waitFor();
    await p.getByLabel("密码").fill("portal-password-1");
    await p.getByRole("button", { name: "设置密码并登录" }).click();
    await p.waitForURL(/\/portal$/);
    assert.match(await p.locator("h1").textContent(), /门户测试客户/);
    await p.getByRole("link", { name: "提交服务请求" }).click();
    await p.getByLabel("主题").fill("设备需要年度保养");
    await p.getByLabel("描述").fill("希望下周安排");
    await p.getByRole("button", { name: "提交" }).click();
    await p.waitForURL(/\/portal\/cases\/[0-9a-f-]+$/);
    await p.getByLabel("您的回复").fill("周二上午最方便");
    await p.getByRole("button", { name: "提交" }).click();
    await p.locator("li.from-customer").waitFor();
    // A photo of the machine's nameplate, attached from the phone.
    await p.getByLabel("要上传的文件").setInputFiles({ name: "铭牌.png", mimeType: "image/png", buffer: Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]) });
    await p.getByRole("button", { name: "上传", exact: true }).click();
    await p.waitForURL(/\/portal\/cases\/[0-9a-f-]+#files$/);
    await p.getByRole("link", { name: "铭牌.png" }).waitFor();
    const widest = await p.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(widest <= 375, `the portal fits a phone (${widest} px)`);
    await p.screenshot({ path: join(artifacts, "portal-case-375.png"), fullPage: true });
    await customer.close();
    const [opened] = (await api(url, token, "GET", "/api/v1/cases?filter=" + encodeURIComponent("subject eq '设备需要年度保养'"))).data;
    assert.equal(opened.contact, person.id);
    assert.equal(opened.origin, "portal");
    const attached = await api(url, token, "GET", `/api/v1/cases/${opened.id}/files`);
    assert.equal(attached.data[0].name, "铭牌.png");
    assert.equal(attached.data[0].uploaded_by, "portal.customer@example.com");
  });

  await step("a customer we know registers for the portal on a phone, follows the mailed link and is in", async () => {
    const [company] = (await api(url, token, "GET", "/api/v1/accounts?limit=1&sort=name")).data;
    await api(url, token, "POST", "/api/v1/contacts", { name: "自助注册客户", email: "self.registered@example.com", account: company.id });
    const phone = await browser.newContext({ viewport: { width: 375, height: 800 }, locale: "zh-CN" });
    const p = await phone.newPage();
    await p.goto(`${url}/login`);
    await p.getByRole("link", { name: "客户尚未开通？注册客户门户" }).click();
    await p.waitForURL(/\/portal\/register$/);
    await p.getByLabel("姓名").fill("自助注册客户");
    await p.getByLabel("邮箱").fill("not-an-email");
    await p.getByRole("button", { name: "提交" }).click();
    await p.locator("#register-email-error").waitFor();
    await p.getByLabel("邮箱").fill("self.registered@example.com");
    await p.getByRole("button", { name: "提交" }).click();
    await p.waitForURL(/\/portal\/register\/thanks$/);
    const text = await mailTo("self.registered@example.com");
    const link = text.match(/http:\/\/guanxi\.test(\/portal\/invite\/\S+)/)[1];
    await p.goto(url + link);
    await p.getByLabel("密码").fill("self-registered-1");
    await p.getByRole("button", { name: "设置密码并登录" }).click();
    await p.waitForURL(/\/portal$/);
    assert.match(await p.locator("h1").textContent(), /自助注册客户/);
    await p.screenshot({ path: join(artifacts, "portal-registered-375.png"), fullPage: false });
    await phone.close();
  });

  await step("a customer asks the community from a phone, signing in again; the question is there for others", async () => {
    const customer = await browser.newContext({ viewport: { width: 375, height: 800 }, locale: "zh-CN" });
    const p = await customer.newPage();
    await p.goto(`${url}/login`);
    await p.getByLabel("邮箱").fill("portal.customer@example.com");
    await p.getByLabel("密码").fill("portal-password-1");
    await p.getByRole("button", { name: "登录" }).click();
    await p.waitForURL(/\/portal$/);
    await p.getByRole("link", { name: "客户社区" }).click();
    await p.getByRole("link", { name: "提问或分享" }).click();
    await p.getByLabel("标题").fill("激光切割机喷嘴多久换一次");
    await p.getByLabel("内容").fill("每天两班生产，喷嘴磨损很快");
    await p.getByRole("button", { name: "提交" }).click();
    await p.waitForURL(/\/portal\/community\/[0-9a-f-]+$/);
    await p.getByRole("button", { name: /推荐/ }).click();
    assert.match(await p.getByRole("button", { name: /推荐/ }).textContent(), /1/);
    const widest = await p.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(widest <= 375, `the community fits a phone (${widest} px)`);
    await p.screenshot({ path: join(artifacts, "community-375.png"), fullPage: true });
    await customer.close();
    const [post] = (await api(url, token, "GET", "/api/v1/community_posts?filter=" + encodeURIComponent("title eq '激光切割机喷嘴多久换一次'"))).data;
    assert.equal(post.author_name, "门户测试客户");
    assert.equal(post.visibility, "public");
  });

  await step("a technician completes a visit on the job sheet on a phone, the customer signing on the screen", async () => {
    const me = await api(url, token, "GET", "/api/v1/me");
    const [served] = (await api(url, token, "GET", "/api/v1/cases?filter=" + encodeURIComponent("subject eq '设备需要年度保养'"))).data;
    const wo = await api(url, token, "POST", "/api/v1/work_orders", {
      case: served.id, technician: me.id ?? me.user_id, scheduled_start: new Date(Date.now() + 3600e3).toISOString(),
    });
    const phone = await browser.newContext({ viewport: { width: 375, height: 800 }, storageState: await desk.storageState(), hasTouch: true });
    const p = await phone.newPage();
    await p.goto(`${url}/jobs`);
    await p.getByRole("link", { name: "设备需要年度保养" }).click();
    await p.getByRole("button", { name: "I have arrived" }).click();
    await p.getByLabel("Work done").fill("完成年度保养，更换滤芯");
    await p.getByLabel("Customer's name").fill("门户测试客户");
    await p.getByRole("button", { name: "Complete the job" }).click();
    await p.locator("#signature-error").waitFor();
    await p.locator("canvas.signature-pad").scrollIntoViewIfNeeded();
    const box = await p.locator("canvas.signature-pad").boundingBox();
    await p.mouse.move(box.x + 20, box.y + box.height / 2);
    await p.mouse.down();
    for (let i = 1; i <= 12; i++) await p.mouse.move(box.x + 20 + i * 20, box.y + box.height / 2 + (i % 2 ? 25 : -25));
    await p.mouse.up();
    await p.getByRole("button", { name: "Complete the job" }).click();
    await p.locator("img.signature").waitFor();
    const widest = await p.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(widest <= 375, `the job sheet fits a phone (${widest} px)`);
    await p.screenshot({ path: join(artifacts, "job-sheet-375.png"), fullPage: true });
    await phone.close();
    const done = await api(url, token, "GET", `/api/v1/work_orders/${wo.id}`);
    assert.equal(done.status, "completed");
    assert.equal(done.signed_by, "门户测试客户");
  });

  await step("a colleague added to a queue on its setup page takes a case from their queues page", async () => {
    await page.goto(`${url}/admin/queues/hotline`);
    await page.getByLabel(/rep@example\.org/).check();
    await page.locator("form.admin-form button.primary").click();
    await page.waitForURL(/\/admin\/queues$/);
    assert.ok((await page.content()).includes("rep@example.org"), "the rep is a member");
    const repContext = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const p = await repContext.newPage();
    await p.goto(`${url}/login`);
    await p.getByLabel("Email").fill("rep@example.org");
    await p.getByLabel("Password").fill("rep-password-1");
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.waitForURL(`${url}/`);
    await p.goto(`${url}/queues`);
    await p.getByRole("heading", { name: /Hotline/ }).waitFor();
    await p.screenshot({ path: join(artifacts, "queues-390.png"), fullPage: false });
    const take = p.locator('form[action$="/take"] button').first();
    const label = await take.getAttribute("aria-label");
    await take.click();
    await p.waitForURL(/\/o\/cases\/[0-9a-f-]+$/);
    const id = p.url().split("/").pop();
    assert.ok(label.includes((await api(url, token, "GET", `/api/v1/cases/${id}`)).subject), label);
    const me = await api(url, token, "GET", "/api/v1/admin/users");
    const rep = (me.data ?? me).find((u) => u.email === "rep@example.org");
    assert.equal((await api(url, token, "GET", `/api/v1/cases/${id}`)).owner, rep.id);
    await repContext.close();
  });

  await step("a rep cannot open a record of someone else's that is not shared", async () => {
    const repContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const p = await repContext.newPage();
    await p.goto(`${url}/login`);
    await p.getByLabel("Email").fill("rep@example.org");
    await p.getByLabel("Password").fill("rep-password-1");
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.waitForURL(`${url}/`);
    await p.goto(`${url}/o/contacts`);
    assert.ok(!(await p.content()).includes("欧阳娜娜"), "not in the rep's list");
    const res = await p.goto(`${url}/o/contacts/${contact.id}`);
    assert.equal(res.status(), 404);
    assert.ok(!(await p.content()).includes("欧阳娜娜"));
    await repContext.close();
  });

  await step("signing out ends the session", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login$/);
    await page.goto(`${url}/o/contacts`);
    assert.match(page.url(), /\/login$/);
  });
  console.log(`browser tests: ${steps.length} passed; screenshots in test-artifacts/`);
} finally {
  await browser.close();
  child.kill("SIGTERM");
  smtp.close();
  rmSync(dataDir, { recursive: true, force: true });
}

/**
 * django-wxlogin scan login, the website's widget: an ES module, no dependencies.
 *
 *     <div id="wx-scan"></div>
 *     <script type="module">
 *       import { mountScanLogin } from "/static/django_wxlogin/scan-login.js";
 *       mountScanLogin(document.getElementById("wx-scan"), { baseURL: "/wx/" });
 *     </script>
 *
 * It asks for a ticket (POST web/scan/), shows the code and counts down, follows the state by
 * Server-Sent Events when the server offers them (ASGI) or by polling, and once the person
 * confirms on their phone takes the session (POST web/scan/session/: the session cookie, or an
 * exchange code handed to `onLogin`). Cancelled or expired: a fresh code. Texts are options.
 */

const TEXTS = {
  loading: "Loading the login code…",
  scan: "Scan with WeChat to log in",
  scanned: "Scanned: confirm on your phone",
  confirmed: "Confirmed: logging in…",
  expired: "The code expired: a new one is coming",
  cancelled: "Cancelled on the phone: a new code is coming",
  failed: "Could not load a login code. Retry",
  secondsLeft: (n) => `${n} s left`,
};

/**
 * @param {HTMLElement} element  where the code is shown (its content is replaced)
 * @param {{ baseURL?: string, onLogin?: (result: object) => void, texts?: object,
 *           events?: boolean, fetch?: typeof fetch }} [options]
 *   baseURL: where django_wxlogin.urls is included ("/wx/"); onLogin: called with the answer of
 *   web/scan/session/ (default: reload the page); events: false forces polling.
 * @returns {{ stop: () => void, restart: () => void }}
 */
export function mountScanLogin(element, options = {}) {
  const base = (options.baseURL || "/wx/").replace(/\/?$/, "/");
  const texts = { ...TEXTS, ...(options.texts || {}) };
  const send = options.fetch || window.fetch.bind(window);
  const onLogin = options.onLogin || (() => window.location.reload());
  let generation = 0;
  let cleanup = [];

  const doc = element.ownerDocument;
  const image = doc.createElement("img");
  image.alt = texts.scan;
  image.className = "wxlogin-scan-code";
  image.width = 220;
  image.height = 220;
  const message = doc.createElement("p");
  message.className = "wxlogin-scan-message";
  message.setAttribute("role", "status");
  const countdown = doc.createElement("p");
  countdown.className = "wxlogin-scan-countdown";
  element.replaceChildren(image, message, countdown);

  function say(state, text) {
    element.dataset.state = state;
    message.textContent = text;
  }

  function stopAll() {
    generation += 1;
    for (const undo of cleanup) undo();
    cleanup = [];
  }

  async function start() {
    stopAll();
    const mine = generation;
    say("loading", texts.loading);
    countdown.textContent = "";
    let ticket;
    try {
      const response = await send(base + "web/scan/", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json" }, body: "{}",
      });
      ticket = await response.json();
      if (!response.ok) throw new Error(ticket.detail || String(response.status));
    } catch (error) {
      if (mine !== generation) return;
      say("failed", texts.failed);
      message.onclick = start;
      return;
    }
    if (mine !== generation) return;
    let done = false;
    message.onclick = null;
    image.src = ticket.code;
    say("issued", texts.scan);
    const deadline = Date.now() + ticket.expires_in * 1000;
    const tick = () => {
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      countdown.textContent = texts.secondsLeft(left);
      if (left === 0) follow("expired");
    };
    tick();
    const timer = setInterval(tick, 1000);
    cleanup.push(() => clearInterval(timer));
    if (ticket.events_url && options.events !== false && window.EventSource) {
      const source = new EventSource(ticket.events_url, { withCredentials: true });
      source.addEventListener("state", (event) => follow(JSON.parse(event.data).state));
      cleanup.push(() => source.close());
    } else {
      const interval = Math.max(1, ticket.poll_interval || 2) * 1000;
      const poll = async () => {
        try {
          const response = await send(ticket.status_url, { credentials: "same-origin" });
          if (mine === generation && response.ok) follow((await response.json()).state);
        } catch (error) {
          // The network blinked: the next poll tries again.
        }
      };
      const poller = setInterval(poll, interval);
      cleanup.push(() => clearInterval(poller));
    }

    async function follow(state) {
      if (mine !== generation || done) return;
      if (state === "scanned") say("scanned", texts.scanned);
      else if (state === "confirmed") {
        done = true;
        say("confirmed", texts.confirmed);
        stopAll();
        const response = await send(ticket.claim_url, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json" }, body: "{}",
        });
        const result = await response.json();
        if (response.ok) onLogin(result);
        else setTimeout(start, 1500);
      } else if (state === "expired" || state === "cancelled" || state === "unknown"
                 || state === "delivered") {
        done = true;
        say(state, state === "cancelled" ? texts.cancelled : texts.expired);
        stopAll();
        setTimeout(start, 1500);
      }
    }
  }

  start();
  return { stop: stopAll, restart: start };
}

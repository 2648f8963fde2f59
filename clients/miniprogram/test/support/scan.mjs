// A website's browser asking for a scan-login ticket over real HTTP, and the scene read from
// the code's pixels as a phone would (zxing-cpp in the Python that serves the example).
import { execFileSync } from 'node:child_process';
import { PYTHON } from './config.mjs';
import { ORIGIN } from './fixtures.mjs';

const DECODE = `
import base64, io, sys, zxingcpp
from PIL import Image
from urllib.parse import parse_qs, urlsplit
image = Image.open(io.BytesIO(base64.b64decode(sys.stdin.read().split(",", 1)[1])))
text = zxingcpp.read_barcodes(image)[0].text
print(parse_qs(urlsplit(text).query)["scene"][0])
`;

/** The scene inside a `data:image/png;base64,...` code. */
export function sceneOf(dataURL) {
  return execFileSync(PYTHON, ['-c', DECODE], { input: dataURL }).toString().trim();
}

/** A browser with its own cookie jar (the HttpOnly poll cookie) on the example project. */
export async function browser() {
  const jar = new Map();
  async function send(method, path, body) {
    const headers = { 'content-type': 'application/json', 'user-agent': 'NodeBrowser/1.0' };
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(ORIGIN + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const [name, value] = pair.split('=');
      if (value === '""' || /max-age=0/i.test(cookie)) jar.delete(name);
      else jar.set(name, value);
    }
    return { status: response.status, body: await response.json(), cookies: jar };
  }
  const ticket = await send('POST', '/wx/web/scan/', {});
  if (ticket.status !== 201) throw new Error(`POST web/scan/ answered ${ticket.status}`);
  return {
    ticket: ticket.body,
    scene: sceneOf(ticket.body.code),
    cookies: jar,
    status: async () => (await send('GET', '/wx/web/scan/status/')).body.state,
    claim: () => send('POST', '/wx/web/scan/session/'),
  };
}

"""A real browser (headless Chromium) talks to the API with fetch() from a
page of another origin: CORS preflights, a token by client credentials, JSON
commands, and the event stream through EventSource."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import urllib.parse

import pytest

from e2elib import SVC_ID, SVC_SECRET

CHROMIUM = os.environ.get("CHROMIUM", "/usr/lib/chromium/chromium")

PAGE = """<!doctype html><html><body><pre id=out>pending</pre><script>
const base = %(base)s;
const out = document.getElementById('out');
async function main() {
  const steps = {};
  const tok = await fetch(base + '/security/oauth/token', {method: 'POST',
      headers: {'Authorization': 'Basic ' + btoa(%(creds)s), 'Content-Type': 'application/x-www-form-urlencoded'},
      body: 'grant_type=client_credentials'});
  steps.token = tok.status;
  const token = (await tok.json()).access_token;
  const h = {'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json'};
  const created = await fetch(base + '/rtc-api/conferences/create', {method: 'POST', headers: h, body: '{}'});
  steps.create = created.status;
  const id = (await created.json()).id;
  const events = [];
  const es = new EventSource(base + '/rtc-api/conferences/' + id + '/events/stream?v=0&access_token=' + token);
  const ended = new Promise(resolve => {
    es.addEventListener('ConferenceParticipantJoinedEvent', e => events.push(JSON.parse(e.data).type));
    es.addEventListener('ConferenceEndedEvent', e => { events.push(JSON.parse(e.data).type); es.close(); resolve(); });
    es.addEventListener('ConferenceCreatedEvent', e => events.push(JSON.parse(e.data).type));
  });
  const joined = await fetch(base + '/rtc-api/conferences/join', {method: 'POST', headers: h,
      body: JSON.stringify({conferenceId: id, userEndpointId: 'browser-1'})});
  steps.join = joined.status;
  steps.participants = (await joined.json()).participants.length;
  const bad = await fetch(base + '/rtc-api/conferences/join', {method: 'POST', headers: h, body: '{"conferenceId": 5}'});
  steps.badStatus = bad.status;
  steps.badError = (await bad.json()).error;
  const ended1 = await fetch(base + '/rtc-api/conferences/end', {method: 'POST', headers: h,
      body: JSON.stringify({conferenceId: id, userEndpointId: 'browser-1'})});
  steps.end = ended1.status;
  await ended;
  steps.events = events;
  out.textContent = 'RESULT ' + JSON.stringify(steps);
}
main().catch(e => { out.textContent = 'RESULT ' + JSON.stringify({error: String(e)}); });
</script></body></html>"""


def test_chromium_fetch_and_eventsource(server):
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} missing: scripts/install-deps.sh test installs Debian's chromium"
    page = PAGE % {"base": json.dumps(server.base), "creds": json.dumps(f"{SVC_ID}:{SVC_SECRET}")}
    with tempfile.TemporaryDirectory() as profile:
        path = os.path.join(profile, "page.html")
        with open(path, "w") as f:
            f.write(page)
        cmd = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--metrics-recording-only", "--disable-default-apps",
               "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
               "--virtual-time-budget=15000", "--dump-dom", "file://" + path]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    m = re.search(r"RESULT (\{.*\})", proc.stdout)
    assert m, f"no result from the page; stdout={proc.stdout[-2000:]} stderr={proc.stderr[-2000:]}"
    steps = json.loads(m.group(1).replace("&quot;", '"'))
    assert "error" not in steps, steps
    assert steps["token"] == 200
    assert steps["create"] == 200
    assert steps["join"] == 200 and steps["participants"] == 1
    assert steps["badStatus"] == 400 and steps["badError"] == "INVALID_FIELD"
    assert steps["end"] == 204
    assert steps["events"] == ["ConferenceCreatedEvent", "ConferenceParticipantJoinedEvent", "ConferenceEndedEvent"], steps


def test_cors_preflight_and_actual_response_headers(server):
    import requests
    r = requests.options(server.base + "/rtc-api/conferences/create", timeout=5, headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert r.headers["Access-Control-Allow-Headers"] == "authorization, content-type"
    r = requests.get(server.base + "/rtc-api/conferences/nope", timeout=5, headers={"Origin": "https://app.example"})
    assert r.status_code == 401  # errors carry CORS headers too, so the page can read them
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    r = requests.get(server.base + "/healthz", timeout=5)
    assert "Access-Control-Allow-Origin" not in r.headers  # only for cross-origin requests

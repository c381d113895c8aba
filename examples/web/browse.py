"""Loads a page in headless Chromium over the DevTools pipe and waits, in real
time, until `document.body.dataset.ready` is "true" (or the page shows an
error, or TIMEOUT seconds pass): then writes the DOM, and with --screenshot
a PNG; with --twice it loads the page a second time in the same profile
first (what a returning visitor gets: the cached weights) and writes that DOM.
`--virtual-time-budget` can't wait for this page: virtual time runs on
while a large response streams in. Standard library only.
Usage: browse.py URL DOM_OUT [--screenshot PNG] [--size W,H] [--timeout S] [--twice]"""

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time


class Pipe:
    def __init__(self, args):
        r_in, self.w = os.pipe()   # we write, Chromium reads fd 3
        self.r, w_out = os.pipe()  # Chromium writes fd 4, we read
        self.profile = tempfile.TemporaryDirectory(ignore_cleanup_errors=True)
        self.proc = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
             "--remote-debugging-pipe", f"--user-data-dir={self.profile.name}", *args, "about:blank"],
            pass_fds=(3, 4), preexec_fn=lambda: (os.dup2(r_in, 3), os.dup2(w_out, 4)),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(r_in)
        os.close(w_out)
        self.buf, self.next_id = b"", 0

    def call(self, method, session=None, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        while True:
            while b"\0" not in self.buf:
                chunk = os.read(self.r, 1 << 20)
                if not chunk:
                    raise SystemExit("error: Chromium closed the pipe")
                self.buf += chunk
            raw, self.buf = self.buf.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise SystemExit(f"error: {method}: {reply['error']}")
                return reply["result"]

    def close(self):
        try:
            self.call("Browser.close")
            self.proc.wait(timeout=10)
        except (SystemExit, OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.profile.cleanup()


def wait(chrome, s, deadline):
    """The page's ready state once it has one ("true", or "error"), else ""."""
    probe = "document.body && (document.body.dataset.ready || (/Could not/.test(document.body.innerText) ? 'error' : ''))"
    state = ""
    while time.time() < deadline:
        state = chrome.call("Runtime.evaluate", s, expression=probe, returnByValue=True)["result"].get("value") or ""
        if state:
            break
        time.sleep(0.2)
    return state


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("dom")
    ap.add_argument("--screenshot")
    ap.add_argument("--size", default="940,700")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--twice", action="store_true")
    a = ap.parse_args()
    w, h = map(int, a.size.split(","))
    chrome = Pipe([f"--window-size={w},{h}", "--hide-scrollbars"])
    try:
        target = chrome.call("Target.createTarget", url="about:blank")["targetId"]
        s = chrome.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        chrome.call("Page.enable", s)
        deadline = time.time() + a.timeout
        for _ in range(2 if a.twice else 1):
            chrome.call("Page.navigate", s, url=a.url)
            state = wait(chrome, s, deadline)
        html = chrome.call("Runtime.evaluate", s, expression="document.documentElement.outerHTML", returnByValue=True)["result"]["value"]
        with open(a.dom, "w") as f:
            f.write(html)
        if a.screenshot:
            png = chrome.call("Page.captureScreenshot", s, format="png")["data"]
            with open(a.screenshot, "wb") as f:
                f.write(base64.b64decode(png))
        if state != "true":
            print(f"{a.url}: the page was not ready ({state or 'timed out'})", file=sys.stderr)
    finally:
        chrome.close()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""tests/tools/marionette.py - a small Marionette client (Python 3 stdlib).

Drives a Firefox started with --marionette (and -remote-allow-system-access
for the chrome context) over Marionette's TCP protocol: every message is
"LENGTH:JSON"; a command is [0, id, NAME, PARAMS], its answer
[1, id, ERROR-or-null, RESULT].  The server greets with one message first.

Usage: marionette.py [--port N] [--timeout S] ACTION [ARG]...
  wait                     retry connecting until Firefox answers (--timeout)
  chrome FILE [ARG...]     run FILE's JavaScript in the chrome (privileged)
                           context as an async script: ARGs are
                           arguments[0..n-1], arguments[n] is the callback
                           taking the result; prints the result as JSON
  content FILE [ARG...]    the same in the page (content) context
  navigate URL             load URL, print the page's source; a failed load
                           (e.g. a TLS handshake error page) exits 3 with
                           the error on stderr and the page on stdout
  quit                     ask Firefox to quit (eForceQuit)

Each run opens its own WebDriver session and ends it.  Exit status: 0 done,
1 Marionette reported an error (printed), 2 usage or connection failure,
3 navigation failed.
"""
import json
import socket
import sys
import time


class MarionetteError(Exception):
    pass


class Marionette:
    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.next_id = 1
        hello = self._read()
        if not isinstance(hello, dict) or hello.get("marionetteProtocol") != 3:
            raise MarionetteError("unexpected greeting: %r" % (hello,))

    def _read(self):
        while b":" not in self.buf:
            self._fill()
        head, _, rest = self.buf.partition(b":")
        if not head.isdigit() or len(head) > 10:
            raise MarionetteError("bad frame header %r" % head[:20])
        n = int(head)
        self.buf = rest
        while len(self.buf) < n:
            self._fill()
        msg, self.buf = self.buf[:n], self.buf[n:]
        return json.loads(msg.decode("utf-8"))

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise MarionetteError("connection closed by Firefox")
        self.buf += data

    def command(self, name, params=None):
        mid = self.next_id
        self.next_id += 1
        body = json.dumps([0, mid, name, params or {}]).encode("utf-8")
        self.sock.sendall(str(len(body)).encode("ascii") + b":" + body)
        while True:
            msg = self._read()
            if isinstance(msg, list) and len(msg) == 4 and msg[0] == 1 \
                    and msg[1] == mid:
                break
        if msg[2] is not None:
            err = msg[2]
            raise MarionetteError("%s: %s: %s" % (
                name, err.get("error"), err.get("message")))
        return msg[3]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def connect(port, timeout):
    return Marionette("127.0.0.1", port, timeout)


def session(m, script_timeout_ms):
    m.command("WebDriver:NewSession", {"capabilities": {"alwaysMatch": {
        "timeouts": {"script": script_timeout_ms,
                     "pageLoad": script_timeout_ms}}}})


def run_script(m, context, path, args):
    with open(path, encoding="utf-8") as f:
        script = f.read()
    m.command("Marionette:SetContext", {"value": context})
    r = m.command("WebDriver:ExecuteAsyncScript",
                  {"script": script, "args": list(args)})
    return r.get("value") if isinstance(r, dict) else r


def main(argv):
    port, timeout = 2828, 60.0
    while argv and argv[0].startswith("--"):
        if argv[0] == "--port" and len(argv) > 1:
            port = int(argv[1])
        elif argv[0] == "--timeout" and len(argv) > 1:
            timeout = float(argv[1])
        else:
            break
        argv = argv[2:]
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    action, args = argv[0], argv[1:]

    if action == "wait":
        end = time.monotonic() + timeout
        while True:
            try:
                connect(port, 5).close()
                return 0
            except (OSError, MarionetteError) as e:
                if time.monotonic() > end:
                    print("marionette: no answer on port %d: %s" % (port, e),
                          file=sys.stderr)
                    return 2
                time.sleep(0.2)

    try:
        m = connect(port, timeout)
    except (OSError, MarionetteError) as e:
        print("marionette: cannot connect to port %d: %s" % (port, e),
              file=sys.stderr)
        return 2
    try:
        if action == "quit":
            try:
                session(m, int(timeout * 1000))
                m.command("Marionette:Quit", {"flags": ["eForceQuit"]})
            except MarionetteError:
                pass    # the connection may close before the answer
            return 0
        session(m, int(timeout * 1000))
        if action in ("chrome", "content") and args:
            value = run_script(m, action, args[0], args[1:])
            print(json.dumps(value))
        elif action == "navigate" and len(args) == 1:
            m.command("Marionette:SetContext", {"value": "content"})
            failed = None
            try:
                m.command("WebDriver:Navigate", {"url": args[0]})
            except MarionetteError as e:
                failed = str(e)
            try:
                src = m.command("WebDriver:GetPageSource").get("value", "")
            except MarionetteError:
                src = ""
            sys.stdout.write(src + "\n")
            if failed:
                print("marionette: %s" % failed, file=sys.stderr)
                return 3
        else:
            print(__doc__.strip(), file=sys.stderr)
            return 2
        try:
            m.command("WebDriver:DeleteSession")
        except MarionetteError:
            pass
        return 0
    except MarionetteError as e:
        print("marionette: %s" % e, file=sys.stderr)
        return 1
    except (OSError, ValueError) as e:
        print("marionette: %s" % e, file=sys.stderr)
        return 2
    finally:
        m.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

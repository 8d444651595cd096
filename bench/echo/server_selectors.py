"""The classic Python `selectors` echo server of the benchmark.

    python3 bench/echo/server_selectors.py <port> [--timeout S]

A DefaultSelector (epoll on Linux), a non-blocking listener with an accept callback, and a read
callback per connection that does recv(65536) and then sendall of the same bytes. Accepted
connections are left blocking, as in the classic example's spirit: recv is only called once the
selector says the socket is readable, and sendall may block until the peer has read.

Prints "ready <port>" once listening; exits on SIGTERM/SIGINT, when its stdin pipe closes (the
runner died), and after --timeout seconds (default 600).
"""
import os
import selectors
import signal
import socket
import stat
import sys

sel = selectors.DefaultSelector()


def accept(listener, mask):
    conn, _addr = listener.accept()
    conn.setblocking(True)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sel.register(conn, selectors.EVENT_READ, read)


def read(conn, mask):
    try:
        data = conn.recv(65536)
    except ConnectionError:
        data = b""
    if data:
        try:
            conn.sendall(data)
            return
        except ConnectionError:
            pass
    sel.unregister(conn)
    conn.close()


def stdin_closed(stdin, mask):
    if not os.read(stdin.fileno(), 4096):
        raise SystemExit(0)


def main():
    args = sys.argv[1:]
    port = int(args[0]) if args else 0
    timeout = float(args[args.index("--timeout") + 1]) if "--timeout" in args else 600.0

    def on_signal(signum, frame):
        raise SystemExit(0 if signum != signal.SIGALRM else 3)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGALRM, on_signal)
    signal.setitimer(signal.ITIMER_REAL, timeout)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(511)
    listener.setblocking(False)
    sel.register(listener, selectors.EVENT_READ, accept)
    mode = os.fstat(0).st_mode
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        sel.register(sys.stdin, selectors.EVENT_READ, stdin_closed)

    print(f"ready {listener.getsockname()[1]}", flush=True)
    try:
        while True:
            for key, mask in sel.select():
                key.data(key.fileobj, mask)
    finally:
        for key in list(sel.get_map().values()):
            key.fileobj.close()
        sel.close()


if __name__ == "__main__":
    main()

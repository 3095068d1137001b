#!/usr/bin/env python3
"""A real SMTP server for the Rust tests (tests/api/smtp.rs); needs tests/requirements.txt.

    python3 tests/support/smtp_sink.py PORT DIR [--accept N] [--reject-domain DOMAIN] [--refuse-all REPLY] [--hold]

Listens on 127.0.0.1:PORT (plain SMTP, no TLS, no authentication) and accepts every message.
Each message is stored as DIR/<arrival>.eml: the DATA exactly as received, i.e. the raw
RFC 5322 bytes with CRLF line ends. The SMTP envelope (MAIL FROM, RCPT TO) goes into
DIR/<arrival>.json, written before the .eml. Both are written under a temporary name and
renamed, so a reader never sees half a file. <arrival> sorts in arrival order, also across
restarts of the server.

Prints "ready 127.0.0.1:PORT" once it listens, then runs until it is killed.

With --accept N the server fails mid-way, like a mail server that goes down: after the N-th
message has been stored and confirmed it stops listening (new connections are refused),
answers any further message on an open connection with 421 without storing it, and exits.

With --reject-domain DOMAIN every recipient at DOMAIN is refused for good, as a server does
for an unknown mailbox: 550 5.1.1 naming the address (which the portal must not keep unmasked).

With --refuse-all REPLY every message is refused at MAIL FROM with REPLY (for example
"554 5.7.1 ... blocked using a blocklist"), as a server does for a sender it does not take.

With --hold the server stores each message but confirms it only once a file DIR/release-<n>
exists (n counting messages from 1), so a test can act while the sender waits for the answer.
"""

import argparse
import asyncio
import itertools
import json
import os
import sys
import time

try:
    from aiosmtpd.smtp import SMTP
except ImportError as error:
    sys.stderr.write(
        f"smtp_sink: cannot import aiosmtpd ({error}).\n"
        "Install the test requirements: python3 -m pip install -r tests/requirements.txt\n"
    )
    sys.exit(3)

HOST = "127.0.0.1"


class Sink:
    """aiosmtpd handler that stores messages; `handle_DATA` is the hook aiosmtpd calls."""

    def __init__(self, directory, accept, on_limit, reject_domain=None, hold=False, refuse_all=None):
        self.directory = directory
        self.refuse_all = refuse_all
        self.hold = hold
        self.accept = accept
        self.reject_domain = reject_domain
        self.on_limit = on_limit
        self.stored = 0
        self.closing = False
        self.sequence = itertools.count(1)

    def write(self, name, data):
        tmp = os.path.join(self.directory, f".{name}.tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(self.directory, name))

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.refuse_all:
            return self.refuse_all
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject_domain and address.lower().endswith("@" + self.reject_domain):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.closing:
            return "421 4.3.2 Service shutting down"
        stem = f"{time.time_ns():020d}-{os.getpid()}-{next(self.sequence):06d}"
        envelope_json = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}
        self.write(f"{stem}.json", json.dumps(envelope_json).encode("utf-8"))
        self.write(f"{stem}.eml", envelope.original_content)
        self.stored += 1
        if self.hold:
            release = os.path.join(self.directory, f"release-{self.stored}")
            while not os.path.exists(release):
                await asyncio.sleep(0.02)
        if self.accept is not None and self.stored >= self.accept:
            self.closing = True
            self.on_limit(server)
        return f"250 2.0.0 OK stored as {stem}"


async def serve(port, directory, accept, reject_domain, hold, refuse_all):
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    listener = None

    def on_limit(session):
        # Stop listening now; the confirmation of this message is written right after this
        # hook returns, then the open connection is closed and the process ends.
        listener.close()
        loop.call_later(0.05, session.transport.close)
        loop.call_later(0.3, stopped.set)

    handler = Sink(directory, accept, on_limit, reject_domain, hold, refuse_all)
    # A fixed hostname: the default (socket.getfqdn()) may wait for DNS.
    listener = await loop.create_server(
        lambda: SMTP(handler, hostname="smtp-sink.test", loop=loop),
        host=HOST,
        port=port,
    )
    print(f"ready {HOST}:{port}", flush=True)
    await stopped.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("directory")
    parser.add_argument("--accept", type=int, metavar="N", help="go down after N messages")
    parser.add_argument("--reject-domain", metavar="DOMAIN", help="refuse recipients at DOMAIN (550)")
    parser.add_argument("--refuse-all", metavar="REPLY", help="refuse every message at MAIL FROM with REPLY")
    parser.add_argument("--hold", action="store_true", help="confirm message n once DIR/release-<n> exists")
    args = parser.parse_args()
    os.makedirs(args.directory, exist_ok=True)
    asyncio.run(
        serve(args.port, args.directory, args.accept, args.reject_domain, args.hold, args.refuse_all)
    )


if __name__ == "__main__":
    main()

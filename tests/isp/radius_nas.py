"""A NAS for the CoA tests: a UDP socket on 127.0.0.1 (a free port) answering CoA-Requests and
Disconnect-Requests with real pyrad packets, in a thread. Told what to answer: ACK, NAK (with
an Error-Cause) or nothing; a list of answers is used in turn, the last one repeated.

    with FakeNas(secret="...") as nas:
        nas.answers = ["silent", ("nak", 503)]
        ...
        nas.received  # [(code, {attribute: [values]}), ...]
"""

import select
import socket
import threading

from pyrad import packet

from apps.isp.services.coa import radius_dictionary

ACK, SILENT = "ack", "silent"


def nak(cause: int | None = None) -> tuple:
    return ("nak", cause)


class FakeNas:
    def __init__(self, secret: str):
        self.secret = secret.encode()
        self.answers: list = [ACK]
        self.received: list[tuple[int, dict]] = []
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "FakeNas":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()

    @property
    def codes(self) -> list[int]:
        return [code for code, _ in self.received]

    def _next_answer(self):
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._socket], [], [], 0.05)
            if not ready:
                continue
            raw, peer = self._socket.recvfrom(4096)
            request = packet.CoAPacket(packet=raw, secret=self.secret, dict=radius_dictionary())
            if not request.VerifyCoARequest():
                continue
            self.received.append(
                # keys(), not the dict itself: only keys() gives the attribute names
                (request.code, {name: request[name] for name in request.keys()}),  # noqa: SIM118
            )
            answer = self._next_answer()
            if answer == SILENT:
                continue
            reply = request.CreateReply()
            if answer != ACK:
                _, cause = answer
                reply.code = (
                    packet.DisconnectNAK
                    if request.code == packet.DisconnectRequest
                    else packet.CoANAK
                )
                if cause is not None:
                    reply["Error-Cause"] = cause
            self._socket.sendto(reply.ReplyPacket(), peer)

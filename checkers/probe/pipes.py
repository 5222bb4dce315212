"""Reading a child's output while it runs, so that what it said outlives it."""

from __future__ import annotations

import os
import subprocess
import threading
import time


class Drain:
    """Feeds a child's stdin and reads its stdout and stderr in threads (what communicate() does),
    so that waiting for the child is waiting for its exit, not for the end of its output."""

    def __init__(self, proc: subprocess.Popen, stdin: bytes | None):
        self.chunks = {"out": [], "err": []}
        self.threads = [threading.Thread(target=self._read, args=(proc.stdout, self.chunks["out"]), daemon=True),
                        threading.Thread(target=self._read, args=(proc.stderr, self.chunks["err"]), daemon=True)]
        if proc.stdin is not None:
            self.threads.append(threading.Thread(target=self._write, args=(proc.stdin, stdin or b""), daemon=True))
        for thread in self.threads:
            thread.start()

    @staticmethod
    def _read(stream, chunks: list) -> None:
        fd = stream.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return
            if not data:
                stream.close()
                return
            chunks.append(data)

    @staticmethod
    def _write(stream, data: bytes) -> None:
        try:
            stream.write(data)
            stream.close()
        except (OSError, ValueError):
            pass

    def collect(self, grace: float) -> tuple:
        """(stdout, stderr) read so far, after at most `grace` seconds for the rest."""
        deadline = time.monotonic() + grace
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return b"".join(self.chunks["out"]), b"".join(self.chunks["err"])


class Captured:
    """The read end of a pipe a child writes its output to, read here as it comes, keeping the last
    LIMIT bytes: what the child said survives the child's death (a crash, or ended on a timeout)."""

    LIMIT = 64_000

    def __init__(self, read_fd: int):
        self.read_fd = read_fd
        self.chunks, self.size, self.truncated = [], 0, False
        self.thread = threading.Thread(target=self._read, name="captured-output", daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.read_fd, 65536)
            except OSError:
                return
            if not data:
                os.close(self.read_fd)
                return
            self.chunks.append(data)
            self.size += len(data)
            while self.size > self.LIMIT and len(self.chunks) > 1:
                self.size -= len(self.chunks.pop(0))
                self.truncated = True

    def text(self, grace: float = 1.0) -> str:
        """What was written (its last LIMIT bytes, from a line start when cut), after at most
        `grace` seconds for the writers' ends to close (their processes are ended by then)."""
        self.thread.join(grace)
        text = b"".join(self.chunks).decode("utf-8", "replace")
        if self.truncated and "\n" in text:
            text = text.split("\n", 1)[1]  # the first line is probably cut
        return text

"""A file's stamp: its size, inode and times, which tell without reading the file again
that it is as it was when it was fingerprinted, once they have settled.

A file changed in the same tick of the file system's clock as it was read can change
again without its times showing it; a stamp is trusted only when the file's last
change lies further back than any clock tick before the moment it was read.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

SETTLED_NS = 2_000_000_000  # longer than any file system's tick (FAT's is 2 s)


def stamp(stat: os.stat_result) -> list[int]:
    """The size, inode, modification and change times of a file's *stat*."""
    return [stat.st_size, stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns]


def out_stamp(stat: os.stat_result) -> str:
    """The stamp of a file of out/, as text, as a build's manifest keeps it."""
    return " ".join(map(str, stamp(stat)))


def settled(seen: Sequence[int], read_at: int) -> bool:
    """Tell whether a file stamped *seen* can be known by its stamp from now on: whether
    its last change lies SETTLED_NS before *read_at* (time.time_ns() before it was read)."""
    return read_at - max(seen[2], seen[3]) > SETTLED_NS
